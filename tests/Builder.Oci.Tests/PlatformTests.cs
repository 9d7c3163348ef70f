namespace Builder.Oci.Tests;

public sealed class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "linux/amd64")]
    [InlineData("linux/x86_64", "linux/amd64")]
    [InlineData("linux/aarch64", "linux/arm64")]
    [InlineData("linux/arm64/v8", "linux/arm64")]
    [InlineData("linux/arm", "linux/arm/v7")]
    [InlineData("linux/armhf", "linux/arm/v7")]
    [InlineData("arm64", "linux/arm64")]
    [InlineData("LINUX/AMD64", "linux/amd64")]
    public void Platforms_are_normalised(string text, string expected)
    {
        Assert.Equal(expected, Platform.Parse(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("linux//amd64")]
    [InlineData("a/b/c/d")]
    public void Malformed_platforms_are_rejected(string text)
    {
        Assert.Throws<FormatException>(() => Platform.Parse(text));
    }

    [Fact]
    public void A_platform_without_variant_matches_any_variant()
    {
        Assert.True(Platform.Parse("linux/arm64").Matches(Platform.Parse("linux/arm64")));
        Assert.False(Platform.Parse("linux/amd64").Matches(Platform.Parse("linux/arm64")));
    }
}
