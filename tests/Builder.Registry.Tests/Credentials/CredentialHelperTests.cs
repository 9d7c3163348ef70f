using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Credentials;

[Collection(HelperProcessCollection.Name)]
public sealed class CredentialHelperTests : IDisposable
{
    private const string HubKey = "https://index.docker.io/v1/";

    private readonly TempHome _home = new();
    private readonly FakeHelper _helper;

    public CredentialHelperTests() => _helper = new FakeHelper(_home);

    public void Dispose() => _home.Dispose();

    private CredentialHelper Helper => new(FakeHelper.Name, _home.Environment);

    private Task<RegistryCredential?> ProvideAsync(string registry) =>
        new DockerCredentialProvider(_home.Environment).GetAsync(registry, CancellationToken.None);

    [Fact]
    public async Task Get_returns_the_user_name_and_secret_the_helper_holds()
    {
        _helper.Hold("ghcr.io", "alice", "secret");

        Assert.Equal(new RegistryCredential("alice", "secret"), await Helper.GetAsync("ghcr.io", CancellationToken.None));
    }

    [Fact]
    public async Task A_token_user_name_means_the_secret_is_an_identity_token()
    {
        _helper.Hold("ghcr.io", "<token>", "refresh");

        var credential = await Helper.GetAsync("ghcr.io", CancellationToken.None);

        Assert.Equal(new RegistryCredential(null, null) { IdentityToken = "refresh" }, credential);
    }

    [Fact]
    public async Task Not_found_in_the_keychain_is_no_credential()
    {
        Assert.Null(await Helper.GetAsync("ghcr.io", CancellationToken.None));
        Assert.False(await Helper.EraseAsync("ghcr.io", CancellationToken.None));
    }

    [Fact]
    public async Task Store_then_get_then_erase_round_trips_through_the_helper()
    {
        await Helper.StoreAsync("ghcr.io", new RegistryCredential("alice", "pa\"ss<wörd>"), CancellationToken.None);
        var stored = await Helper.GetAsync("ghcr.io", CancellationToken.None);
        var erased = await Helper.EraseAsync("ghcr.io", CancellationToken.None);

        Assert.Equal(new RegistryCredential("alice", "pa\"ss<wörd>"), stored);
        Assert.True(erased);
        Assert.Null(await Helper.GetAsync("ghcr.io", CancellationToken.None));
        Assert.Equal(["store ghcr.io", "get ghcr.io", "erase ghcr.io", "get ghcr.io"], _helper.Calls);
    }

    [Fact]
    public async Task A_missing_helper_is_an_error_naming_its_program()
    {
        var missing = new CredentialHelper("absent", _home.Environment);

        var error = await Assert.ThrowsAsync<CredentialHelperException>(() => missing.GetAsync("ghcr.io", CancellationToken.None));

        Assert.Equal("absent", error.Helper);
        Assert.Contains("docker-credential-absent", error.Message);
    }

    [Fact]
    public async Task A_failing_helper_is_reported_by_name_with_its_message()
    {
        _helper.FailFromNowOn();

        var error = await Assert.ThrowsAsync<CredentialHelperException>(() => Helper.GetAsync("ghcr.io", CancellationToken.None));

        Assert.Contains("docker-credential-test", error.Message);
        Assert.Contains("keychain is locked", error.Message);
        Assert.Contains("ghcr.io", error.Message);
    }

    [Theory]
    [InlineData("plain-secret-123")]
    [InlineData("needs \"escaping\" <in> json\\")]
    public async Task A_failing_helper_error_never_contains_the_secret(string secret)
    {
        _helper.FailFromNowOn();

        var error = await Assert.ThrowsAsync<CredentialHelperException>(
            () => Helper.StoreAsync("ghcr.io", new RegistryCredential("alice", secret), CancellationToken.None));

        Assert.Contains("docker-credential-test", error.Message);
        Assert.Contains("keychain is locked", error.Message);
        Assert.DoesNotContain(secret, error.Message);
        Assert.DoesNotContain("escaping", error.Message);
    }

    [Fact]
    public async Task A_failing_helper_error_never_contains_an_identity_token()
    {
        _helper.FailFromNowOn();

        var error = await Assert.ThrowsAsync<CredentialHelperException>(() => Helper.StoreAsync(
            "ghcr.io", new RegistryCredential("alice", null) { IdentityToken = "refresh-token-xyz" }, CancellationToken.None));

        Assert.DoesNotContain("refresh-token-xyz", error.Message);
    }

    [Fact]
    public async Task The_provider_asks_the_registrys_cred_helper_before_auths()
    {
        _home.WriteConfig($$"""
            {
              "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("file", "file-pw")}}" } },
              "credHelpers": { "ghcr.io": "test" }
            }
            """);
        _helper.Hold("ghcr.io", "helper", "helper-pw");

        Assert.Equal(new RegistryCredential("helper", "helper-pw"), await ProvideAsync("ghcr.io"));
    }

    [Fact]
    public async Task The_provider_asks_the_creds_store_for_docker_hub_under_the_index_v1_key()
    {
        _home.WriteConfig("""{ "auths": { "https://index.docker.io/v1/": {} }, "credsStore": "test" }""");
        _helper.Hold(HubKey, "alice", "hub-pw");

        Assert.Equal(new RegistryCredential("alice", "hub-pw"), await ProvideAsync("docker.io"));
        Assert.Equal([$"get {HubKey}"], _helper.Calls);
    }

    [Fact]
    public async Task A_registrys_cred_helper_wins_over_the_creds_store()
    {
        _home.WriteConfig($$"""
            {
              "auths": { "quay.io": { "auth": "{{TempHome.Auth("file", "file-pw")}}" } },
              "credsStore": "absent",
              "credHelpers": { "ghcr.io": "test" }
            }
            """);
        _helper.Hold("ghcr.io", "helper", "helper-pw");

        Assert.Equal(new RegistryCredential("helper", "helper-pw"), await ProvideAsync("ghcr.io"));
        // Every other registry belongs to the creds store, which is not installed: that is an error, not auths.
        await Assert.ThrowsAsync<CredentialHelperException>(() => ProvideAsync("quay.io"));
    }

    [Fact]
    public async Task A_helper_that_has_nothing_does_not_fall_back_to_auths()
    {
        _home.WriteConfig($$"""
            {
              "auths": { "ghcr.io": { "auth": "{{TempHome.Auth("stale", "stale-pw")}}" } },
              "credHelpers": { "ghcr.io": "test" }
            }
            """);

        Assert.Null(await ProvideAsync("ghcr.io"));
    }

    [Fact]
    public async Task DOCKER_AUTH_CONFIG_may_name_a_cred_helper()
    {
        _home.Variables["DOCKER_AUTH_CONFIG"] = """{ "credHelpers": { "ghcr.io": "test" } }""";
        _helper.Hold("ghcr.io", "gitlab", "job-token");

        Assert.Equal(new RegistryCredential("gitlab", "job-token"), await ProvideAsync("ghcr.io"));
    }

    [Fact]
    public async Task Login_with_a_creds_store_hands_the_secret_to_the_helper_and_leaves_an_empty_auths_entry()
    {
        _home.WriteConfig("""{ "credsStore": "test", "psFormat": "table" }""");
        var store = new CredentialStore(_home.Environment);

        await store.StoreAsync("docker.io", new RegistryCredential("alice", "hub-pw"), CancellationToken.None);

        var held = _helper.Held(HubKey)!;
        Assert.Equal(HubKey, (string?)held["ServerURL"]);
        Assert.Equal("alice", (string?)held["Username"]);
        Assert.Equal("hub-pw", (string?)held["Secret"]);
        var config = _home.ReadConfig();
        Assert.Empty(config["auths"]![HubKey]!.AsObject());
        Assert.DoesNotContain("hub-pw", File.ReadAllText(_home.ConfigPath));
        Assert.Equal("table", (string?)config["psFormat"]);
        Assert.Equal(new RegistryCredential("alice", "hub-pw"), await ProvideAsync("docker.io"));
    }

    [Fact]
    public async Task Login_with_an_identity_token_stores_it_in_the_helper_as_the_token_user()
    {
        _home.WriteConfig("""{ "credHelpers": { "ghcr.io": "test" } }""");
        var store = new CredentialStore(_home.Environment);

        await store.StoreAsync("ghcr.io", new RegistryCredential("alice", null) { IdentityToken = "refresh" }, CancellationToken.None);

        var held = _helper.Held("ghcr.io")!;
        Assert.Equal("<token>", (string?)held["Username"]);
        Assert.Equal("refresh", (string?)held["Secret"]);
    }

    [Fact]
    public async Task Logout_with_a_cred_helper_erases_from_the_helper_and_the_auths_entry()
    {
        _home.WriteConfig("""{ "auths": { "ghcr.io": {} }, "credHelpers": { "ghcr.io": "test" } }""");
        _helper.Hold("ghcr.io", "alice", "secret");
        var store = new CredentialStore(_home.Environment);

        var erased = await store.EraseAsync("ghcr.io", CancellationToken.None);

        Assert.True(erased);
        Assert.Null(_helper.Held("ghcr.io"));
        Assert.Empty(_home.ReadConfig()["auths"]!.AsObject());
        // Like docker logout, the helper is also asked about the URL forms older clients used.
        Assert.Equal(["erase ghcr.io", "erase http://ghcr.io", "erase https://ghcr.io"], _helper.Calls);
        Assert.False(await store.EraseAsync("ghcr.io", CancellationToken.None));
    }

    [Fact]
    public async Task Logout_from_a_failing_helper_is_an_error_and_keeps_the_file()
    {
        _home.WriteConfig("""{ "auths": { "ghcr.io": {} }, "credsStore": "test" }""");
        _helper.FailFromNowOn();
        var store = new CredentialStore(_home.Environment);

        await Assert.ThrowsAsync<CredentialHelperException>(() => store.EraseAsync("ghcr.io", CancellationToken.None));

        Assert.NotNull(_home.ReadConfig()["auths"]!["ghcr.io"]);
    }
}
