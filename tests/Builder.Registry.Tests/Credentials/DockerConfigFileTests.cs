using System.Text.Json.Nodes;
using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Credentials;

public sealed class DockerConfigFileTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Config_lives_under_DOCKER_CONFIG_when_it_is_set()
    {
        _home.Variables["DOCKER_CONFIG"] = "/etc/ci/docker";

        Assert.Equal("/etc/ci/docker/config.json", DockerConfigFile.Locate(_home.Environment));
    }

    [Fact]
    public void Config_lives_under_HOME_when_DOCKER_CONFIG_is_unset_or_empty()
    {
        _home.Variables["DOCKER_CONFIG"] = "";

        Assert.Equal(Path.Combine(_home.Root, ".docker", "config.json"), DockerConfigFile.Locate(_home.Environment));
    }

    [Fact]
    public async Task A_missing_config_file_reads_as_an_empty_config()
    {
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        Assert.Empty(config.AuthKeys);
        Assert.Null(config.CredsStore);
        Assert.Empty(config.CredHelpers);
        Assert.Null(config.FindAuth("ghcr.io"));
    }

    [Fact]
    public async Task An_empty_config_file_reads_as_an_empty_config()
    {
        _home.WriteConfig("  \n");

        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        Assert.Empty(config.AuthKeys);
    }

    [Fact]
    public async Task Saving_keeps_every_field_builder_does_not_understand()
    {
        _home.WriteConfig($$$"""
            {
              "auths": {
                "quay.io": { "auth": "{{{TempHome.Auth("bob", "pw")}}}", "email": "bob@example.com" }
              },
              "psFormat": "table {{.ID}}\t{{.Names}}",
              "proxies": { "default": { "httpProxy": "http://proxy:3128", "noProxy": "localhost" } },
              "plugins": { "debug": { "hooks": "exec" } },
              "currentContext": "rootless",
              "detachKeys": "ctrl-e,e"
            }
            """);
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        var saved = _home.ReadConfig();
        Assert.Equal("table {{.ID}}\t{{.Names}}", (string?)saved["psFormat"]);
        Assert.Equal("http://proxy:3128", (string?)saved["proxies"]!["default"]!["httpProxy"]);
        Assert.Equal("localhost", (string?)saved["proxies"]!["default"]!["noProxy"]);
        Assert.Equal("exec", (string?)saved["plugins"]!["debug"]!["hooks"]);
        Assert.Equal("rootless", (string?)saved["currentContext"]);
        Assert.Equal("ctrl-e,e", (string?)saved["detachKeys"]);
        Assert.Equal("bob@example.com", (string?)saved["auths"]!["quay.io"]!["email"]);
        Assert.Equal(["quay.io", "ghcr.io"], saved["auths"]!.AsObject().Select(a => a.Key));
    }

    [Fact]
    public async Task A_loaded_and_saved_config_reads_back_the_same_credentials()
    {
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);
        config.SetAuth("ghcr.io", new RegistryCredential("alice", "pa:ss wörd"));
        config.SetAuth("quay.io", new RegistryCredential("robot", null) { IdentityToken = "refresh-token" });
        await config.SaveAsync(CancellationToken.None);

        var reloaded = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        Assert.Equal(new RegistryCredential("alice", "pa:ss wörd"), reloaded.FindAuth("ghcr.io"));
        Assert.Equal(new RegistryCredential("robot", null) { IdentityToken = "refresh-token" }, reloaded.FindAuth("quay.io"));
    }

    [Fact]
    public async Task Credentials_are_written_as_base64_of_user_colon_password()
    {
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        var entry = _home.ReadConfig()["auths"]!["ghcr.io"]!.AsObject();
        Assert.Equal(["auth"], entry.Select(e => e.Key));
        Assert.Equal("YWxpY2U6c2VjcmV0", (string?)entry["auth"]);
    }

    [Fact]
    public async Task Plain_username_and_password_fields_are_read_when_there_is_no_auth()
    {
        _home.WriteConfig("""{ "auths": { "ghcr.io": { "username": "alice", "password": "secret" } } }""");

        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        Assert.Equal(new RegistryCredential("alice", "secret"), config.FindAuth("ghcr.io"));
    }

    [Fact]
    public async Task A_saved_config_is_readable_only_by_its_owner()
    {
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_home.ConfigPath));
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(_home.ConfigPath)!));
    }

    [Fact]
    public async Task Saving_keeps_the_mode_the_user_gave_an_existing_file()
    {
        _home.WriteConfig("{}");
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(_home.ConfigPath, mode);
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        Assert.Equal(mode, File.GetUnixFileMode(_home.ConfigPath));
    }

    [Fact]
    public async Task Saving_replaces_the_file_by_rename_and_leaves_no_temporary_file()
    {
        _home.WriteConfig("{}");
        using var reader = File.OpenRead(_home.ConfigPath);
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        // A reader that opened the old file still sees it whole: the new content went to a new inode.
        Assert.Equal("{}", new StreamReader(reader).ReadToEnd());
        Assert.Equal(["config.json"], Directory.GetFiles(Path.GetDirectoryName(_home.ConfigPath)!).Select(Path.GetFileName));
        Assert.NotNull((await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None)).FindAuth("ghcr.io"));
    }

    [Fact]
    public async Task Saving_a_symlinked_config_updates_the_link_target()
    {
        var dotfiles = Path.Combine(_home.Root, "dotfiles");
        Directory.CreateDirectory(dotfiles);
        var target = Path.Combine(dotfiles, "docker-config.json");
        File.WriteAllText(target, """{ "psFormat": "x" }""");
        Directory.CreateDirectory(Path.GetDirectoryName(_home.ConfigPath)!);
        File.CreateSymbolicLink(_home.ConfigPath, target);
        var config = await DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None);

        config.SetAuth("ghcr.io", new RegistryCredential("alice", "secret"));
        await config.SaveAsync(CancellationToken.None);

        Assert.NotNull(new FileInfo(_home.ConfigPath).LinkTarget);
        var saved = (JsonObject)JsonNode.Parse(File.ReadAllText(target))!;
        Assert.Equal("x", (string?)saved["psFormat"]);
        Assert.NotNull(saved["auths"]!["ghcr.io"]);
    }

    [Fact]
    public async Task A_corrupt_auth_is_reported_by_key_without_its_content()
    {
        _home.WriteConfig("""{ "auths": { "ghcr.io": { "auth": "bm8tY29sb24taGVyZQ==" } } }""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None));

        Assert.Contains(_home.ConfigPath, error.Message);
        Assert.Contains("\"ghcr.io\"", error.Message);
        Assert.DoesNotContain("no-colon-here", error.Message);
        Assert.DoesNotContain("bm8tY29sb24taGVyZQ", error.Message);
    }

    [Fact]
    public async Task A_config_that_is_not_json_is_reported_with_its_path()
    {
        _home.WriteConfig("{ \"auths\": ");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DockerConfigFile.LoadAsync(_home.ConfigPath, CancellationToken.None));

        Assert.Contains(_home.ConfigPath, error.Message);
    }
}
