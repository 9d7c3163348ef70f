using Builder.Dockerfile.Binding;

namespace Builder.Dockerfile.Tests.Binding;

public sealed class RunMountTests
{
    [Fact]
    public void Bind_mount_is_the_default_type_and_read_only()
    {
        var mount = RunMount.Parse("target=/src,source=.,from=build");

        Assert.Equal(MountType.Bind, mount.Type);
        Assert.True(mount.ReadOnly);
        Assert.Equal("/src", mount.Target);
        Assert.Equal(".", mount.Source);
        Assert.Equal("build", mount.From);
    }

    [Fact]
    public void Cache_mount_reads_sharing_mode_and_owner_and_defaults_its_id_to_the_target()
    {
        var mount = RunMount.Parse("type=cache,target=/var/cache/apt,sharing=locked,mode=0700,uid=100,gid=101");

        Assert.Equal(MountType.Cache, mount.Type);
        Assert.Equal("/var/cache/apt", mount.Id);
        Assert.Equal(CacheSharing.Locked, mount.Sharing);
        Assert.Equal(0x1C0u, mount.Mode);
        Assert.Equal(100u, mount.Uid);
        Assert.Equal(101u, mount.Gid);
        Assert.False(mount.ReadOnly);
    }

    [Fact]
    public void Secret_mount_defaults_its_target_under_run_secrets()
    {
        var mount = RunMount.Parse("type=secret,id=npmrc,required");

        Assert.Equal("/run/secrets/npmrc", mount.Target);
        Assert.True(mount.Required);
    }

    [Fact]
    public void Secret_mount_as_environment_variable_has_no_file()
    {
        var mount = RunMount.Parse("type=secret,id=token,env=TOKEN");

        Assert.Equal("TOKEN", mount.Env);
        Assert.Equal(string.Empty, mount.Target);
    }

    [Fact]
    public void Tmpfs_size_and_csv_quoting_are_understood()
    {
        var mount = RunMount.Parse("type=tmpfs,\"target=/a,b\",size=64m");

        Assert.Equal("/a,b", mount.Target);
        Assert.Equal(64L << 20, mount.SizeBytes);
    }

    [Theory]
    [InlineData("type=volume,target=/x", "unsupported mount type \"volume\"")]
    [InlineData("type=cache,target=/x,sharing=global", "unsupported sharing value \"global\"")]
    [InlineData("type=cache,target=/x,mode=999", "invalid value 999 for mode")]
    [InlineData("type=bind,target=/x,ro=perhaps", "invalid value for ro: perhaps")]
    public void Bad_mounts_are_explained(string value, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => RunMount.Parse(value)).Message);
    }
}
