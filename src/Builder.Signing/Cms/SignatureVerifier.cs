using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Builder.Signing.Cms;

/// <summary>
/// Whom to trust: signers whose certificates chain to <see cref="Roots"/>, and, when <see cref="Identity"/> is set,
/// only the signer it names (subject DN, its common name, or a subject alternative name: email, URI or DNS).
/// </summary>
public sealed record TrustPolicy(X509Certificate2Collection Roots, string? Identity);

/// <summary>A signature that verified: who signed (subject and issuer), when they said, and when a TSA vouched.</summary>
public sealed record VerifiedSignature(string Signer, string Issuer, DateTimeOffset? SigningTime, VerifiedTimestamp? Timestamp);

/// <summary>An RFC 3161 timestamp that verified: its time and the authority that issued it.</summary>
public sealed record VerifiedTimestamp(DateTimeOffset Time, string Authority);

/// <summary>Checks a detached CMS signature against a manifest's bytes and a trust policy.</summary>
public static class SignatureVerifier
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";


    /// <summary>The verified signer of <paramref name="signature"/> over <paramref name="content"/>.</summary>
    /// <exception cref="SigningException">The signature does not verify; the message says why.</exception>
    public static VerifiedSignature Verify(ReadOnlyMemory<byte> content, ReadOnlySpan<byte> signature, TrustPolicy policy)
    {
        var cms = new SignedCms(new ContentInfo(content.ToArray()), detached: true);
        try
        {
            cms.Decode(signature);
        }
        catch (CryptographicException e)
        {
            throw new SigningException($"not a CMS signature: {e.Message}", e);
        }
        if (cms.SignerInfos.Count == 0)
        {
            throw new SigningException("the CMS signature has no signer");
        }
        var failures = new List<string>();
        foreach (var signer in cms.SignerInfos)
        {
            try
            {
                return VerifySigner(cms, signer, policy);
            }
            catch (SigningException e)
            {
                failures.Add(e.Message);
            }
        }
        throw new SigningException(string.Join("; ", failures));
    }

    private static VerifiedSignature VerifySigner(SignedCms cms, SignerInfo signer, TrustPolicy policy)
    {
        var certificate = signer.Certificate ?? throw new SigningException("the signer's certificate is not included in the signature");
        // SHA-256, -384 or -512: MD5 and SHA-1 are too weak to accept a signature over.
        if (signer.DigestAlgorithm.Value is not (ManifestSigner.Sha256Oid or "2.16.840.1.101.3.4.2.2" or "2.16.840.1.101.3.4.2.3"))
        {
            throw new SigningException($"the signature uses digest {signer.DigestAlgorithm.FriendlyName ?? signer.DigestAlgorithm.Value}, which is not accepted (SHA-256, -384, -512)");
        }
        try
        {
            // Checks the message digest attribute against the manifest's bytes and the signature over the attributes.
            signer.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException e)
        {
            throw new SigningException($"the signature by {certificate.Subject} does not match the manifest's bytes: {e.Message}", e);
        }
        var signingTime = signer.SignedAttributes.Cast<CryptographicAttributeObject>()
            .SelectMany(a => a.Values.Cast<AsnEncodedData>())
            .OfType<Pkcs9SigningTime>()
            .Select(t => (DateTimeOffset?)new DateTimeOffset(t.SigningTime.ToUniversalTime(), TimeSpan.Zero))
            .FirstOrDefault();
        var timestamp = VerifyTimestamp(signer, policy);

        // A valid timestamp proves the signature existed then: the chain is judged at that time, else now.
        var at = timestamp?.Time ?? DateTimeOffset.UtcNow;
        var problems = ChainProblems(certificate, cms.Certificates, policy.Roots, at, requiredUsage: null);
        if (problems is not null)
        {
            throw new SigningException($"the signer's certificate {certificate.Subject} does not chain to the given roots: {problems}");
        }
        if (policy.Identity is { } identity && !HasIdentity(certificate, identity))
        {
            throw new SigningException($"signed by {certificate.Subject}, not by {identity}");
        }
        return new VerifiedSignature(certificate.Subject, certificate.Issuer, signingTime, timestamp);
    }

    private static VerifiedTimestamp? VerifyTimestamp(SignerInfo signer, TrustPolicy policy)
    {
        var attribute = signer.UnsignedAttributes.Cast<CryptographicAttributeObject>().FirstOrDefault(a => a.Oid.Value == ManifestSigner.TimestampTokenOid);
        if (attribute is null)
        {
            return null;
        }
        if (attribute.Values.Count != 1 || !Rfc3161TimestampToken.TryDecode(attribute.Values[0].RawData, out var token, out _))
        {
            throw new SigningException("the signature's timestamp cannot be read");
        }
        var tokenCertificates = token.AsSignedCms().Certificates;
        if (!token.VerifySignatureForSignerInfo(signer, out var authority, tokenCertificates) || authority is null)
        {
            throw new SigningException("the signature's timestamp is not over this signature, or its own signature does not verify");
        }
        var time = token.TokenInfo.Timestamp;
        var problems = ChainProblems(authority, tokenCertificates, policy.Roots, time, requiredUsage: TimeStampingEku);
        if (problems is not null)
        {
            throw new SigningException($"the timestamp authority's certificate {authority.Subject} does not chain to the given roots: {problems}");
        }
        return new VerifiedTimestamp(time, authority.Subject);
    }

    /// <summary>Why <paramref name="certificate"/> does not chain to <paramref name="roots"/> at <paramref name="at"/>; null when it does.</summary>
    private static string? ChainProblems(
        X509Certificate2 certificate, X509Certificate2Collection extra, X509Certificate2Collection roots, DateTimeOffset at, string? requiredUsage)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.ExtraStore.AddRange(extra);
        // Image signing keys are not published with CRLs or OCSP responders here; revocation is the CA's process.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (requiredUsage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(requiredUsage));
        }
        if (chain.Build(certificate))
        {
            return null;
        }
        var reasons = chain.ChainStatus.Select(s => string.IsNullOrWhiteSpace(s.StatusInformation) ? s.Status.ToString() : s.StatusInformation.Trim()).Distinct();
        return string.Join("; ", reasons);
    }

    private static bool HasIdentity(X509Certificate2 certificate, string identity)
    {
        if (certificate.Subject == identity || certificate.GetNameInfo(X509NameType.SimpleName, false) == identity)
        {
            return true;
        }
        try
        {
            // The same name written with other spacing ("CN=a,O=b" for "CN=a, O=b").
            const X500DistinguishedNameFlags Flags = X500DistinguishedNameFlags.Reversed;
            if (new X500DistinguishedName(identity).Decode(Flags) == certificate.SubjectName.Decode(Flags))
            {
                return true;
            }
        }
        catch (CryptographicException)
        {
            // not a distinguished name: it may still be an alternative name
        }
        var alternative = certificate.Extensions.FirstOrDefault(e => e.Oid?.Value == "2.5.29.17") is { } extension
            ? new X509SubjectAlternativeNameExtension(extension.RawData)
            : null;
        return (alternative?.EnumerateDnsNames().Contains(identity, StringComparer.OrdinalIgnoreCase) ?? false)
            || certificate.GetNameInfo(X509NameType.EmailName, false) == identity
            || certificate.GetNameInfo(X509NameType.UrlName, false) == identity;
    }
}
