using Builder.Oci.Content;

namespace Builder.Oci.Tests.Content;

public sealed class StoreLocationTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Builder_root_wins_over_everything()
    {
        Assert.Equal("/srv/store", StoreLocation.Resolve(Env(("BUILDER_ROOT", "/srv/store"), ("XDG_DATA_HOME", "/x")), isRoot: true, "/home/u"));
    }

    [Fact]
    public void Root_uses_var_lib_builder()
    {
        Assert.Equal("/var/lib/builder", StoreLocation.Resolve(Env(("XDG_DATA_HOME", "/x")), isRoot: true, "/root"));
    }

    [Fact]
    public void A_user_uses_xdg_data_home()
    {
        Assert.Equal("/data/builder", StoreLocation.Resolve(Env(("XDG_DATA_HOME", "/data")), isRoot: false, "/home/u"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/data")]
    public void Without_a_usable_xdg_data_home_a_user_uses_local_share(string? dataHome)
    {
        Assert.Equal("/home/u/.local/share/builder", StoreLocation.Resolve(Env(("XDG_DATA_HOME", dataHome!)), isRoot: false, "/home/u"));
    }
}
