using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Builder.Signing.Cms;

/// <summary>
/// A private key (RSA or ECDSA), the certificate whose public key it matches, and the certificates to include with
/// signatures so verifiers can build the chain (intermediates; a root too if the user's chain file has one).
/// </summary>
public sealed class SigningIdentity : IDisposable
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    private SigningIdentity(X509Certificate2 certificate, AsymmetricAlgorithm key, IReadOnlyList<X509Certificate2> chain)
    {
        Certificate = certificate;
        Key = key;
        Chain = chain;
    }

    public X509Certificate2 Certificate { get; }

    public AsymmetricAlgorithm Key { get; }

    /// <summary>The other certificates to include, leaf excluded.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>
    /// A PEM private key (PKCS#8, encrypted PKCS#8, or the traditional RSA/EC forms) and a PEM file of certificates:
    /// the one matching the key is the signer, the rest are its chain.
    /// </summary>
    public static SigningIdentity FromPem(string keyPath, string certificatesPath, string? password)
    {
        var key = ReadPemKey(keyPath, password);
        try
        {
            var certificates = ReadCertificates(certificatesPath);
            var leaf = certificates.FirstOrDefault(c => Matches(c, key))
                ?? throw new SigningException(
                    $"{keyPath} does not match the certificate in {certificatesPath} ({certificates[0].Subject}): the key and the certificate must be a pair");
            return Create(leaf, key, certificates.Where(c => !ReferenceEquals(c, leaf)));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A PKCS#12 (PFX) file with the signer's key and certificate, and optionally more chain certificates.</summary>
    public static SigningIdentity FromPfx(string pfxPath, string? password, string? extraCertificatesPath)
    {
        if (!File.Exists(pfxPath))
        {
            throw new SigningException($"{pfxPath}: no such file");
        }
        X509Certificate2Collection contents;
        try
        {
            contents = X509CertificateLoader.LoadPkcs12CollectionFromFile(pfxPath, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new SigningException(password is null
                ? $"{pfxPath}: cannot open it without a password (give one with --password-env), or it is not a PKCS#12 file: {e.Message}"
                : $"{pfxPath}: wrong password, or not a PKCS#12 file: {e.Message}", e);
        }
        var leaf = contents.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new SigningException($"{pfxPath} holds no private key, only certificates");
        AsymmetricAlgorithm key = leaf.GetRSAPrivateKey() as AsymmetricAlgorithm ?? leaf.GetECDsaPrivateKey()
            ?? throw new SigningException($"{pfxPath}: the key of {leaf.Subject} is neither RSA nor ECDSA");
        try
        {
            var extra = extraCertificatesPath is null ? [] : ReadCertificates(extraCertificatesPath);
            return Create(leaf, key, contents.Where(c => !ReferenceEquals(c, leaf)).Concat(extra));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static SigningIdentity Create(X509Certificate2 leaf, AsymmetricAlgorithm key, IEnumerable<X509Certificate2> others)
    {
        var now = DateTime.Now;
        if (now < leaf.NotBefore || now > leaf.NotAfter)
        {
            throw new SigningException($"the certificate {leaf.Subject} is valid from {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u}, not now");
        }
        var chain = others.Where(c => c.Thumbprint != leaf.Thumbprint).DistinctBy(c => c.Thumbprint).ToList();
        return new SigningIdentity(leaf, key, chain);
    }

    private static AsymmetricAlgorithm ReadPemKey(string path, string? password)
    {
        var text = ReadText(path);
        if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal))
        {
            throw new SigningException(
                $"{path}: OpenSSL's legacy encrypted PEM (Proc-Type: 4,ENCRYPTED) is not supported; convert it with `openssl pkcs8 -topk8 -in {path}`");
        }
        foreach (var (label, der) in PemFields(text))
        {
            try
            {
                switch (label)
                {
                    case "RSA PRIVATE KEY":
                        var rsa = RSA.Create();
                        rsa.ImportRSAPrivateKey(der, out _);
                        return rsa;
                    case "EC PRIVATE KEY":
                        var ec = ECDsa.Create();
                        ec.ImportECPrivateKey(der, out _);
                        return ec;
                    case "PRIVATE KEY":
                        return FromPkcs8(Pkcs8PrivateKeyInfo.Decode(der, out _), path);
                    case "ENCRYPTED PRIVATE KEY":
                        if (password is null)
                        {
                            throw new SigningException($"{path} is encrypted: give its password with --password-env VAR");
                        }
                        Pkcs8PrivateKeyInfo decrypted;
                        try
                        {
                            decrypted = Pkcs8PrivateKeyInfo.DecryptAndDecode(password, der, out _);
                        }
                        catch (CryptographicException e)
                        {
                            throw new SigningException($"{path}: wrong password (the key cannot be decrypted with it)", e);
                        }
                        return FromPkcs8(decrypted, path);
                }
            }
            catch (CryptographicException e)
            {
                throw new SigningException($"{path}: the {label} cannot be read: {e.Message}", e);
            }
        }
        throw new SigningException($"{path} holds no PEM private key (PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static AsymmetricAlgorithm FromPkcs8(Pkcs8PrivateKeyInfo info, string path)
    {
        var pkcs8 = info.Encode();
        switch (info.AlgorithmId.Value)
        {
            case RsaOid:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                return rsa;
            case EcOid:
                var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(pkcs8, out _);
                return ec;
            default:
                throw new SigningException($"{path}: a {info.AlgorithmId.FriendlyName ?? info.AlgorithmId.Value} key; only RSA and ECDSA keys can sign");
        }
    }

    private static IEnumerable<(string Label, byte[] Der)> PemFields(string text)
    {
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            rest = rest[fields.Location.End..];
            yield return (label, der);
        }
    }

    private static List<X509Certificate2> ReadCertificates(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(ReadText(path));
        }
        catch (CryptographicException e)
        {
            throw new SigningException($"{path}: a certificate cannot be read: {e.Message}", e);
        }
        return collection.Count > 0 ? [.. collection] : throw new SigningException($"{path} holds no PEM certificate");
    }

    private static string ReadText(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new SigningException($"{path}: no such file");

    private static bool Matches(X509Certificate2 certificate, AsymmetricAlgorithm key) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());

    public void Dispose()
    {
        Key.Dispose();
        Certificate.Dispose();
        foreach (var certificate in Chain)
        {
            certificate.Dispose();
        }
    }
}
