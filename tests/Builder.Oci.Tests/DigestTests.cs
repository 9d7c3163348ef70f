namespace Builder.Oci.Tests;

public sealed class DigestTests
{
    [Fact]
    public void Sha256_of_empty_content_is_the_well_known_digest()
    {
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Digest.Of([]).ToString());
    }

    [Theory]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha256:abc")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256:")]
    public void Malformed_digests_are_rejected(string text)
    {
        Assert.False(Digest.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Digest.Parse(text));
    }

    [Fact]
    public void Sha512_round_trips()
    {
        var digest = Digest.Of("hello"u8, Digest.Sha512);

        Assert.Equal(digest, Digest.Parse(digest.ToString()));
        Assert.Equal(128, digest.Hex.Length);
    }
}
