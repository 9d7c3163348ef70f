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
}
