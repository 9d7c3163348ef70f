using Builder.Sandbox.Runtime;

namespace Builder.Sandbox.Tests.Runtime;

public sealed class UserResolverTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n# comment\nnohome:x:2000:2000:::/bin/false\n";
    private const string Group = "root:x:0:\napp:x:1001:\ndev:x:3000:app,other\nops:x:3001:app\nwheel:x:10:root\n";

    public static TheoryData<string, uint, uint, uint[], string> Cases => new()
    {
        { "", 0, 0, [10], "/root" },
        { "root", 0, 0, [10], "/root" },
        { "app", 1000, 1001, [3000, 3001], "/home/app" },
        { "1000", 1000, 1001, [3000, 3001], "/home/app" },
        { "app:dev", 1000, 3000, [], "/home/app" },
        { "app:0", 1000, 0, [], "/home/app" },
        { "4242", 4242, 0, [], "/" },
        { "4242:4343", 4242, 4343, [], "/" },
        { "nohome", 2000, 2000, [], "/" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Users_resolve_as_runc_resolves_them(string user, uint uid, uint gid, uint[] additional, string home)
    {
        var resolved = UserResolver.Resolve(user, Passwd, Group);

        Assert.Equal((uid, gid, home), (resolved.Uid, resolved.Gid, resolved.Home));
        Assert.Equal(additional, resolved.AdditionalGids);
    }

    [Theory]
    [InlineData("ghost", "unable to find user ghost: no matching entries in passwd file")]
    [InlineData("app:ghosts", "unable to find group ghosts: no matching entries in group file")]
    public void Unknown_names_are_errors(string user, string message) =>
        Assert.Equal(message, Assert.Throws<SandboxException>(() => UserResolver.Resolve(user, Passwd, Group)).Message);

    [Fact]
    public void A_root_without_passwd_still_runs_numeric_users() =>
        Assert.Equal(0u, UserResolver.Resolve("", null, null).Uid);

    // BuildKit's executor (oci.GetUser) takes user:group as it is when both are numbers or "root", with no lookup.
    [Theory]
    [InlineData("root:root", 0u, 0u)]
    [InlineData("0:0", 0u, 0u)]
    [InlineData("root:0", 0u, 0u)]
    [InlineData("1000:root", 1000u, 0u)]
    [InlineData("root:1000", 0u, 1000u)]
    [InlineData("0", 0u, 0u)]
    [InlineData("4242", 4242u, 0u)]
    public void A_root_without_passwd_runs_root_and_numeric_user_group_pairs(string user, uint uid, uint gid)
    {
        var resolved = UserResolver.Resolve(user, null, null);

        Assert.Equal((uid, gid), (resolved.Uid, resolved.Gid));
        Assert.Empty(resolved.AdditionalGids);
        Assert.Equal("/", resolved.Home);
    }

    [Fact]
    public void Root_alone_still_needs_a_passwd_entry_for_a_process_as_in_BuildKit() =>
        Assert.Equal("unable to find user root: no matching entries in passwd file",
            Assert.Throws<SandboxException>(() => UserResolver.Resolve("root", null, null)).Message);

    [Fact]
    public void A_numeric_pair_takes_the_home_of_its_uid_and_no_supplementary_groups()
    {
        var resolved = UserResolver.Resolve("1000:1001", Passwd, Group);

        Assert.Equal((1000u, 1001u, "/home/app"), (resolved.Uid, resolved.Gid, resolved.Home));
        Assert.Empty(resolved.AdditionalGids);
    }

    // COPY --chown and a WORKDIR under USER: BuildKit's file operations (llb.WithUser, readUser).
    [Theory]
    [InlineData("root", 0u, 0u)]
    [InlineData("root:root", 0u, 0u)]
    [InlineData("0", 0u, 0u)]
    [InlineData("0:0", 0u, 0u)]
    [InlineData("1000", 1000u, 1000u)]
    [InlineData("1000:root", 1000u, 0u)]
    [InlineData("root:1000", 0u, 1000u)]
    [InlineData("app", 0u, 0u)]
    [InlineData("app:app", 0u, 0u)]
    public void File_owners_without_passwd_or_group(string owner, uint uid, uint gid) =>
        Assert.Equal((uid, gid), UserResolver.ResolveOwner(owner, null, null));

    [Theory]
    [InlineData("app", 1000u, 1001u)]
    [InlineData("app:dev", 1000u, 3000u)]
    [InlineData("app:3001", 1000u, 3001u)]
    [InlineData("app:root", 1000u, 0u)]
    [InlineData("1000", 1000u, 1000u)]
    [InlineData("1000:app", 1000u, 1001u)]
    [InlineData("ghost", 0u, 0u)]
    [InlineData("ghost:dev", 0u, 3000u)]
    [InlineData("app:ghosts", 1000u, 1001u)]
    [InlineData("4242:ghosts", 4242u, 4242u)]
    public void File_owners_look_names_up_and_leave_unknown_ones_at_0(string owner, uint uid, uint gid) =>
        Assert.Equal((uid, gid), UserResolver.ResolveOwner(owner, Passwd, Group));
}
