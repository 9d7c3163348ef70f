using Builder.Registry.Auth;

namespace Builder.Registry.Tests.Auth;

public sealed class AuthChallengeTests
{
    [Fact]
    public void Bearer_challenge_gives_realm_service_and_scope()
    {
        var challenge = Assert.Single(AuthChallenge.ParseAll(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\""));

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:library/busybox:pull", challenge.Scope);
    }

    [Fact]
    public void Several_challenges_in_one_header_are_all_read()
    {
        var challenges = AuthChallenge.ParseAll("Basic realm=\"x, y\", Bearer realm=\"https://a/t\" ,  service=s");

        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("x, y", challenges[0].Realm);
        Assert.Equal("s", challenges[1].Service);
    }

    [Fact]
    public void Quoted_values_are_unescaped_and_names_are_case_insensitive()
    {
        var challenge = Assert.Single(AuthChallenge.ParseAll("basic REALM=\"say \\\"hi\\\"\""));

        Assert.True(challenge.IsBasic);
        Assert.Equal("say \"hi\"", challenge.Realm);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(",,")]
    public void Empty_headers_have_no_challenges(string header) => Assert.Empty(AuthChallenge.ParseAll(header));
}
