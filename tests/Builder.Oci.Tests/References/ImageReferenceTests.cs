using Builder.Oci.References;

namespace Builder.Oci.Tests.References;

public sealed class ImageReferenceTests
{
    private const string Sha = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    // input, registry, repository, tag, digest, canonical, familiar name
    [InlineData("busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null, "docker.io/library/busybox:1.36", "busybox")]
    [InlineData("library/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox")]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox")]
    [InlineData("docker.io/library/busybox:latest", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox")]
    [InlineData("index.docker.io/busybox", "docker.io", "library/busybox", "latest", null, "docker.io/library/busybox:latest", "busybox")]
    [InlineData("user/repo", "docker.io", "user/repo", "latest", null, "docker.io/user/repo:latest", "user/repo")]
    [InlineData("user/repo:v1.0", "docker.io", "user/repo", "v1.0", null, "docker.io/user/repo:v1.0", "user/repo")]
    [InlineData("library/a/b", "docker.io", "library/a/b", "latest", null, "docker.io/library/a/b:latest", "library/a/b")]
    [InlineData("host:5000/a/b:tag", "host:5000", "a/b", "tag", null, "host:5000/a/b:tag", "host:5000/a/b")]
    [InlineData("localhost/x", "localhost", "x", "latest", null, "localhost/x:latest", "localhost/x")]
    [InlineData("localhost:5000/x", "localhost:5000", "x", "latest", null, "localhost:5000/x:latest", "localhost:5000/x")]
    [InlineData("ghcr.io/owner/image:1", "ghcr.io", "owner/image", "1", null, "ghcr.io/owner/image:1", "ghcr.io/owner/image")]
    [InlineData("Foo/bar", "Foo", "bar", "latest", null, "Foo/bar:latest", "Foo/bar")]
    [InlineData("127.0.0.1:5000/x/y", "127.0.0.1:5000", "x/y", "latest", null, "127.0.0.1:5000/x/y:latest", "127.0.0.1:5000/x/y")]
    [InlineData("[::1]:5000/x", "[::1]:5000", "x", "latest", null, "[::1]:5000/x:latest", "[::1]:5000/x")]
    [InlineData("[2001:db8::1]/x:t", "[2001:db8::1]", "x", "t", null, "[2001:db8::1]/x:t", "[2001:db8::1]/x")]
    [InlineData("busybox@" + Sha, "docker.io", "library/busybox", null, Sha, "docker.io/library/busybox@" + Sha, "busybox")]
    [InlineData("busybox:1.36@" + Sha, "docker.io", "library/busybox", "1.36", Sha, "docker.io/library/busybox:1.36@" + Sha, "busybox")]
    [InlineData("host:5000/a@" + Sha, "host:5000", "a", null, Sha, "host:5000/a@" + Sha, "host:5000/a")]
    [InlineData("a.b-c.d/e--f/g_h.i:T_a.g-1", "a.b-c.d", "e--f/g_h.i", "T_a.g-1", null, "a.b-c.d/e--f/g_h.i:T_a.g-1", "a.b-c.d/e--f/g_h.i")]
    [InlineData("a---b", "docker.io", "library/a---b", "latest", null, "docker.io/library/a---b:latest", "a---b")]
    [InlineData("a__b", "docker.io", "library/a__b", "latest", null, "docker.io/library/a__b:latest", "a__b")]
    [InlineData("x:_tag", "docker.io", "library/x", "_tag", null, "docker.io/library/x:_tag", "x")]
    [InlineData("registry.example.com/deep/er/path/x", "registry.example.com", "deep/er/path/x", "latest", null, "registry.example.com/deep/er/path/x:latest", "registry.example.com/deep/er/path/x")]
    public void References_are_parsed_and_normalised_as_docker_does(
        string text, string registry, string repository, string? tag, string? digest, string canonical, string familiarName)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest?.ToString());
        Assert.Equal(canonical, reference.ToString());
        Assert.Equal(familiarName, reference.FamiliarName);
        Assert.Equal(reference, ImageReference.Parse(reference.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Busybox", "must be lowercase")]
    [InlineData("user/Repo", "must be lowercase")]
    [InlineData("docker.io/User/repo", "must be lowercase")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "64-character hexadecimal")]
    [InlineData("busybox:", "is not a valid tag")]
    [InlineData("busybox:-x", "is not a valid tag")]
    [InlineData("busybox:.x", "is not a valid tag")]
    [InlineData("busybox:a/b", "\"busybox:a\" is not a valid registry")]
    [InlineData("busybox:a:b", "is not a valid tag")]
    [InlineData("busybox@sha256:abc", "is not a valid digest")]
    [InlineData("busybox@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "lower-case hex")]
    [InlineData("busybox@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm")]
    [InlineData("busybox@", "is not a valid digest")]
    [InlineData("a//b", "empty path component")]
    [InlineData("a/", "empty path component")]
    [InlineData("/a", "empty path component")]
    [InlineData("-a", "path component \"-a\"")]
    [InlineData("a-", "path component \"a-\"")]
    [InlineData("a..b", "path component \"a..b\"")]
    [InlineData("a___b", "path component \"a___b\"")]
    [InlineData("a_.b", "path component \"a_.b\"")]
    [InlineData("a b", "path component \"a b\"")]
    [InlineData("host:port/x", "is not a valid registry")]
    [InlineData("-host.com/x", "is not a valid registry")]
    [InlineData("host.com:/x", "is not a valid registry")]
    [InlineData("[::1/x", "is not a valid registry")]
    // docker parses this as a registry-less name (a quirk of its regexp); a host with "_" is never reachable.
    [InlineData("under_score.com/x", "is not a valid registry")]
    [InlineData("[::1]:5000", "path component \"[\"")]
    [InlineData("busybox\n", "path component")]
    public void Invalid_references_are_rejected_with_a_reason(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(text));

        Assert.Contains(reason, error.Message);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void A_tag_of_128_characters_is_the_longest_allowed()
    {
        Assert.Equal(128, ImageReference.Parse("x:" + new string('a', 128)).Tag!.Length);
        Assert.Throws<FormatException>(() => ImageReference.Parse("x:" + new string('a', 129)));
    }

    [Fact]
    public void A_name_of_255_characters_is_the_longest_allowed()
    {
        var host = "registry.example.com/"; // 21 characters with the slash
        Assert.Equal(255, ImageReference.Parse(host + new string('a', 255 - host.Length)).Name.Length);
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(host + new string('a', 256 - host.Length)));
        Assert.Contains("255 characters", error.Message);
    }

    [Fact]
    public void The_error_names_the_reference_that_was_given()
    {
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse("Ubuntu:22.04"));

        Assert.Equal("invalid image reference \"Ubuntu:22.04\": repository name \"library/Ubuntu\" must be lowercase", error.Message);
    }

    [Fact]
    public void Familiar_string_is_dockers_short_form()
    {
        Assert.Equal("busybox:latest", ImageReference.Parse("docker.io/library/busybox").FamiliarString);
        Assert.Equal("user/repo@" + Sha, ImageReference.Parse("user/repo@" + Sha).FamiliarString);
    }

    [Fact]
    public void Tags_and_digests_can_be_replaced()
    {
        var reference = ImageReference.Parse("busybox");

        Assert.Equal("docker.io/library/busybox:1", reference.WithTag("1").ToString());
        Assert.Equal("docker.io/library/busybox:latest@" + Sha, reference.WithDigest(Digest.Parse(Sha)).ToString());
        Assert.Equal("docker.io/library/busybox", reference.WithoutTagOrDigest().ToString());
        Assert.Throws<FormatException>(() => reference.WithTag("-bad"));
    }
}
