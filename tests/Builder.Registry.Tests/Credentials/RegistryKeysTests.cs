using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Credentials;

public sealed class RegistryKeysTests
{
    [Theory]
    [InlineData("docker.io")]
    [InlineData("index.docker.io")]
    [InlineData("registry-1.docker.io")]
    [InlineData("https://index.docker.io/v1/")]
    [InlineData("https://index.docker.io/v1")]
    [InlineData("")]
    public void Docker_hub_names_all_map_to_the_index_v1_key(string registry) =>
        Assert.Equal("https://index.docker.io/v1/", RegistryKeys.Normalize(registry));

    [Theory]
    [InlineData("ghcr.io", "ghcr.io")]
    [InlineData("localhost:5000", "localhost:5000")]
    [InlineData("https://ghcr.io/", "ghcr.io")]
    [InlineData("http://registry.example.com:5000/v1/", "registry.example.com:5000")]
    [InlineData("https://127.0.0.1:5000", "127.0.0.1:5000")]
    public void Other_registries_are_keyed_by_host_and_port(string registry, string expected) =>
        Assert.Equal(expected, RegistryKeys.Normalize(registry));

    [Fact]
    public void Only_http_and_https_are_stripped_as_schemes() =>
        Assert.Equal("ftp:", RegistryKeys.ToHost("ftp://files.example.com/"));
}
