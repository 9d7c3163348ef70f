using Builder.Dockerfile.Binding;

namespace Builder.Dockerfile.Tests.Binding;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("5s", 5_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("300ms", 300)]
    [InlineData("2h45m", 9_900_000)]
    [InlineData(".5s", 500)]
    public void Durations_read_like_go(string text, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));
    }

    [Theory]
    [InlineData("5", "time: missing unit in duration \"5\"")]
    [InlineData("5d", "time: unknown unit \"d\" in duration \"5d\"")]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("s", "time: invalid duration \"s\"")]
    public void Bad_durations_are_go_errors(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => GoDuration.Parse(text)).Message);
    }
}
