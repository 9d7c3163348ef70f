using Builder.Sandbox.Mounts;

namespace Builder.Sandbox.Tests.Mounts;

/// <summary>Mount sources resolve inside their root, through openat2 and through the walk used where the kernel lacks it.</summary>
[Collection(nameof(RootedPathTests))]
public sealed class RootedPathTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rooted-").FullName;
    private readonly string _root;
    private readonly string _host;

    public RootedPathTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_temp, "root")).FullName;
        _host = Directory.CreateDirectory(Path.Combine(_temp, "host")).FullName;
        File.WriteAllText(Path.Combine(_host, "x"), "host");
        Directory.CreateDirectory(Path.Combine(_root, _host.TrimStart('/')));
        File.WriteAllText(Path.Combine(_root, _host.TrimStart('/'), "x"), "inside");
        Directory.CreateDirectory(Path.Combine(_root, "real"));
        File.WriteAllText(Path.Combine(_root, "real", "x"), "real");
    }

    public void Dispose()
    {
        RootedPath.ForceWalk = false;
        Directory.Delete(_temp, recursive: true);
    }

    public static TheoryData<bool, string, string, string> Links => new()
    {
        // walk?, link name, link target (HOST = the host directory's absolute path), expected content of LINK/x
        { false, "abs", "HOST", "inside" },
        { true, "abs", "HOST", "inside" },
        { false, "rel", "../../../../../../../../../..HOST", "inside" },
        { true, "rel", "../../../../../../../../../..HOST", "inside" },
        { false, "chain", "abs", "inside" },
        { true, "chain", "abs", "inside" },
        { false, "inner", "real", "real" },
        { true, "inner", "./real/../real", "real" },
    };

    [Theory]
    [MemberData(nameof(Links))]
    public void A_symlink_is_followed_inside_the_root_never_to_the_host(bool walk, string name, string target, string expected)
    {
        RootedPath.ForceWalk = walk;
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), _host);
        if (name != "abs")
        {
            File.CreateSymbolicLink(Path.Combine(_root, name), target.Replace("HOST", _host, StringComparison.Ordinal));
        }

        using var handle = RootedPath.Open(_root, name + "/x");

        Assert.Equal(expected, File.ReadAllText(RootedPath.ProcPath(handle)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_descriptor_path_reaches_the_file_resolved_inside_the_root(bool walk)
    {
        RootedPath.ForceWalk = walk;
        File.CreateSymbolicLink(Path.Combine(_root, "file-link"), _host + "/x");

        using var handle = RootedPath.Open(_root, "/file-link");

        Assert.Equal("inside", File.ReadAllText(RootedPath.ProcPath(handle)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_link_to_nothing_inside_the_root_is_not_found_even_when_the_host_has_it(bool walk)
    {
        RootedPath.ForceWalk = walk;
        var elsewhere = Directory.CreateDirectory(Path.Combine(_temp, "elsewhere")).FullName;
        File.WriteAllText(Path.Combine(elsewhere, "secret"), "host only");
        File.CreateSymbolicLink(Path.Combine(_root, "leak"), elsewhere + "/secret");

        Assert.Throws<FileNotFoundException>(() => RootedPath.Open(_root, "leak"));
    }

    [Fact]
    public void Resolve_clamps_dot_dot_at_the_root_and_keeps_a_missing_tail()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "up"), "../../..");

        Assert.Equal("real/missing/y", RootedPath.Resolve(_root, "up/../real/missing/y"));
        Assert.Equal("", RootedPath.Resolve(_root, "../.."));
    }

    [Fact]
    public void A_symlink_loop_is_an_error_not_a_hang()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "a"), "b");
        File.CreateSymbolicLink(Path.Combine(_root, "b"), "a");

        Assert.ThrowsAny<IOException>(() => RootedPath.Resolve(_root, "a/x"));
    }

    [Fact]
    public void Pin_gives_a_symlink_free_path_inside_the_root()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), _host);

        Assert.Equal(Path.Combine(_root, _host.TrimStart('/'), "x"), RootedPath.Pin(_root, "abs/x"));
        Assert.Throws<FileNotFoundException>(() => RootedPath.Pin(_root, "abs/missing"));
    }
}
