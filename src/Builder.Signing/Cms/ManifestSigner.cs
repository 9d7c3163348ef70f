using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Builder.Signing.Cms;

/// <summary>
/// Detached CMS SignedData (RFC 5652) over a manifest's exact bytes: SHA-256, signed attributes content type,
/// message digest and signing time, the signer's certificate and chain included; optionally an RFC 3161 timestamp
/// over the signature as the unsigned attribute id-aa-timeStampToken (RFC 3161 appendix A).
/// </summary>
public static class ManifestSigner
{
    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    public const string TimestampTokenOid = "1.2.840.113549.1.9.16.2.14";

    /// <summary>The DER-encoded signature of <paramref name="content"/>.</summary>
    public static async Task<byte[]> SignAsync(
        ReadOnlyMemory<byte> content, SigningIdentity identity, DateTimeOffset signingTime, TimestampAuthority? timestamps,
        CancellationToken cancellationToken)
    {
        var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, identity.Certificate, identity.Key)
        {
            DigestAlgorithm = new Oid(Sha256Oid),
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.Certificates.AddRange(identity.Chain.ToArray());
        // With a signed attribute present, CMS adds content type and message digest as signed attributes too.
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        try
        {
            cms.ComputeSignature(signer, silent: true);
        }
        catch (CryptographicException e)
        {
            throw new SigningException($"signing with the key of {identity.Certificate.Subject} failed: {e.Message}", e);
        }
        if (timestamps is not null)
        {
            var signerInfo = cms.SignerInfos[0];
            var request = Rfc3161TimestampRequest.CreateFromSignerInfo(
                signerInfo, HashAlgorithmName.SHA256, requestSignerCertificates: true, nonce: RandomNumberGenerator.GetBytes(8));
            var token = await timestamps.TimestampAsync(request, cancellationToken).ConfigureAwait(false);
            signerInfo.AddUnsignedAttribute(new AsnEncodedData(TimestampTokenOid, token.AsSignedCms().Encode()));
        }
        return cms.Encode();
    }
}
