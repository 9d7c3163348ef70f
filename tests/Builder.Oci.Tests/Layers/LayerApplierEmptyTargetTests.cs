using System.Formats.Tar;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

/// <summary>
/// The applier knows a name is free, without an lstat, in a directory it made itself (the target too when it starts
/// empty) unless its own layer put something there already: every way a layer can put something there is tried
/// here, in an empty target and again over a target that already holds the same tree, with the same result.
/// </summary>
public sealed class LayerApplierEmptyTargetTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Func<TarEntry> File(string name, string content) => CraftedTar.File(name, content);

    private static Func<TarEntry> Dir(string name) => CraftedTar.Dir(name);

    private static Func<TarEntry> Symlink(string name, string target) => CraftedTar.Symlink(name, target);

    private static Func<TarEntry> Hardlink(string name, string target) => CraftedTar.Hardlink(name, target);

    private static MemoryStream Tar(params Func<TarEntry>[] entries) => CraftedTar.Tar(entries);

    private static string Tree(string root) =>
        Tools.Shell($"cd '{root}' && find . -mindepth 1 -printf '%P %y %n %l\\n' | LC_ALL=C sort | paste -sd,").TrimEnd();

    // The same name twice in one layer, in the target and in directories the layer makes (implicitly or by entry).
    public static TheoryData<string> Layers => new() { "file over file", "file over symlink", "file over hardlink", "file over directory", "directory over file", "whiteout then file", "file then whiteout" };

    private static Func<TarEntry>[] LayerFor(string name) => name switch
    {
        "file over file" => [File("a", "one"), File("a", "two"), File("made/a", "one"), File("made/a", "two"), Dir("dir"), File("dir/a", "one"), File("dir/a", "two")],
        "file over symlink" => [File("t", "target"), Symlink("s", "t"), File("s", "replaced"), File("made/t", "target"), Symlink("made/s", "t"), File("made/s", "replaced")],
        "file over hardlink" => [File("t", "target"), Hardlink("h", "t"), File("h", "replaced"), File("made/t", "target"), Hardlink("made/h", "made/t"), File("made/h", "replaced")],
        "file over directory" => [Dir("d"), File("d/inner", "i"), File("d", "now a file"), Dir("made/d"), File("made/d/inner", "i"), File("made/d", "now a file")],
        "directory over file" => [File("f", "file"), Dir("f"), File("f/inner", "i"), File("made/f", "file"), Dir("made/f"), File("made/f/inner", "i")],
        "whiteout then file" => [File(".wh.w", ""), File("w", "back"), File("made/.wh.w", ""), File("made/w", "back")],
        "file then whiteout" => [File("w", "mine"), File(".wh.w", ""), File("made/w", "mine"), File("made/.wh.w", "")],
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public async Task A_layer_naming_an_entry_twice_gives_the_same_tree_into_an_empty_target_as_over_a_full_one(string name)
    {
        foreach (var overlay in new[] { false, true })
        {
            var empty = _temp.Sub($"empty-{overlay}");
            var full = _temp.Sub($"full-{overlay}");
            var options = new LayerApplyOptions { OverlayOpaqueXattr = overlay ? "user.overlay.opaque" : null };
            await LayerApplier.ApplyAsync(Tar(LayerFor(name)), full, options, CancellationToken.None);

            await LayerApplier.ApplyAsync(Tar(LayerFor(name)), empty, options, CancellationToken.None);
            await LayerApplier.ApplyAsync(Tar(LayerFor(name)), full, options, CancellationToken.None);

            Assert.Equal(Tree(full), Tree(empty));
            foreach (var file in Directory.EnumerateFiles(empty, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(empty, file);
                Assert.Equal(await System.IO.File.ReadAllTextAsync(Path.Combine(full, relative)), await System.IO.File.ReadAllTextAsync(file));
            }
        }
    }

    [Fact]
    public async Task A_file_over_a_symlink_in_an_empty_target_replaces_the_link_and_writes_nothing_through_it()
    {
        var outside = _temp.Sub("outside");
        var target = _temp.Sub("target");

        await LayerApplier.ApplyAsync(Tar(Symlink("s", outside + "/victim"), File("s", "pwned")), target, null, CancellationToken.None);

        Assert.False(System.IO.File.Exists(Path.Combine(outside, "victim")));
        Assert.Equal("pwned", await System.IO.File.ReadAllTextAsync(Path.Combine(target, "s")));
        Assert.Equal("s f 1", Tree(target));
    }
}
