using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Credentials;

public sealed class CredentialStoreTests : IDisposable
{
    private readonly TempHome _home = new();

    public CredentialStoreTests() => Store = new CredentialStore(_home.Environment);

    private CredentialStore Store { get; }

    public void Dispose() => _home.Dispose();

    [Theory]
    [InlineData("docker.io")]
    [InlineData("index.docker.io")]
    [InlineData("registry-1.docker.io")]
    [InlineData("")]
    public async Task Docker_hub_credentials_are_stored_under_the_index_v1_key(string registry)
    {
        await Store.StoreAsync(registry, new RegistryCredential("alice", "secret"), CancellationToken.None);

        var auths = _home.ReadConfig()["auths"]!.AsObject();
        Assert.Equal(["https://index.docker.io/v1/"], auths.Select(a => a.Key));
        Assert.Equal(TempHome.Auth("alice", "secret"), (string?)auths["https://index.docker.io/v1/"]!["auth"]);
    }

    [Fact]
    public async Task Other_registries_are_stored_under_host_and_port()
    {
        await Store.StoreAsync("https://localhost:5000/", new RegistryCredential("alice", "secret"), CancellationToken.None);

        Assert.Equal(["localhost:5000"], _home.ReadConfig()["auths"]!.AsObject().Select(a => a.Key));
    }

    [Fact]
    public async Task A_stored_credential_is_what_the_provider_finds()
    {
        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", "secret"), CancellationToken.None);

        var found = await new DockerCredentialProvider(_home.Environment).GetAsync("ghcr.io", CancellationToken.None);

        Assert.Equal(new RegistryCredential("alice", "secret"), found);
    }

    [Fact]
    public async Task An_identity_token_is_stored_in_identitytoken_beside_the_user_name()
    {
        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", null) { IdentityToken = "refresh" }, CancellationToken.None);

        var entry = _home.ReadConfig()["auths"]!["ghcr.io"]!;
        Assert.Equal(TempHome.Auth("alice", ""), (string?)entry["auth"]);
        Assert.Equal("refresh", (string?)entry["identitytoken"]);
    }

    [Fact]
    public async Task Storing_again_replaces_the_previous_credential()
    {
        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", "old"), CancellationToken.None);
        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", "new"), CancellationToken.None);

        var found = await new DockerCredentialProvider(_home.Environment).GetAsync("ghcr.io", CancellationToken.None);

        Assert.Equal(new RegistryCredential("alice", "new"), found);
    }

    [Fact]
    public async Task Storing_into_an_existing_empty_DOCKER_CONFIG_directory_creates_the_file()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_home.Root, "empty-config")).FullName;
        _home.Variables["DOCKER_CONFIG"] = empty;

        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", "secret"), CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(empty, "config.json")));
    }

    [Fact]
    public async Task Storing_writes_to_DOCKER_CONFIG_when_it_is_set()
    {
        var elsewhere = Path.Combine(_home.Root, "ci", "docker");
        _home.Variables["DOCKER_CONFIG"] = elsewhere;

        await Store.StoreAsync("ghcr.io", new RegistryCredential("alice", "secret"), CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(elsewhere, "config.json")));
        Assert.False(File.Exists(_home.ConfigPath));
    }

    [Fact]
    public async Task Erasing_removes_the_entry_and_its_url_forms_and_keeps_the_rest()
    {
        _home.WriteConfig($$"""
            {
              "auths": {
                "ghcr.io": { "auth": "{{TempHome.Auth("a", "1")}}" },
                "https://ghcr.io": { "auth": "{{TempHome.Auth("b", "2")}}" },
                "http://ghcr.io/v1/": { "auth": "{{TempHome.Auth("c", "3")}}" },
                "quay.io": { "auth": "{{TempHome.Auth("d", "4")}}" }
              },
              "psFormat": "table"
            }
            """);

        var erased = await Store.EraseAsync("ghcr.io", CancellationToken.None);

        Assert.True(erased);
        var saved = _home.ReadConfig();
        Assert.Equal(["quay.io"], saved["auths"]!.AsObject().Select(a => a.Key));
        Assert.Equal("table", (string?)saved["psFormat"]);
        Assert.Null(await new DockerCredentialProvider(_home.Environment).GetAsync("ghcr.io", CancellationToken.None));
    }

    [Fact]
    public async Task Erasing_a_registry_that_has_no_credential_reports_nothing_removed_and_writes_nothing()
    {
        Assert.False(await Store.EraseAsync("ghcr.io", CancellationToken.None));
        Assert.False(File.Exists(_home.ConfigPath));
    }

    [Fact]
    public async Task A_user_name_with_a_colon_is_refused_because_it_could_not_be_read_back()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => Store.StoreAsync("ghcr.io", new RegistryCredential("a:b", "secret"), CancellationToken.None));
        Assert.False(File.Exists(_home.ConfigPath));
    }

    [Fact]
    public async Task An_empty_credential_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(
            () => Store.StoreAsync("ghcr.io", new RegistryCredential(null, null), CancellationToken.None));
    }
}
