using System.Formats.Tar;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

public sealed class LayerWhiteoutTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static LayerEntry Dir(string path) => new(path, LayerEntryType.Directory) { Mode = (UnixFileMode)0x1ED };

    private static LayerEntry File(string path, string content) =>
        new(path, LayerEntryType.RegularFile) { Mode = (UnixFileMode)0x1A4, Size = content.Length, Content = LayerContent.FromBytes(System.Text.Encoding.ASCII.GetBytes(content)) };

    private static async Task<MemoryStream> Layer(params LayerChange[] changes)
    {
        var stream = new MemoryStream();
        await LayerWriter.WriteAsync(changes, stream, new LayerWriterOptions { Compression = LayerCompression.None }, CancellationToken.None);
        stream.Position = 0;
        return stream;
    }

    private static List<string> Names(MemoryStream tar)
    {
        var names = new List<string>();
        using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name);
            }
        }
        tar.Position = 0;
        return names;
    }

    private string Tree(string root) =>
        Tools.Shell($"cd '{root}' && find . -mindepth 1 -printf '%P %y\\n' | LC_ALL=C sort | paste -sd,").TrimEnd();

    private static async Task Apply(string target, MemoryStream layer) =>
        await LayerApplier.ApplyAsync(layer, target, null, CancellationToken.None);

    [Fact]
    public async Task Deletions_and_opaque_directories_are_written_as_whiteout_files_before_their_siblings()
    {
        var tar = await Layer(
            File("etc/zzz", "z"),
            new LayerWhiteout("etc/removed"),
            Dir("etc"),
            new LayerOpaqueDirectory("var/cache"),
            Dir("var/cache"),
            File("var/cache/new", "n"),
            File("etc/-dash", "d"),
            new LayerWhiteout("etc/sub/gone"));

        Assert.Equal(
            ["etc/", "etc/.wh.removed", "etc/-dash", "etc/sub/.wh.gone", "etc/zzz", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/new"],
            Names(tar));
    }

    [Fact]
    public async Task Whiteouts_remove_files_and_whole_directories_of_lower_layers()
    {
        var target = _temp.Sub("rootfs");
        await Apply(target, await Layer(Dir("a"), File("a/keep", "k"), File("a/drop", "d"), Dir("a/tree"), Dir("a/tree/deep"), File("a/tree/deep/f", "f"), File("top", "t")));

        await Apply(target, await Layer(new LayerWhiteout("a/drop"), new LayerWhiteout("a/tree"), new LayerWhiteout("missing"), File("top", "changed")));

        Assert.Equal("a d,a/keep f,top f", Tree(target));
        Assert.Equal("changed", await System.IO.File.ReadAllTextAsync(Path.Combine(target, "top")));
    }

    [Fact]
    public async Task An_opaque_directory_hides_lower_contents_and_keeps_what_its_layer_adds()
    {
        var target = _temp.Sub("rootfs");
        await Apply(target, await Layer(Dir("d"), File("d/old", "o"), Dir("d/sub"), File("d/sub/old", "o"), File("outside", "x")));

        await Apply(target, await Layer(Dir("d"), new LayerOpaqueDirectory("d"), Dir("d/sub"), File("d/sub/new", "n"), File("d/new", "n")));

        Assert.Equal("d d,d/new f,d/sub d,d/sub/new f,outside f", Tree(target));
    }

    [Fact]
    public async Task An_opaque_marker_after_its_layer_entries_still_keeps_them()
    {
        var target = _temp.Sub("rootfs");
        await Apply(target, await Layer(Dir("d"), File("d/old", "o"), Dir("d/sub"), File("d/sub/old", "o")));
        var layer = new MemoryStream();
        using (var writer = new TarWriter(layer, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "d/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "d/sub/"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "d/sub/new") { DataStream = new MemoryStream("n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "d/zz-new") { DataStream = new MemoryStream("n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "d/.wh..wh..opq"));
        }
        layer.Position = 0;

        await Apply(target, layer);

        Assert.Equal("d d,d/sub d,d/sub/new f,d/zz-new f", Tree(target));
    }

    [Fact]
    public async Task A_whiteout_does_not_hide_what_its_own_layer_added()
    {
        var target = _temp.Sub("rootfs");
        var layer = new MemoryStream();
        using (var writer = new TarWriter(layer, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "f") { DataStream = new MemoryStream("n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ".wh.f"));
        }
        layer.Position = 0;

        await Apply(target, layer);

        Assert.Equal("f f", Tree(target));
    }

    [Fact]
    public async Task Layers_applied_in_order_give_the_final_file_system()
    {
        var target = _temp.Sub("rootfs");
        await Apply(target, await Layer(Dir("app"), File("app/v", "1"), Dir("app/cache"), File("app/cache/x", "x"),
            new LayerEntry("app/current", LayerEntryType.Symlink) { LinkTarget = "v" }));
        await Apply(target, await Layer(File("app/v", "2"), new LayerWhiteout("app/cache"), File("app/cache", "now a file")));
        await Apply(target, await Layer(new LayerWhiteout("app/current"), new LayerEntry("app/current", LayerEntryType.Directory) { Mode = (UnixFileMode)0x1C0 }));

        Assert.Equal("app d,app/cache f,app/current d,app/v f", Tree(target));
        Assert.Equal("2", await System.IO.File.ReadAllTextAsync(Path.Combine(target, "app/v")));
        Assert.Equal("now a file", await System.IO.File.ReadAllTextAsync(Path.Combine(target, "app/cache")));
        Assert.Equal("700", Tools.Run("stat", "-c", "%a", Path.Combine(target, "app/current")).Trim());
    }

    [Fact]
    public async Task An_entry_replaces_a_lower_entry_of_another_type()
    {
        var target = _temp.Sub("rootfs");
        await Apply(target, await Layer(Dir("x"), File("x/inner", "i"), File("y", "y"), new LayerEntry("z", LayerEntryType.Symlink) { LinkTarget = "y" }));

        await Apply(target, await Layer(File("x", "file now"), Dir("y"), File("z", "not a link")));

        Assert.Equal("x f,y d,z f", Tree(target));
        Assert.Equal("not a link", await System.IO.File.ReadAllTextAsync(Path.Combine(target, "z")));
    }
}
