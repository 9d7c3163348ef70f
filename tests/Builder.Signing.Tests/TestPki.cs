using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Builder.Signing.Tests;

public enum KeyKind
{
    Rsa,
    EcdsaP256,
}

/// <summary>
/// A throwaway PKI made in-process: a root CA, an intermediate and a signing leaf, with files in a temp directory in
/// the shapes users have them (PEM keys and chains, PFX).
/// </summary>
internal sealed class TestPki : IDisposable
{
    public const string LeafSubject = "CN=ci signer, O=Example Builds";
    public const string LeafEmail = "ci@example.com";

    private TestPki(string directory, X509Certificate2 root, X509Certificate2 intermediate, X509Certificate2 leaf, AsymmetricAlgorithm leafKey)
    {
        Directory = directory;
        Root = root;
        Intermediate = intermediate;
        Leaf = leaf;
        LeafKey = leafKey;
    }

    public string Directory { get; }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>The leaf, without its private key (as a PEM chain file holds it).</summary>
    public X509Certificate2 Leaf { get; }

    public AsymmetricAlgorithm LeafKey { get; }

    public static TestPki Create(KeyKind kind, string rootName = "CN=Example Test Root", DateTimeOffset? leafNotAfter = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest(rootName, rootKey, HashAlgorithmName.SHA256);
        AddCaExtensions(rootRequest);
        var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Example Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        AddCaExtensions(intermediateRequest);
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediatePublic = intermediateRequest.Create(root, now.AddDays(-1), now.AddYears(2), Serial());
        var intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);

        AsymmetricAlgorithm leafKey = kind == KeyKind.Rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = leafKey is RSA rsa
            ? new CertificateRequest(LeafSubject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(LeafSubject, (ECDsa)leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var names = new SubjectAlternativeNameBuilder();
        names.AddEmailAddress(LeafEmail);
        names.AddDnsName("ci.example.com");
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(leafRequest.PublicKey, false));
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        // The generator overload: the intermediate's key (ECDSA) may differ in kind from the leaf's.
        var leaf = leafRequest.Create(intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(intermediateKey),
            now.AddDays(-1), leafNotAfter ?? now.AddYears(1), Serial());

        return new TestPki(System.IO.Directory.CreateTempSubdirectory("signing-").FullName, root, intermediate, leaf, leafKey);
    }

    /// <summary>The leaf key as PEM: PKCS#8, encrypted PKCS#8 when a password is given, or the traditional RSA/EC form.</summary>
    public string WriteKey(string? password = null, bool traditional = false)
    {
        var pem = password is not null
            ? LeafKey.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000))
            : traditional ? LeafKey switch { RSA r => r.ExportRSAPrivateKeyPem(), ECDsa e => e.ExportECPrivateKeyPem(), _ => throw new NotSupportedException() }
            : LeafKey.ExportPkcs8PrivateKeyPem();
        return Write(password is null ? (traditional ? "key-traditional.pem" : "key.pem") : "key-encrypted.pem", pem);
    }

    /// <summary>Leaf then intermediate, as a CA hands out a chain.</summary>
    public string WriteChain() => Write("chain.pem", Leaf.ExportCertificatePem() + "\n" + Intermediate.ExportCertificatePem() + "\n");

    public string WriteRoots() => Write("roots.pem", Root.ExportCertificatePem() + "\n");

    /// <summary>A PFX with the leaf's key and certificate and the intermediate.</summary>
    public string WritePfx(string? password)
    {
        using var withKey = LeafKey switch
        {
            RSA r => Leaf.CopyWithPrivateKey(r),
            ECDsa e => Leaf.CopyWithPrivateKey(e),
            _ => throw new NotSupportedException(),
        };
        var bytes = new X509Certificate2Collection { withKey, Intermediate }.Export(X509ContentType.Pfx, password)!;
        var path = Path.Combine(Directory, "signer.pfx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public X509Certificate2Collection Roots() => [X509CertificateLoader.LoadCertificate(Root.RawData)];

    public string Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive and minimal, as DER wants
        return serial;
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
        Leaf.Dispose();
        LeafKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
