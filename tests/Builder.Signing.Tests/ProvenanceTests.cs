using System.Text.Json.Nodes;
using Builder.Oci;
using Builder.Oci.References;
using Builder.Signing.Provenance;

namespace Builder.Signing.Tests;

public sealed class ProvenanceTests
{
    [Fact]
    public void The_statement_is_in_toto_v1_with_a_slsa_v1_predicate_naming_dockerfile_args_and_base_digests()
    {
        var image = Digest.Of("image manifest"u8);
        var dockerfile = Digest.Of("FROM debian:bookworm\n"u8);
        var baseDigest = Digest.Of("base manifest"u8);
        var build = new BuildProvenance
        {
            Subjects = [new ImageSubject("docker.io/library/mysite:1", image)],
            DockerfilePath = "Dockerfile",
            DockerfileDigest = dockerfile,
            BuildArgs = new Dictionary<string, string> { ["DEPS"] = "debian", ["BASE_IMAGE"] = "debian:bookworm" },
            Target = "final",
            Platform = "linux/amd64",
            Materials = [BuildMaterial.ForImage(ImageReference.Parse("debian:bookworm"), baseDigest, new Platform("linux", "amd64"))],
            BuilderVersion = "1.0.0",
            StartedOn = DateTimeOffset.Parse("2024-01-01T00:00:00Z"),
            FinishedOn = DateTimeOffset.Parse("2024-01-01T00:01:00Z"),
        };

        var statement = JsonNode.Parse(ProvenanceStatement.Write(build))!;

        Assert.Equal("https://in-toto.io/Statement/v1", (string?)statement["_type"]);
        Assert.Equal("https://slsa.dev/provenance/v1", (string?)statement["predicateType"]);
        Assert.Equal(image.Hex, (string?)statement["subject"]![0]!["digest"]!["sha256"]);
        var definition = statement["predicate"]!["buildDefinition"]!;
        Assert.Equal(ProvenanceStatement.BuildType, (string?)definition["buildType"]);
        Assert.Equal(dockerfile.Hex, (string?)definition["externalParameters"]!["configSource"]!["digest"]!["sha256"]);
        Assert.Equal("debian", (string?)definition["externalParameters"]!["request"]!["args"]!["DEPS"]);
        Assert.Equal("final", (string?)definition["externalParameters"]!["request"]!["target"]);
        var dependency = definition["resolvedDependencies"]![0]!;
        Assert.Equal("pkg:docker/debian@bookworm?platform=linux%2Famd64", (string?)dependency["uri"]);
        Assert.Equal(baseDigest.Hex, (string?)dependency["digest"]!["sha256"]);
        var run = statement["predicate"]!["runDetails"]!;
        Assert.Equal("1.0.0", (string?)run["builder"]!["version"]!["builder"]);
        Assert.Equal("2024-01-01T00:01:00Z", (string?)run["metadata"]!["finishedOn"]);
    }

    [Fact]
    public void An_image_off_docker_hub_is_named_with_its_repository_url()
    {
        var material = BuildMaterial.ForImage(ImageReference.Parse("127.0.0.1:5000/team/base:1"), Digest.Of("x"u8), new Platform("linux", "arm64") { Variant = "v8" });

        Assert.Equal("pkg:docker/team/base@1?platform=linux%2Farm64%2Fv8&repository_url=127.0.0.1%3A5000%2Fteam%2Fbase", material.Uri);
    }
}
