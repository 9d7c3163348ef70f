using System.Globalization;
using System.Security.Cryptography;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>A signer's files as openssl makes them: a PEM key, a PEM chain (leaf, then intermediate).</summary>
public sealed record SignerFiles(string Key, string Chain, string Subject);

/// <summary>
/// A PKI made with the openssl command line, as users make theirs (not with .NET), so that what Builder reads and
/// writes is checked against an independent implementation: a root CA, an intermediate, and leaves issued by it.
/// </summary>
public sealed class OpenSslPki
{
    private readonly string _directory;

    private OpenSslPki(string directory)
    {
        _directory = directory;
    }

    /// <summary>The root certificate (PEM): what <c>verify --ca</c> and <c>openssl cms -CAfile</c> trust.</summary>
    public string RootCertificate => Path.Combine(_directory, "root.pem");

    private string IntermediateCertificate => Path.Combine(_directory, "intermediate.pem");

    private string IntermediateKey => Path.Combine(_directory, "intermediate.key");

    public static async Task<OpenSslPki> CreateAsync(string directory, string rootName = "Builder Test Root")
    {
        Directory.CreateDirectory(directory);
        var pki = new OpenSslPki(directory);
        var rootKey = await pki.KeyAsync("root.key", "ec");
        await OpenSslAsync(["req", "-x509", "-new", "-key", rootKey, "-out", pki.RootCertificate, "-days", "30", "-subj", $"/CN={rootName}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        await pki.KeyAsync("intermediate.key", "ec");
        await pki.IssueAsync(pki.IntermediateKey, "/CN=Builder Test Intermediate", pki.IntermediateCertificate, rootKey, pki.RootCertificate,
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
        return pki;
    }

    /// <summary>A signing leaf: <paramref name="algorithm"/> is <c>rsa</c> or <c>ec</c> (P-256).</summary>
    public async Task<SignerFiles> IssueSignerAsync(string name, string algorithm)
    {
        var key = await KeyAsync($"{name}.key", algorithm);
        var certificate = Path.Combine(_directory, $"{name}.pem");
        await IssueAsync(key, $"/O=Builder Tests/CN={name}", certificate, IntermediateKey, IntermediateCertificate,
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n");
        var chain = Path.Combine(_directory, $"{name}-chain.pem");
        await File.WriteAllTextAsync(chain, await File.ReadAllTextAsync(certificate) + await File.ReadAllTextAsync(IntermediateCertificate));
        return new SignerFiles(key, chain, $"CN={name}, O=Builder Tests");
    }

    /// <summary>A PKCS#12 file of a signer's key and chain, encrypted with <paramref name="password"/> (openssl 3 defaults: AES-256, PBKDF2).</summary>
    public async Task<string> PfxAsync(SignerFiles signer, string password)
    {
        var pfx = Path.ChangeExtension(signer.Key, ".pfx");
        await OpenSslAsync(["pkcs12", "-export", "-inkey", signer.Key, "-in", signer.Chain, "-out", pfx, "-passout", $"pass:{password}"]);
        return pfx;
    }

    /// <summary>A time-stamping authority's key and certificate (the critical timeStamping EKU RFC 3161 requires).</summary>
    public async Task<(string Key, string Certificate)> IssueTimestampAuthorityAsync()
    {
        var key = await KeyAsync("tsa.key", "ec");
        var certificate = Path.Combine(_directory, "tsa.pem");
        await IssueAsync(key, "/CN=Builder Test TSA", certificate, IntermediateKey, IntermediateCertificate,
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
        return (key, certificate);
    }

    /// <summary>The intermediate certificate, for a TSA to include with its tokens.</summary>
    public string Intermediate => IntermediateCertificate;

    private async Task<string> KeyAsync(string name, string algorithm)
    {
        var path = Path.Combine(_directory, name);
        string[] options = algorithm == "rsa" ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
        await OpenSslAsync(["genpkey", .. options, "-out", path]);
        return path;
    }

    private async Task IssueAsync(string key, string subject, string certificate, string caKey, string caCertificate, string extensions)
    {
        var request = certificate + ".csr";
        var extensionFile = certificate + ".ext";
        await File.WriteAllTextAsync(extensionFile, extensions);
        await OpenSslAsync(["req", "-new", "-key", key, "-subj", subject, "-out", request]);
        var serial = "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLower(CultureInfo.InvariantCulture);
        await OpenSslAsync(["x509", "-req", "-in", request, "-CA", caCertificate, "-CAkey", caKey, "-set_serial", serial,
            "-days", "10", "-extfile", extensionFile, "-out", certificate]);
    }

    public static async Task<ToolResult> OpenSslAsync(string[] args, string? workingDirectory = null) =>
        (await ExternalTool.RunAsync("openssl", args, workingDirectory)).EnsureSuccess($"openssl {string.Join(' ', args)}");
}
