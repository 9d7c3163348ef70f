using System.Formats.Tar;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

/// <summary>
/// Hostile layers, crafted with System.Formats.Tar: every escape is refused with an error naming the entry,
/// and nothing outside the target changes (a sentinel directory beside it is checked after each one).
/// </summary>
public sealed class MaliciousLayerTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _target;
    private readonly string _sentinel;
    private readonly string _sentinelBefore;

    public MaliciousLayerTests()
    {
        _target = _temp.Sub("target");
        _sentinel = _temp.Sub("sentinel");
        System.IO.File.WriteAllText(Path.Combine(_sentinel, "secret"), "secret");
        Directory.CreateDirectory(Path.Combine(_sentinel, "keep"));
        _sentinelBefore = Outside();
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Everything next to and inside the sentinel, with sizes, link counts and times: what an escape would change.</summary>
    private string Outside() =>
        Tools.Run("find", _temp.Path, "-path", _target, "-prune", "-o", "-printf", "%P %y %m %u:%g %s %n %T@ %l\n");

    private static Func<TarEntry> File(string name, string content = "x") => CraftedTar.File(name, content);

    private static Func<TarEntry> Dir(string name) => CraftedTar.Dir(name);

    private static Func<TarEntry> Symlink(string name, string target) => CraftedTar.Symlink(name, target);

    private static Func<TarEntry> Hardlink(string name, string target) => CraftedTar.Hardlink(name, target);

    private static Func<TarEntry> Device(string name) => () => new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = 1, DeviceMinor = 3 };

    private static Func<TarEntry> GnuFile(string name) => () =>
        new GnuTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("gnu"u8.ToArray()) };

    private static MemoryStream Tar(IEnumerable<Func<TarEntry>> entries) => CraftedTar.Tar(entries);

    private string SentinelPath(string name = "") => Path.Combine(_sentinel, name);

    private async Task<IOException> ApplyRefused(params Func<TarEntry>[] entries)
    {
        var error = await Assert.ThrowsAnyAsync<IOException>(() => LayerApplier.ApplyAsync(Tar(entries), _target, null, CancellationToken.None));
        Assert.Equal(_sentinelBefore, Outside());
        Assert.Equal("secret", System.IO.File.ReadAllText(SentinelPath("secret")));
        return error;
    }

    private async Task AssertUnsafe(string entryName, string reason, params Func<TarEntry>[] entries)
    {
        var error = Assert.IsType<UnsafeLayerEntryException>(await ApplyRefused(entries));
        Assert.Equal(entryName, error.EntryName);
        Assert.Contains($"\"{entryName}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("../sentinel/secret")]
    [InlineData("a/../../x")]
    [InlineData("./../x")]
    [InlineData("/../x")]
    [InlineData("a/b/../../../x")]
    public Task Names_with_dot_dot_are_refused(string name) =>
        AssertUnsafe(name, "\"..\" component", Dir("a/"), File(name));

    [Fact]
    public Task A_long_pax_path_with_dot_dot_is_refused()
    {
        var name = string.Concat(Enumerable.Repeat("long-directory-name/", 8)) + string.Concat(Enumerable.Repeat("../", 9)) + "x";
        return AssertUnsafe(name, "\"..\" component", File(name));
    }

    [Fact]
    public Task A_GNU_long_name_with_dot_dot_is_refused()
    {
        var name = string.Concat(Enumerable.Repeat("../", 40)) + "escaped";
        return AssertUnsafe(name, "\"..\" component", GnuFile(name));
    }

    [Fact]
    public Task A_file_through_an_absolute_symlink_is_refused() =>
        AssertUnsafe("a/passwd", "symlink a -> /etc", Symlink("a", "/etc"), File("a/passwd"));

    [Fact]
    public Task A_file_through_a_symlink_to_the_sentinel_is_refused() =>
        AssertUnsafe("a/secret", $"symlink a -> {_sentinel}", Symlink("a", _sentinel), File("a/secret", "overwritten"));

    [Fact]
    public Task A_file_through_a_relative_symlink_climbing_out_is_refused() =>
        AssertUnsafe("a/new", "points outside the target", Symlink("a", "../sentinel"), File("a/new"));

    [Fact]
    public Task A_file_through_a_symlink_chain_climbing_out_is_refused() =>
        AssertUnsafe("l1/sentinel/new", "points outside the target",
            Dir("d/"), Symlink("d/l2", "../.."), Symlink("l1", "d/l2"), File("l1/sentinel/new"));

    [Fact]
    public Task A_symlink_loop_is_refused() =>
        AssertUnsafe("a/x", "more than 40 symlinks", Symlink("a", "b"), Symlink("b", "a"), File("a/x"));

    [Fact]
    public Task A_directory_replaced_by_an_escaping_symlink_is_not_followed() =>
        AssertUnsafe("a/secret", "points outside the target",
            Dir("a/"), File("a/inside"), Symlink("a", _sentinel), File("a/secret", "overwritten"));

    // The applier remembers the directories it has seen to be real; a replacement anywhere above must undo that.
    [Fact]
    public Task A_parent_directory_replaced_by_an_escaping_symlink_after_entries_below_it_is_not_followed() =>
        AssertUnsafe("a/b/secret", "points outside the target",
            Dir("a/"), Dir("a/b/"), File("a/b/inside"), File("a/b/more"), Symlink("a", "../sentinel/.."), File("a/b/secret", "overwritten"));

    [Fact]
    public Task A_directory_whited_out_then_made_an_escaping_symlink_is_not_followed() =>
        AssertUnsafe("a/b/secret", "points outside the target",
            Dir("a/"), Dir("a/b/"), File("a/b/inside"), File(".wh.a"), Symlink("a", "../sentinel/.."), File("a/b/secret", "overwritten"));

    [Fact]
    public async Task A_directory_replaced_by_a_symlink_later_in_the_layer_does_not_pass_its_mode_outside()
    {
        Func<TarEntry> OpenDir(string name) => () => new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1FF };

        await LayerApplier.ApplyAsync(Tar([OpenDir("a/"), OpenDir("b/"), OpenDir("b/keep/"), Symlink("a", _sentinel), Symlink("b", "../sentinel")]),
            _target, null, CancellationToken.None);

        Assert.Equal(_sentinel, new FileInfo(Path.Combine(_target, "a")).LinkTarget);
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public Task A_symlink_created_through_an_escaping_symlink_is_refused() =>
        AssertUnsafe("s/evil", "points outside the target", Symlink("s", "../sentinel"), Symlink("s/evil", "/"));

    [Fact]
    public Task A_device_through_an_escaping_symlink_is_refused() =>
        AssertUnsafe("s/null", "points outside the target", Symlink("s", _sentinel), Device("s/null"));

    [Fact]
    public Task A_hardlink_to_a_file_outside_is_refused() =>
        AssertUnsafe("h", "\"..\" component", Hardlink("h", "../sentinel/secret"));

    [Fact]
    public Task A_hardlink_through_an_escaping_symlink_is_refused() =>
        AssertUnsafe("h", "points outside the target", Symlink("s", "../sentinel"), Hardlink("h", "s/secret"));

    [Fact]
    public Task A_hardlink_to_a_directory_is_refused() =>
        AssertUnsafe("h", "is a directory", Dir("d/"), Hardlink("h", "d"));

    [Fact]
    public async Task An_absolute_hardlink_target_is_resolved_inside_the_target_only()
    {
        var error = await ApplyRefused(Hardlink("h", SentinelPath("secret")));

        Assert.Contains("layer entry \"h\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal("1", Tools.Run("stat", "-c", "%h", SentinelPath("secret")).Trim());
    }

    [Theory]
    [InlineData(".wh...")]
    [InlineData("a/.wh...")]
    [InlineData("a/.wh..")]
    [InlineData(".wh.")]
    [InlineData("a/.wh.")]
    public Task Whiteouts_of_dot_dot_or_nothing_are_refused(string name) =>
        AssertUnsafe(name, "whiteout of", Dir("a/"), File(name, ""));

    [Fact]
    public Task A_whiteout_of_dot_is_refused() =>
        AssertUnsafe(".wh..", "whiteout of", File(".wh..", ""));

    [Fact]
    public Task A_whiteout_through_an_escaping_symlink_is_refused() =>
        AssertUnsafe("s/.wh.secret", "points outside the target", Symlink("s", _sentinel), File("s/.wh.secret", ""));

    [Fact]
    public Task A_whiteout_with_dot_dot_in_its_directory_is_refused() =>
        AssertUnsafe("../sentinel/.wh.secret", "\"..\" component", File("../sentinel/.wh.secret", ""));

    [Fact]
    public Task An_opaque_marker_through_an_escaping_symlink_is_refused() =>
        AssertUnsafe("s/.wh..wh..opq", "points outside the target", Symlink("s", "../sentinel"), File("s/.wh..wh..opq", ""));

    [Fact]
    public Task An_opaque_marker_through_an_absolute_symlink_is_refused() =>
        AssertUnsafe("s/.wh..wh..opq", "absolute symlinks are not followed", Symlink("s", _sentinel), File("s/.wh..wh..opq", ""));

    [Theory]
    [InlineData("../.wh..wh..opq")]
    [InlineData("../sentinel/.wh..wh..opq")]
    [InlineData("a/../../sentinel/.wh..wh..opq")]
    public Task Opaque_markers_with_dot_dot_are_refused(string name) =>
        AssertUnsafe(name, "\"..\" component", Dir("a/"), File(name, ""));

    [Fact]
    public async Task A_file_under_a_regular_file_is_an_error_naming_the_entry()
    {
        var error = await ApplyRefused(File("f"), File("f/x"));

        Assert.Contains("layer entry \"f/x\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("f is not a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_names_are_applied_inside_the_target_as_tar_and_docker_do()
    {
        await LayerApplier.ApplyAsync(Tar([File("/etc/x", "inside"), File("//abs/y", "also")]), _target, null, CancellationToken.None);

        Assert.Equal("inside", System.IO.File.ReadAllText(Path.Combine(_target, "etc/x")));
        Assert.Equal("also", System.IO.File.ReadAllText(Path.Combine(_target, "abs/y")));
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public async Task Symlinks_pointing_outside_are_created_as_links_and_never_followed()
    {
        await LayerApplier.ApplyAsync(Tar([Symlink("out", _sentinel), Symlink("up", "../../..")]), _target, null, CancellationToken.None);

        Assert.Equal(_sentinel, new FileInfo(Path.Combine(_target, "out")).LinkTarget);
        Assert.Equal("../../..", new FileInfo(Path.Combine(_target, "up")).LinkTarget);
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public async Task Relative_symlinks_that_stay_inside_are_followed_for_parents()
    {
        await LayerApplier.ApplyAsync(Tar([Dir("usr/"), Dir("usr/lib/"), Symlink("lib", "usr/lib"), Dir("a/b/"), Symlink("a/b/up", "../../usr"), File("lib/x", "x"), File("a/b/up/lib/y", "y")]),
            _target, null, CancellationToken.None);

        Assert.Equal("x", System.IO.File.ReadAllText(Path.Combine(_target, "usr/lib/x")));
        Assert.Equal("y", System.IO.File.ReadAllText(Path.Combine(_target, "usr/lib/y")));
        Assert.Equal("usr/lib", new FileInfo(Path.Combine(_target, "lib")).LinkTarget);
    }

    [Fact]
    public async Task A_whiteout_of_a_symlink_to_outside_removes_only_the_link()
    {
        await LayerApplier.ApplyAsync(Tar([Symlink("s", _sentinel), Symlink("k", "../sentinel/keep")]), _target, null, CancellationToken.None);

        await LayerApplier.ApplyAsync(Tar([File(".wh.s", "")]), _target, null, CancellationToken.None);

        Assert.False(Path.Exists(Path.Combine(_target, "s")));
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public async Task An_opaque_directory_holding_links_to_outside_removes_only_the_links()
    {
        await LayerApplier.ApplyAsync(Tar([Dir("d/"), Symlink("d/s", _sentinel), Symlink("d/k", "../../sentinel/keep"), Hardlink("d/h", "d/s")]),
            _target, null, CancellationToken.None);

        await LayerApplier.ApplyAsync(Tar([Dir("d/"), File("d/.wh..wh..opq", "")]), _target, null, CancellationToken.None);

        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_target, "d")));
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public async Task An_opaque_marker_at_the_root_clears_only_the_target()
    {
        await LayerApplier.ApplyAsync(Tar([File("a"), Dir("b/"), Symlink("s", _sentinel)]), _target, null, CancellationToken.None);

        await LayerApplier.ApplyAsync(Tar([File(".wh..wh..opq", ""), File("c")]), _target, null, CancellationToken.None);

        Assert.Equal(["c"], Directory.EnumerateFileSystemEntries(_target).Select(Path.GetFileName));
        Assert.Equal(_sentinelBefore, Outside());
    }

    [Fact]
    public async Task Devices_are_created_as_root_and_fail_clearly_when_skipping_is_off()
    {
        Tools.RequireRoot();
        await LayerApplier.ApplyAsync(Tar([Device("null")]), _target, new LayerApplyOptions { SkipDevicesWhenNotPermitted = false }, CancellationToken.None);

        Assert.Equal("character special file 1,3", Tools.Run("stat", "-c", "%F %t,%T", Path.Combine(_target, "null")).Trim());
    }
}
