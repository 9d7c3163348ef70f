namespace Builder.Cli.Tests;

/// <summary><c>build --cache-from/--cache-to</c>: a mistyped value is a usage error of one line (exit 2) before anything is built.</summary>
public sealed class CacheFlagTests
{
    [Theory]
    [InlineData("--cache-from", "type=gha", "error: --cache-from: type 'gha' is not registry or local")]
    [InlineData("--cache-from", "type=local,dest=/tmp/x", "error: --cache-from: type=local reads from src=, not dest=")]
    [InlineData("--cache-to", "type=registry,ref=r.example/c,mode=all", "error: --cache-to: mode=all is not min or max")]
    [InlineData("--cache-to", "type=registry", "error: --cache-to: type=registry needs ref=REGISTRY/REPOSITORY[:TAG]")]
    [InlineData("--cache-to", "type=registry,ref=r.example/c,cache-mounts-max=huge", "error: --cache-to: cache-mounts-max=huge is not a size (bytes, or a number with k, m, g, KiB, MB…)")]
    public void A_bad_cache_value_is_a_one_line_usage_error(string flag, string value, string errorLine)
    {
        var result = CliRunner.Run("build", flag, value, ".");
        Assert.Equal($"{errorLine}\nRun 'builder build --help' for usage.\n", result.Error);
        Assert.Equal(2, result.ExitCode);
    }
}
