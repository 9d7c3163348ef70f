using Builder.Cache;
using Builder.Cache.Backends;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Cli.Tests;

/// <summary>
/// <c>builder cache ls</c> and <c>builder cache prune</c> over an exported cache in an OCI layout directory
/// (<c>type=local</c>): Builder's entries are listed and pruned by age; nothing else in the place is touched.
/// </summary>
public sealed class CacheCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("builder-cache-commands-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Source => $"type=local,src={_directory}";

    private async Task PutAsync(string tag, string artifactType, DateTimeOffset created, string description)
    {
        var spec = new CacheSpec(null, _directory, CacheSpec.DefaultTag);
        using var backend = await LayoutCacheBackend.OpenAsync(spec, push: true, CancellationToken.None);
        var empty = CacheEntries.EmptyDescriptor;
        if (!await backend.HasBlobAsync(empty, CancellationToken.None))
        {
            await backend.PushBlobAsync(empty, _ => Task.FromResult<Stream>(new MemoryStream(CacheEntries.EmptyJson.ToArray())), CancellationToken.None);
        }
        var manifest = ImageManifest.Oci(empty, [empty]) with
        {
            ArtifactType = artifactType,
            Annotations = new Dictionary<string, string>
            {
                [CacheEntries.CreatedAnnotation] = created.ToString("O"),
                [artifactType == CacheEntries.StepArtifactType ? CacheEntries.CreatedByAnnotation : CacheEntries.MountIdAnnotation] = description,
            },
        };
        await backend.PutEntryAsync(tag, OciJson.Serialize(manifest, OciJson.Manifest), CancellationToken.None);
    }

    [Fact]
    public async Task Ls_lists_builders_entries_of_the_tag_and_nothing_else()
    {
        await PutAsync("buildcache-" + new string('a', 64), CacheEntries.StepArtifactType, DateTimeOffset.UtcNow, "RUN make # buildkit");
        await PutAsync("buildcache-mount-" + new string('b', 64), CacheEntries.MountArtifactType, DateTimeOffset.UtcNow, "/root/.cache");
        await PutAsync("other-" + new string('c', 64), CacheEntries.StepArtifactType, DateTimeOffset.UtcNow, "RUN other # buildkit");
        await PutAsync("buildcache-image", "application/vnd.example.not-ours", DateTimeOffset.UtcNow, "x");

        var result = CliRunner.Run("cache", "ls", Source);

        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length); // the header and Builder's two entries under "buildcache"
        Assert.Contains(lines, l => l.StartsWith("step", StringComparison.Ordinal) && l.Contains("RUN make # buildkit", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("mount", StringComparison.Ordinal) && l.Contains("/root/.cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Prune_deletes_the_entries_older_than_keep_duration_and_keeps_the_rest()
    {
        await PutAsync("buildcache-" + new string('a', 64), CacheEntries.StepArtifactType, DateTimeOffset.UtcNow.AddDays(-10), "RUN old # buildkit");
        await PutAsync("buildcache-" + new string('d', 64), CacheEntries.StepArtifactType, DateTimeOffset.UtcNow, "RUN new # buildkit");
        await PutAsync("buildcache-image", "application/vnd.example.not-ours", DateTimeOffset.UtcNow.AddDays(-10), "x");

        var pruned = CliRunner.Run("cache", "prune", Source, "--keep-duration", "168h");

        Assert.Equal(0, pruned.ExitCode);
        Assert.StartsWith("Deleted 1 cache entries", pruned.Out, StringComparison.Ordinal);
        var listed = CliRunner.Run("cache", "ls", Source).Out;
        Assert.DoesNotContain("RUN old", listed, StringComparison.Ordinal);
        Assert.Contains("RUN new", listed, StringComparison.Ordinal);

        Assert.StartsWith("Deleted 1 cache entries", CliRunner.Run("cache", "prune", Source, "--keep-duration", "0s").Out, StringComparison.Ordinal);
        Assert.Single(CliRunner.Run("cache", "ls", Source).Out.TrimEnd('\n').Split('\n')); // the header only
        var spec = new CacheSpec(null, _directory, CacheSpec.DefaultTag);
        using var backend = await LayoutCacheBackend.OpenAsync(spec, push: false, CancellationToken.None);
        Assert.NotNull(await backend.GetEntryAsync("buildcache-image", CancellationToken.None)); // not Builder's: kept
    }

    [Theory]
    [InlineData("--keep-duration", "soon", "error: --keep-duration: time: invalid duration \"soon\"")]
    [InlineData("--keep-duration", "-1h", "error: --keep-duration: time: negative duration \"-1h\"")]
    public void Prune_refuses_a_bad_duration_as_a_usage_error(string flag, string value, string error)
    {
        var result = CliRunner.Run("cache", "prune", flag, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(error + "\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Local_prune_reports_what_it_deleted()
    {
        var result = CliRunner.Run("cache", "prune");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Deleted ", result.Out, StringComparison.Ordinal);
        Assert.Contains("build cache records", result.Out, StringComparison.Ordinal);
    }
}
