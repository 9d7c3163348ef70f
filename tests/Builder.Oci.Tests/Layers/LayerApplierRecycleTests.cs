using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Oci.Tests.Layers;

/// <summary>
/// <see cref="LayerApplyOptions.Unchanged"/>: a layer applied over the extraction of its earlier version ends as the
/// same tree an extraction into an empty directory gives, keeping only the files it is told are unchanged (and whose
/// size, mode and time still agree).
/// </summary>
public sealed class LayerApplierRecycleTests : IDisposable
{
    private const string Opaque = "user.overlay.opaque";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static LayerEntry Dir(string path) => new(path, LayerEntryType.Directory) { Mode = (UnixFileMode)0x1ED, ModificationTime = Time };

    private static LayerEntry File(string path, string content, int mode = 0x1A4) =>
        new(path, LayerEntryType.RegularFile)
        {
            Mode = (UnixFileMode)mode, ModificationTime = Time, Size = content.Length, Content = LayerContent.FromBytes(System.Text.Encoding.ASCII.GetBytes(content)),
        };

    private static LayerEntry Link(string path, string target) => new(path, LayerEntryType.Symlink) { LinkTarget = target, ModificationTime = Time };

    private static async Task<MemoryStream> Layer(params LayerChange[] changes)
    {
        var stream = new MemoryStream();
        await LayerWriter.WriteAsync(changes, stream, new LayerWriterOptions { Compression = LayerCompression.None }, CancellationToken.None);
        stream.Position = 0;
        return stream;
    }

    // Every entry: type, mode, size, link target, content, and whether a directory is opaque.
    private static string Tree(string root) => string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
        .Select(path =>
        {
            var status = LibC.LStat(path)!.Value;
            var relative = Path.GetRelativePath(root, path);
            var detail = status.IsRegular ? System.IO.File.ReadAllText(path)
                : status.IsSymlink ? "-> " + LibC.ReadLink(path)
                : status.IsDirectory ? (LibC.ListXattrs(path).ContainsKey(Opaque) ? "opaque" : "")
                : $"dev {status.RdevMajor}/{status.RdevMinor}";
            return $"{relative} {status.Type:x} {Convert.ToString(status.Permissions, 8)} {detail}";
        })
        .Order(StringComparer.Ordinal));

    [Fact]
    public async Task The_earlier_version_brought_up_to_date_equals_a_fresh_extraction_and_keeps_only_unchanged_files()
    {
        var earlier = await Layer(Dir("app"), File("app/same", "same"), File("app/changed", "1"), File("app/mode", "m"), File("app/gone", "g"),
            Dir("app/dir"), File("app/dir/inner", "i"), File("app/becomes-dir", "f"), Link("app/link", "same"),
            new LayerWhiteout("app/deleted"), new LayerOpaqueDirectory("app/opaque"), File("app/opaque/x", "x"), File("app/was-whiteout-file", "w"));
        var later = await Layer(Dir("app"), File("app/same", "same"), File("app/changed", "22"), File("app/mode", "m", 0x180), File("app/new", "n"),
            File("app/dir", "now a file"), Dir("app/becomes-dir"), File("app/becomes-dir/y", "y"), Link("app/link", "changed"),
            File("app/deleted", "back"), Dir("app/opaque"), File("app/opaque/x", "x"), new LayerWhiteout("app/was-whiteout-file"));
        var options = new LayerApplyOptions { OverlayOpaqueXattr = Opaque };
        var recycled = _temp.Sub("recycled");
        var fresh = _temp.Sub("fresh");
        await LayerApplier.ApplyAsync(earlier, recycled, options, CancellationToken.None);
        // A second link to each, outside the target: a file kept is still that inode (two links), a file written again is not.
        var side = _temp.Sub("side");
        foreach (var name in new[] { "same", "mode", "changed" })
        {
            LibC.HardLink(Path.Combine(recycled, "app", name), Path.Combine(side, name));
        }
        var said = new List<string>();

        later.Position = 0;
        await LayerApplier.ApplyAsync(later, recycled, options with
        {
            // "mode" is said to be unchanged but its mode is not: the check on what is there catches it.
            Unchanged = header => { said.Add(header.Name); return header.Name is "app/same" or "app/mode"; },
        }, CancellationToken.None);
        later.Position = 0;
        await LayerApplier.ApplyAsync(later, fresh, options, CancellationToken.None);

        Assert.Equal(Tree(fresh), Tree(recycled));
        Assert.Equal(2u, LibC.LStat(Path.Combine(recycled, "app/same"))!.Value.Links);
        Assert.Equal(1u, LibC.LStat(Path.Combine(recycled, "app/mode"))!.Value.Links);
        Assert.Equal(1u, LibC.LStat(Path.Combine(recycled, "app/changed"))!.Value.Links);
        Assert.Contains("app/same", said);
        Assert.DoesNotContain("app/gone", Tree(recycled));
    }

    [Fact]
    public async Task An_earlier_symlink_or_file_on_the_way_to_a_new_entry_is_replaced_not_followed()
    {
        var earlier = await Layer(Dir("app"), Dir("app/real"), Link("app/lib", "real"), File("app/file", "f"));
        var later = await Layer(Dir("app"), File("app/lib/x", "x"), File("app/file/y", "y"));
        var options = new LayerApplyOptions { OverlayOpaqueXattr = Opaque };
        var recycled = _temp.Sub("recycled");
        var fresh = _temp.Sub("fresh");
        await LayerApplier.ApplyAsync(earlier, recycled, options, CancellationToken.None);

        later.Position = 0;
        await LayerApplier.ApplyAsync(later, recycled, options with { Unchanged = _ => true }, CancellationToken.None);
        later.Position = 0;
        await LayerApplier.ApplyAsync(later, fresh, options, CancellationToken.None);

        Assert.Equal(Tree(fresh), Tree(recycled));
        Assert.False(Directory.Exists(Path.Combine(recycled, "app/real")));
    }
}
