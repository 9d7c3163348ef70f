using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Credentials;

public sealed class DockerCredentialProviderTests : IDisposable
{
    private readonly TempHome _home = new();

    public void Dispose() => _home.Dispose();

    private Task<RegistryCredential?> GetAsync(string registry) =>
        new DockerCredentialProvider(_home.Environment).GetAsync(registry, CancellationToken.None);

    [Fact]
    public async Task Without_any_configuration_there_is_no_credential()
    {
        Assert.Null(await GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task Credentials_in_auths_are_found_by_registry_host()
    {
        _home.WriteConfig($$"""{ "auths": { "localhost:5000": { "auth": "{{TempHome.Auth("alice", "secret")}}" } } }""");

        Assert.Equal(new RegistryCredential("alice", "secret"), await GetAsync("localhost:5000"));
        Assert.Null(await GetAsync("localhost:5001"));
    }

    [Theory]
    [InlineData("docker.io")]
    [InlineData("index.docker.io")]
    [InlineData("registry-1.docker.io")]
    public async Task Docker_hub_credentials_are_found_under_the_index_v1_key_for_every_hub_name(string registry)
    {
        _home.WriteConfig($$"""{ "auths": { "https://index.docker.io/v1/": { "auth": "{{TempHome.Auth("alice", "secret")}}" } } }""");

        Assert.Equal(new RegistryCredential("alice", "secret"), await GetAsync(registry));
    }

    [Theory]
    [InlineData("https://registry.example.com")]
    [InlineData("https://registry.example.com/")]
    [InlineData("http://registry.example.com/v1/")]
    [InlineData("https://registry.example.com/v2/")]
    public async Task Credentials_filed_under_a_url_key_are_found_by_its_host(string key)
    {
        _home.WriteConfig($$"""{ "auths": { "{{key}}": { "auth": "{{TempHome.Auth("alice", "secret")}}" } } }""");

        Assert.Equal(new RegistryCredential("alice", "secret"), await GetAsync("registry.example.com"));
    }

    [Fact]
    public async Task The_exact_key_wins_over_a_url_key_for_the_same_host()
    {
        _home.WriteConfig($$"""
            {
              "auths": {
                "https://registry.example.com/": { "auth": "{{TempHome.Auth("old", "stale")}}" },
                "registry.example.com": { "auth": "{{TempHome.Auth("new", "fresh")}}" }
              }
            }
            """);

        Assert.Equal(new RegistryCredential("new", "fresh"), await GetAsync("registry.example.com"));
    }

    [Fact]
    public async Task Identity_and_registry_tokens_are_read_from_auths()
    {
        _home.WriteConfig($$"""
            {
              "auths": {
                "a.example.com": { "auth": "{{TempHome.Auth("alice", "")}}", "identitytoken": "refresh" },
                "b.example.com": { "registrytoken": "bearer" }
              }
            }
            """);

        Assert.Equal(new RegistryCredential("alice", null) { IdentityToken = "refresh" }, await GetAsync("a.example.com"));
        Assert.Equal(new RegistryCredential(null, null) { RegistryToken = "bearer" }, await GetAsync("b.example.com"));
    }

    [Fact]
    public async Task An_empty_auths_entry_is_no_credential()
    {
        _home.WriteConfig("""{ "auths": { "ghcr.io": {} } }""");

        Assert.Null(await GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task Builder_environment_variables_take_precedence_for_every_registry()
    {
        _home.WriteConfig($$"""{ "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("file", "file-pw")}}" } } }""");
        _home.Variables["DOCKER_AUTH_CONFIG"] = $$"""{ "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("env", "env-pw")}}" } } }""";
        _home.Variables["BUILDER_REGISTRY_USERNAME"] = "ci";
        _home.Variables["BUILDER_REGISTRY_PASSWORD"] = "ci-pw";

        Assert.Equal(new RegistryCredential("ci", "ci-pw"), await GetAsync("ghcr.io"));
        Assert.Equal(new RegistryCredential("ci", "ci-pw"), await GetAsync("docker.io"));
    }

    [Fact]
    public async Task Half_a_pair_of_builder_variables_is_an_error_naming_the_missing_one()
    {
        _home.Variables["BUILDER_REGISTRY_USERNAME"] = "ci";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => GetAsync("ghcr.io"));

        Assert.Contains("BUILDER_REGISTRY_PASSWORD", error.Message);
    }

    [Fact]
    public async Task DOCKER_AUTH_CONFIG_takes_precedence_over_config_json()
    {
        _home.WriteConfig($$"""{ "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("file", "file-pw")}}" } } }""");
        _home.Variables["DOCKER_AUTH_CONFIG"] = $$"""{ "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("gitlab", "job-token")}}" } } }""";

        Assert.Equal(new RegistryCredential("gitlab", "job-token"), await GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task DOCKER_AUTH_CONFIG_without_the_registry_falls_back_to_config_json()
    {
        _home.WriteConfig($$"""{ "auths": { "quay.io": { "auth": "{{TempHome.Auth("file", "file-pw")}}" } } }""");
        _home.Variables["DOCKER_AUTH_CONFIG"] = $$"""{ "auths": { "https://registry.gitlab.com": { "auth": "{{TempHome.Auth("gitlab", "job-token")}}" } } }""";

        Assert.Equal(new RegistryCredential("gitlab", "job-token"), await GetAsync("registry.gitlab.com"));
        Assert.Equal(new RegistryCredential("file", "file-pw"), await GetAsync("quay.io"));
    }

    [Fact]
    public async Task A_malformed_DOCKER_AUTH_CONFIG_is_reported_by_name()
    {
        _home.Variables["DOCKER_AUTH_CONFIG"] = "{ auths: ";

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => GetAsync("ghcr.io"));

        Assert.StartsWith("DOCKER_AUTH_CONFIG", error.Message);
    }

    [Fact]
    public async Task The_config_is_read_from_DOCKER_CONFIG()
    {
        var elsewhere = Path.Combine(_home.Root, "ci-docker");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "config.json"), $$"""{ "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("ci", "pw")}}" } } }""");
        _home.Variables["DOCKER_CONFIG"] = elsewhere;

        Assert.Equal(new RegistryCredential("ci", "pw"), await GetAsync("ghcr.io"));
    }

    [Fact]
    public async Task An_empty_cred_helper_entry_keeps_its_registry_in_auths_despite_a_creds_store()
    {
        _home.WriteConfig($$"""
            {
              "auths": { "localhost:5000": { "auth": "{{TempHome.Auth("alice", "secret")}}" } },
              "credsStore": "absent",
              "credHelpers": { "localhost:5000": "" }
            }
            """);

        Assert.Equal(new RegistryCredential("alice", "secret"), await GetAsync("localhost:5000"));
    }
}
