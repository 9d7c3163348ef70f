using Builder.Engine.Solver;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;

namespace Builder.Engine.Tests;

/// <summary>
/// Several target platforms build one OCI image index (<see cref="BuildRequest.Platforms"/>): one image per platform with
/// that platform in its config and its index entry, progress naming the platform with vertices numbered across the
/// whole build, steps that do not depend on the platform run once (under --no-cache too), and every platform's QEMU
/// handler checked before any step. (The integration tests run real RUN steps under QEMU.)
/// </summary>
public sealed class MultiPlatformBuildTests : IDisposable
{
    private static readonly Platform Amd64 = Platform.Parse("linux/amd64");
    private static readonly Platform Arm64 = Platform.Parse("linux/arm64");
    private readonly TestEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private const string Dockerfile = """
        FROM --platform=$BUILDPLATFORM scratch AS files
        COPY Dockerfile /shared
        FROM scratch
        ARG TARGETARCH
        COPY --from=files /shared /shared
        ENV ARCH=$TARGETARCH
        """;

    [Fact]
    public async Task Two_platforms_give_one_index_of_two_images_each_with_its_platform()
    {
        var built = await _engine.BuildAsync(Dockerfile, r => r with { Platforms = [Amd64, Arm64] });

        Assert.Equal(MediaTypes.OciIndex, built.Manifest.MediaType);
        Assert.Equal(built.Manifest.Digest, built.ImageId);
        var store = await _engine.OpenStoreAsync();
        var index = (await store.ReadIndexAsync(built.Manifest, CancellationToken.None)).Value;
        Assert.Equal([Amd64, Arm64], index.Manifests.Select(m => m.Platform));
        foreach (var (entry, platform) in index.Manifests.Zip([Amd64, Arm64]))
        {
            var config = (await store.ReadConfigAsync((await store.ReadManifestAsync(entry, CancellationToken.None)).Value.Config, CancellationToken.None)).Value;
            Assert.Equal((platform.Os, platform.Architecture), (config.Os, config.Architecture));
            Assert.Contains($"ARCH={platform.Architecture}", config.Config!.Env!);
        }
        Assert.Equal([Amd64, Arm64], built.Platforms.Select(p => p.Platform));
    }

    [Fact]
    public async Task Progress_names_each_platform_and_numbers_vertices_across_the_build()
    {
        await _engine.BuildAsync(Dockerfile, r => r with { Platforms = [Amd64, Arm64] });

        var started = _engine.LastEvents.OfType<VertexStarted>().ToList();
        Assert.Equal(started.Count, started.Select(v => v.Vertex).Distinct().Count());
        Assert.Contains(started, v => v.Name.StartsWith("[linux/amd64 ", StringComparison.Ordinal));
        Assert.Contains(started, v => v.Name.StartsWith("[linux/arm64 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_build_arg_no_platform_consumed_is_warned_of_once()
    {
        var built = await _engine.BuildAsync(Dockerfile, r => r with
        {
            Platforms = [Amd64, Arm64], BuildArgs = new Dictionary<string, string> { ["UNUSED"] = "1" },
        });

        Assert.Equal(["UNUSED"], built.UnusedBuildArgs);
        Assert.Single(_engine.LastEvents.OfType<BuildWarning>(), w => w.Message.Contains("UNUSED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_step_that_does_not_depend_on_the_platform_runs_once_even_without_the_cache()
    {
        await _engine.BuildAsync(Dockerfile, r => r with { Platforms = [Amd64, Arm64], NoCache = true });

        var events = _engine.LastEvents;
        var copies = events.OfType<VertexStarted>().Where(v => v.Name.Contains("COPY Dockerfile /shared", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, copies.Count);
        Assert.DoesNotContain(events, e => e is VertexCached c && c.Vertex == copies[0].Vertex);
        Assert.Contains(events, e => e is VertexCached c && c.Vertex == copies[1].Vertex);
        // What depends on the platform is built for each (its ENV differs), never taken from the other.
        var perPlatform = events.OfType<VertexStarted>().Where(v => v.Name.Contains("COPY --from=files", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, perPlatform.Count);
    }

    [Fact]
    public async Task A_missing_qemu_handler_for_any_platform_fails_before_any_step()
    {
        var binfmt = Directory.CreateTempSubdirectory("binfmt-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(binfmt, "status"), "enabled\n");
            _engine.Emulators = new BinfmtEmulators(binfmt);
            var foreign = Platform.Host.Architecture == "arm64" ? Amd64 : Arm64;
            var error = await Assert.ThrowsAsync<BuildException>(() =>
                _engine.BuildAsync("FROM scratch\nCOPY Dockerfile /\nRUN true\n", r => r with { Platforms = [Platform.Host, foreign] }));

            Assert.Equal(3, error.Line);
            Assert.Contains($"RUN for {foreign} needs QEMU", error.Message, StringComparison.Ordinal);
            Assert.Empty(_engine.LastEvents.OfType<VertexStarted>());
        }
        finally
        {
            Directory.Delete(binfmt, recursive: true);
        }
    }
}
