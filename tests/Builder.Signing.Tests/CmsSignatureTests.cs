using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using Builder.Signing.Cms;

namespace Builder.Signing.Tests;

public sealed class CmsSignatureTests
{
    private static readonly byte[] Manifest = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""");

    [Theory]
    [InlineData(KeyKind.Rsa, false)]
    [InlineData(KeyKind.Rsa, true)]
    [InlineData(KeyKind.EcdsaP256, false)]
    [InlineData(KeyKind.EcdsaP256, true)]
    public async Task A_pem_key_and_chain_sign_the_manifest_and_the_signature_verifies_to_the_root(KeyKind kind, bool traditionalPem)
    {
        using var pki = TestPki.Create(kind);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(traditional: traditionalPem), pki.WriteChain(), null);

        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var verified = SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(pki.Roots(), null));

        Assert.Equal(TestPki.LeafSubject, verified.Signer);
        Assert.Equal(pki.Intermediate.Subject, verified.Issuer);
        Assert.NotNull(verified.SigningTime);
        Assert.InRange(verified.SigningTime.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Null(verified.Timestamp);
    }

    [Fact]
    public async Task The_signature_is_detached_sha256_with_content_type_signing_time_and_message_digest_and_carries_the_chain()
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);

        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var cms = new SignedCms();
        cms.Decode(signature);

        Assert.Empty(cms.ContentInfo.Content); // detached: the manifest is not inside
        var signer = Assert.Single(cms.SignerInfos.Cast<SignerInfo>());
        Assert.Equal(ManifestSigner.Sha256Oid, signer.DigestAlgorithm.Value);
        var attributes = signer.SignedAttributes.Cast<CryptographicAttributeObject>().Select(a => a.Oid.Value).ToList();
        Assert.Contains("1.2.840.113549.1.9.3", attributes); // content type
        Assert.Contains("1.2.840.113549.1.9.4", attributes); // message digest
        Assert.Contains("1.2.840.113549.1.9.5", attributes); // signing time
        var digest = signer.SignedAttributes.Cast<CryptographicAttributeObject>().Single(a => a.Oid.Value == "1.2.840.113549.1.9.4").Values[0];
        Assert.Equal(SHA256.HashData(Manifest), new Pkcs9MessageDigest { RawData = digest.RawData }.MessageDigest);
        Assert.Equal(
            new[] { pki.Leaf.Thumbprint, pki.Intermediate.Thumbprint }.Order(StringComparer.Ordinal),
            cms.Certificates.Select(c => c.Thumbprint).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_encrypted_pem_key_signs_with_its_password()
    {
        using var pki = TestPki.Create(KeyKind.Rsa);
        using var identity = SigningIdentity.FromPem(pki.WriteKey("hunter2"), pki.WriteChain(), "hunter2");

        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);

        Assert.Equal(TestPki.LeafSubject, SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(pki.Roots(), null)).Signer);
    }

    [Theory]
    [InlineData(KeyKind.Rsa)]
    [InlineData(KeyKind.EcdsaP256)]
    public async Task A_pfx_with_its_password_signs_and_its_intermediate_is_included(KeyKind kind)
    {
        using var pki = TestPki.Create(kind);
        using var identity = SigningIdentity.FromPfx(pki.WritePfx("pfx-pass"), "pfx-pass", null);

        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);

        Assert.Equal(TestPki.LeafSubject, SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(pki.Roots(), null)).Signer);
    }

    [Fact]
    public void A_pfx_with_a_wrong_password_is_refused_with_a_message_that_says_so()
    {
        using var pki = TestPki.Create(KeyKind.Rsa);
        var pfx = pki.WritePfx("right");

        var error = Assert.Throws<SigningException>(() => SigningIdentity.FromPfx(pfx, "wrong", null));

        Assert.StartsWith($"{pfx}: wrong password", error.Message);
    }

    [Fact]
    public void An_encrypted_pem_key_with_a_wrong_password_or_none_is_refused_with_a_message_that_says_so()
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        var key = pki.WriteKey("right");
        var chain = pki.WriteChain();

        var wrong = Assert.Throws<SigningException>(() => SigningIdentity.FromPem(key, chain, "wrong"));
        var none = Assert.Throws<SigningException>(() => SigningIdentity.FromPem(key, chain, null));

        Assert.Equal($"{key}: wrong password (the key cannot be decrypted with it)", wrong.Message);
        Assert.Equal($"{key} is encrypted: give its password with --password-env VAR", none.Message);
    }

    [Theory]
    [InlineData(KeyKind.Rsa, KeyKind.Rsa)]
    [InlineData(KeyKind.EcdsaP256, KeyKind.EcdsaP256)]
    [InlineData(KeyKind.Rsa, KeyKind.EcdsaP256)]
    public void A_key_that_does_not_match_the_certificate_is_refused(KeyKind keyKind, KeyKind certificateKind)
    {
        using var keyOwner = TestPki.Create(keyKind);
        using var certificateOwner = TestPki.Create(certificateKind);
        var key = keyOwner.WriteKey();
        var chain = certificateOwner.WriteChain();

        var error = Assert.Throws<SigningException>(() => SigningIdentity.FromPem(key, chain, null));

        Assert.Equal($"{key} does not match the certificate in {chain} ({TestPki.LeafSubject}): the key and the certificate must be a pair", error.Message);
    }

    [Fact]
    public void An_expired_certificate_is_refused_before_anything_is_signed()
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256, leafNotAfter: DateTimeOffset.UtcNow.AddHours(-1));

        var error = Assert.Throws<SigningException>(() => SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null));

        Assert.Contains("not now", error.Message);
    }

    [Fact]
    public async Task Changed_manifest_bytes_do_not_verify()
    {
        using var pki = TestPki.Create(KeyKind.Rsa);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var tampered = Manifest.ToArray();
        tampered[^2] = (byte)'7'; // "layers":[] becomes "layers":7 - one byte, same length

        var error = Assert.Throws<SigningException>(() => SignatureVerifier.Verify(tampered, signature, new TrustPolicy(pki.Roots(), null)));

        Assert.Contains("does not match the manifest's bytes", error.Message);
    }

    [Fact]
    public async Task A_signature_does_not_verify_against_another_ca()
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var other = TestPki.Create(KeyKind.EcdsaP256, rootName: "CN=Someone Else's Root");
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var signature = await ManifestSigner.SignAsync(Manifest, identity, DateTimeOffset.UtcNow, null, CancellationToken.None);

        var error = Assert.Throws<SigningException>(() => SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(other.Roots(), null)));

        Assert.StartsWith($"the signer's certificate {TestPki.LeafSubject} does not chain to the given roots", error.Message);
    }

    [Theory]
    [InlineData(TestPki.LeafSubject)]
    [InlineData("CN=ci signer,O=Example Builds")]
    [InlineData("ci signer")]
    [InlineData(TestPki.LeafEmail)]
    [InlineData("ci.example.com")]
    public async Task The_cert_identity_matches_the_subject_its_common_name_or_an_alternative_name(string identity)
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var signing = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var signature = await ManifestSigner.SignAsync(Manifest, signing, DateTimeOffset.UtcNow, null, CancellationToken.None);

        var verified = SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(pki.Roots(), identity));

        Assert.Equal(TestPki.LeafSubject, verified.Signer);
    }

    [Theory]
    [InlineData("CN=someone else, O=Example Builds")]
    [InlineData("ci")]
    [InlineData("other@example.com")]
    public async Task A_signer_other_than_the_cert_identity_does_not_verify(string identity)
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var signing = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var signature = await ManifestSigner.SignAsync(Manifest, signing, DateTimeOffset.UtcNow, null, CancellationToken.None);

        var error = Assert.Throws<SigningException>(() => SignatureVerifier.Verify(Manifest, signature, new TrustPolicy(pki.Roots(), identity)));

        Assert.Equal($"signed by {TestPki.LeafSubject}, not by {identity}", error.Message);
    }

    [Fact]
    public void Bytes_that_are_not_cms_are_reported_as_such()
    {
        using var pki = TestPki.Create(KeyKind.EcdsaP256);

        var error = Assert.Throws<SigningException>(() => SignatureVerifier.Verify(Manifest, "not a signature"u8, new TrustPolicy(pki.Roots(), null)));

        Assert.StartsWith("not a CMS signature", error.Message);
    }
}
