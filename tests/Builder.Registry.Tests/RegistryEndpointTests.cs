namespace Builder.Registry.Tests;

public sealed class RegistryEndpointTests
{
    private static readonly RegistryOptions Defaults = new();

    [Theory]
    [InlineData("docker.io", "https://registry-1.docker.io/")]
    [InlineData("index.docker.io", "https://registry-1.docker.io/")]
    [InlineData("ghcr.io", "https://ghcr.io/")]
    [InlineData("registry.example:5000", "https://registry.example:5000/")]
    [InlineData("127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("localhost:5000", "http://localhost:5000/")]
    [InlineData("[::1]:5000", "http://[::1]:5000/")]
    [InlineData("127.5.6.7", "http://127.5.6.7/")]
    public void Registries_resolve_to_their_api_base(string registry, string expected) =>
        Assert.Equal(expected, RegistryEndpoint.Resolve(registry, Defaults).BaseUri.ToString());

    [Fact]
    public void Insecure_registries_use_tls_without_verification_until_told_tls_is_absent()
    {
        var options = new RegistryOptions { InsecureRegistries = new HashSet<string> { "10.0.0.5:5000" } };

        var probing = RegistryEndpoint.Resolve("10.0.0.5:5000", options);
        var plain = RegistryEndpoint.Resolve("10.0.0.5:5000", options, plainHttp: true);

        Assert.Equal("https://10.0.0.5:5000/", probing.BaseUri.ToString());
        Assert.True(probing.SkipTlsVerify);
        Assert.Equal("http://10.0.0.5:5000/", plain.BaseUri.ToString());
    }

    [Fact]
    public void Secure_registries_never_fall_back_to_plain_http() =>
        Assert.Equal("https", RegistryEndpoint.Resolve("registry.example", Defaults, plainHttp: true).BaseUri.Scheme);

    [Fact]
    public void Environment_gives_insecure_registries_and_mirrors()
    {
        var environment = new Dictionary<string, string>
        {
            ["BUILDER_INSECURE_REGISTRIES"] = "a.example:5000, b.example",
            ["BUILDER_REGISTRY_MIRRORS"] = "docker.io=mirror.example;mirror2.example",
        };

        var options = RegistryOptions.FromEnvironment(environment.GetValueOrDefault, ["c.example"]);

        Assert.Equal(["a.example:5000", "b.example", "c.example"], options.InsecureRegistries.Order());
        Assert.Equal(["mirror.example", "mirror2.example"], options.Mirrors["docker.io"]);
    }

    [Fact]
    public void A_malformed_mirror_setting_is_an_error() =>
        Assert.Throws<ArgumentException>(() => RegistryOptions.FromEnvironment(n => n == "BUILDER_REGISTRY_MIRRORS" ? "nomirror" : null));
}
