using Builder.Posix;
using Builder.Sandbox.Snapshots;

namespace Builder.Sandbox.Tests.Snapshots;

/// <summary>
/// A stage's file system read through its layer directories: symlinks are the image's, so nothing is ever looked up
/// below one (the host would follow it, an absolute one onto its own files). Only the whiteout test needs root (mknod).
/// </summary>
public sealed class MergedViewTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("merged-view-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Layer(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // lookups remembered, as over extracted layers
    public void A_path_below_a_layers_symlink_is_not_there_even_when_the_host_has_it(bool remembered)
    {
        var layer = Layer("only");
        File.CreateSymbolicLink(Path.Combine(layer, "hostetc"), "/etc");
        Directory.CreateDirectory(Path.Combine(layer, "real"));
        File.CreateSymbolicLink(Path.Combine(layer, "relative"), "real");
        File.WriteAllText(Path.Combine(layer, "real", "file"), "x");
        var view = new MergedView([layer], remembered);

        Assert.True(File.Exists("/etc/passwd"));
        Assert.Null(view.Lookup("/hostetc/passwd"));
        Assert.Null(view.Lookup("/relative/file"));
        Assert.Empty(view.List("/hostetc"));
        Assert.True(view.Lookup("/hostetc")!.IsSymlink);
        Assert.NotNull(view.Lookup("/real/file"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // lookups remembered, as over extracted layers
    public void A_directory_in_an_upper_layer_over_a_lower_symlink_hides_what_the_link_leads_to(bool remembered)
    {
        var lower = Layer("lower");
        var upper = Layer("upper");
        File.CreateSymbolicLink(Path.Combine(lower, "x"), "/etc");
        Directory.CreateDirectory(Path.Combine(upper, "x"));
        File.WriteAllText(Path.Combine(upper, "x", "mine"), "m");
        var view = new MergedView([upper, lower], remembered);

        Assert.Null(view.Lookup("/x/passwd"));
        Assert.NotNull(view.Lookup("/x/mine"));
        Assert.Equal(["mine"], view.List("/x"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // lookups remembered, as over extracted layers
    public void Lower_layers_show_through_upper_directories_until_one_is_opaque_or_replaced(bool remembered)
    {
        var lower = Layer("lower");
        var upper = Layer("upper");
        Directory.CreateDirectory(Path.Combine(lower, "a", "b"));
        File.WriteAllText(Path.Combine(lower, "a", "b", "low"), "l");
        File.WriteAllText(Path.Combine(lower, "f"), "f");
        Directory.CreateDirectory(Path.Combine(upper, "a"));
        File.WriteAllText(Path.Combine(upper, "a", "up"), "u");
        var view = new MergedView([upper, lower], remembered);

        Assert.NotNull(view.Lookup("/a/b/low"));
        Assert.Equal(["b", "up"], view.List("/a"));
        Assert.True(view.Lookup("/f")!.IsRegularFile);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // lookups remembered, as over extracted layers
    public void A_whiteout_deletes_a_lower_entry_and_everything_below_a_deleted_directory(bool remembered)
    {
        var lower = Layer("lower");
        var upper = Layer("upper");
        Directory.CreateDirectory(Path.Combine(lower, "etc"));
        File.WriteAllText(Path.Combine(lower, "etc", "passwd"), "p");
        File.WriteAllText(Path.Combine(lower, "kept"), "k");
        File.WriteAllText(Path.Combine(lower, "gone"), "g");
        Assert.Equal(0, LibC.TryMakeNode(Path.Combine(upper, "etc"), LibC.S_IFCHR | 0b110_000_000, 0, 0));
        Assert.Equal(0, LibC.TryMakeNode(Path.Combine(upper, "gone"), LibC.S_IFCHR | 0b110_000_000, 0, 0));
        var view = new MergedView([upper, lower], remembered);

        Assert.Null(view.Lookup("/etc"));
        Assert.Null(view.Lookup("/etc/passwd"));
        Assert.Null(view.ReadText("/etc/passwd"));
        Assert.Null(view.Lookup("/gone"));
        Assert.Equal(["kept"], view.List("/"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // lookups remembered, as over extracted layers
    public void An_opaque_directory_hides_what_lower_layers_hold_in_it(bool remembered)
    {
        var lower = Layer("lower");
        var upper = Layer("upper");
        Directory.CreateDirectory(Path.Combine(lower, "cache"));
        File.WriteAllText(Path.Combine(lower, "cache", "old"), "o");
        Directory.CreateDirectory(Path.Combine(upper, "cache"));
        File.WriteAllText(Path.Combine(upper, "cache", "new"), "n");
        Assert.Equal(0, LibC.TrySetXattr(Path.Combine(upper, "cache"), "user.overlay.opaque", "y"u8.ToArray()));
        var view = new MergedView([upper, lower], remembered);

        Assert.Null(view.Lookup("/cache/old"));
        Assert.Equal("n", view.ReadText("/cache/new"));
        Assert.Equal(["new"], view.List("/cache"));
    }
}
