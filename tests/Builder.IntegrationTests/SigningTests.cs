using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// Issue 10: <c>builder sign</c> and <c>builder verify</c> against a real docker-registry (which lacks the referrers
/// API, so referrers go through the fallback tag), keys and certificates made with openssl, and the signature checked
/// by openssl itself.
/// </summary>
public sealed class SigningTests
{
    private const string SignatureType = "application/vnd.builder.signature.cms.v1";

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public async Task An_image_signed_in_the_registry_verifies_with_its_root_and_verify_prints_who_signed_and_when(string algorithm)
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", algorithm);

        var sign = await builder.RunAsync("sign", "--key", signer.Key, "--cert", signer.Chain, image);
        var verify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, image);

        sign.EnsureSuccess("builder sign");
        Assert.Contains($"as {signer.Subject}", sign.Out);
        verify.EnsureSuccess("builder verify");
        Assert.Contains($"signed by: {signer.Subject}", verify.Out);
        Assert.Contains("issued by: CN=Builder Test Intermediate", verify.Out);
        Assert.Matches(@"signed at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", verify.Out);
        var referrers = await ReferrersAsync(registry, "app", await ManifestDigestAsync(registry, "app", "1"));
        Assert.Equal(SignatureType, (string?)Assert.Single(referrers)!["artifactType"]);
    }

    [Fact]
    public async Task Verify_fails_once_the_tag_points_at_another_manifest()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "ec");
        (await builder.RunAsync("sign", "--key", signer.Key, "--cert", signer.Chain, image)).EnsureSuccess("builder sign");
        var signed = await builder.RunAsync("verify", "--ca", pki.RootCertificate, image);

        await PushBusyboxAsync(builder, temp, image, "second");
        var repointed = await builder.RunAsync("verify", "--ca", pki.RootCertificate, image);

        signed.EnsureSuccess("verify before re-pointing");
        Assert.Equal(1, repointed.ExitCode);
        Assert.Contains("has no signature", repointed.Error);
        Assert.Equal("", repointed.Out);
    }

    [Fact]
    public async Task Verify_fails_with_another_ca_and_with_another_cert_identity()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var other = await OpenSslPki.CreateAsync(temp.Combine("other-pki"), "Someone Else's Root");
        var signer = await pki.IssueSignerAsync("ci-signer", "rsa");
        (await builder.RunAsync("sign", "--key", signer.Key, "--cert", signer.Chain, image)).EnsureSuccess("builder sign");

        var wrongCa = await builder.RunAsync("verify", "--ca", other.RootCertificate, image);
        var rightIdentity = await builder.RunAsync("verify", "--ca", pki.RootCertificate, "--cert-identity", signer.Subject, image);
        var wrongIdentity = await builder.RunAsync("verify", "--ca", pki.RootCertificate, "--cert-identity", "CN=release-signer, O=Builder Tests", image);

        Assert.Equal(1, wrongCa.ExitCode);
        Assert.Contains("does not chain to the given roots", wrongCa.Error);
        Assert.Contains("error: none of the 1 signature(s)", wrongCa.Error);
        rightIdentity.EnsureSuccess("verify with the signer's identity");
        Assert.Equal(1, wrongIdentity.ExitCode);
        Assert.Contains($"signed by {signer.Subject}, not by CN=release-signer, O=Builder Tests", wrongIdentity.Error);
    }

    [Fact]
    public async Task The_signature_fetched_from_the_registry_verifies_with_openssl_cms_over_the_manifest_and_not_over_another()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:2", "second");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "ec");
        (await builder.RunAsync("sign", "--key", signer.Key, "--cert", signer.Chain, image)).EnsureSuccess("builder sign");

        var manifest = temp.Combine("manifest.json");
        var otherManifest = temp.Combine("other-manifest.json");
        await File.WriteAllBytesAsync(manifest, await GetAsync(registry, "app", "manifests/1", "application/vnd.oci.image.manifest.v1+json"));
        await File.WriteAllBytesAsync(otherManifest, await GetAsync(registry, "app", "manifests/2", "application/vnd.oci.image.manifest.v1+json"));
        var signature = temp.Combine("signature.der");
        await File.WriteAllBytesAsync(signature, await SignatureBlobAsync(registry, "app", Digest(await File.ReadAllBytesAsync(manifest))));

        var good = await ExternalTool.RunAsync("openssl",
            ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", manifest, "-CAfile", pki.RootCertificate, "-out", "/dev/null"]);
        var bad = await ExternalTool.RunAsync("openssl",
            ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", otherManifest, "-CAfile", pki.RootCertificate, "-out", "/dev/null"]);

        Assert.True(good.ExitCode == 0, good.Error);
        Assert.Contains("Verification successful", good.Error);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Verification failure", bad.Error);
    }

    [Fact]
    public async Task A_pfx_signs_with_its_password_and_a_wrong_password_or_a_mismatched_key_is_one_clear_error()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "ec");
        var someoneElse = await pki.IssueSignerAsync("someone-else", "ec");
        var pfx = await pki.PfxAsync(signer, "pfx-secret");

        var signed = await builder.RunAsync(["sign", "--pfx", pfx, "--password-env", "SIGNING_PASSWORD", image],
            new Dictionary<string, string> { ["SIGNING_PASSWORD"] = "pfx-secret" }, CancellationToken.None);
        var wrongPassword = await builder.RunAsync(["sign", "--pfx", pfx, "--password-env", "SIGNING_PASSWORD", image],
            new Dictionary<string, string> { ["SIGNING_PASSWORD"] = "not-it" }, CancellationToken.None);
        var mismatched = await builder.RunAsync("sign", "--key", someoneElse.Key, "--cert", signer.Chain, image);
        var verify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, image);

        signed.EnsureSuccess("sign with the PFX");
        Assert.Equal(1, wrongPassword.ExitCode);
        Assert.StartsWith($"error: {pfx}: wrong password", wrongPassword.Error);
        Assert.Single(wrongPassword.Error.Trim().Split('\n'));
        Assert.Equal(1, mismatched.ExitCode);
        Assert.Equal($"error: {someoneElse.Key} does not match the certificate in {signer.Chain} ({signer.Subject}): the key and the certificate must be a pair",
            mismatched.Error.Trim());
        verify.EnsureSuccess("verify the PFX signature");
        Assert.Single(await ReferrersAsync(registry, "app", await ManifestDigestAsync(registry, "app", "1")));
    }

    [Fact]
    public async Task A_timestamp_from_an_rfc3161_authority_is_kept_with_the_signature_and_verify_reports_it()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var image = await PushBusyboxAsync(builder, temp, $"{registry.Host}/app:1", "first");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "rsa");
        await using var tsa = await TimestampServer.StartAsync(pki, temp.Combine("tsa"));

        var sign = await builder.RunAsync("sign", "--key", signer.Key, "--cert", signer.Chain, "--timestamp-url", tsa.Url, image);
        var verify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, image);

        sign.EnsureSuccess("sign with a timestamp");
        Assert.Equal(1, tsa.Requests);
        verify.EnsureSuccess("verify the timestamped signature");
        Assert.Matches(@"timestamp: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by CN=Builder Test TSA", verify.Out);
        var manifest = temp.Combine("manifest.json");
        await File.WriteAllBytesAsync(manifest, await GetAsync(registry, "app", "manifests/1", "application/vnd.oci.image.manifest.v1+json"));
        var signature = temp.Combine("signature.der");
        await File.WriteAllBytesAsync(signature, await SignatureBlobAsync(registry, "app", Digest(await File.ReadAllBytesAsync(manifest))));
        var openssl = await ExternalTool.RunAsync("openssl",
            ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", manifest, "-CAfile", pki.RootCertificate, "-out", "/dev/null"]);
        Assert.True(openssl.ExitCode == 0, openssl.Error);
    }

    [Fact]
    public async Task A_signature_made_in_the_local_store_is_listed_there_and_push_carries_it_to_the_registry()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", "app:1")).EnsureSuccess("import");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "ec");

        (await builder.RunAsync("sign", "--local", "--key", signer.Key, "--cert", signer.Chain, "app:1")).EnsureSuccess("sign --local");
        var localVerify = await builder.RunAsync("verify", "--local", "--ca", pki.RootCertificate, "app:1");
        var localList = await builder.RunAsync("inspect", "--referrers", "app:1");
        var push = await builder.RunAsync("push", "app:1", $"{registry.Host}/app:1");
        var remoteVerify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, $"{registry.Host}/app:1");
        (await builder.RunAsync("rmi", $"app:1")).EnsureSuccess("rmi");
        var remoteList = await builder.RunAsync("inspect", "--referrers", $"{registry.Host}/app:1");

        localVerify.EnsureSuccess("verify --local");
        localList.EnsureSuccess("inspect --referrers (local)");
        var row = Assert.Single(localList.Out.Trim().Split('\n').Skip(1));
        Assert.StartsWith(SignatureType, row);
        var artifact = row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        push.EnsureSuccess("push");
        Assert.Contains($"{SignatureType}: referrer: {artifact}", push.Out);
        remoteVerify.EnsureSuccess("verify in the registry");
        Assert.Contains($"Verified signature {artifact}", remoteVerify.Out);
        remoteList.EnsureSuccess("inspect --referrers (registry)");
        Assert.Contains(artifact, remoteList.Out);
    }

    [Fact]
    public async Task Build_with_sign_and_push_leaves_the_image_and_its_signature_in_the_registry_where_it_verifies()
    {
        using var temp = new TempDirectory("signing");
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store"));
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", "base:1")).EnsureSuccess("import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM base:1\nCOPY hello.txt /hello.txt\n");
        await File.WriteAllTextAsync(Path.Combine(context, "hello.txt"), "hello\n");
        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var signer = await pki.IssueSignerAsync("ci-signer", "ec");
        var image = $"{registry.Host}/built:1";

        var build = await builder.RunAsync("build", "-t", image, "--push", "--sign", "--key", signer.Key, "--cert", signer.Chain, context);
        var verify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, "--cert-identity", "ci-signer", image);

        build.EnsureSuccess("build --sign --push");
        Assert.Contains($"pushed {SignatureType}", build.Error);
        verify.EnsureSuccess("verify the built image");
        Assert.Contains($"of {registry.Host}/built@{await ManifestDigestAsync(registry, "built", "1")}", verify.Out);
    }

    [Fact]
    public async Task Signing_options_without_a_key_or_with_both_kinds_of_key_are_usage_errors()
    {
        using var temp = new TempDirectory("signing");
        var builder = new BuilderCommand(temp.Combine("store"));

        var none = await builder.RunAsync("sign", "127.0.0.1:1/app:1");
        var both = await builder.RunAsync("sign", "--key", "k.pem", "--cert", "c.pem", "--pfx", "s.pfx", "127.0.0.1:1/app:1");
        var keyWithoutSign = await builder.RunAsync("build", "--key", "k.pem", "--cert", "c.pem", temp.Path);

        Assert.Equal(2, none.ExitCode);
        Assert.Contains("signing needs a key", none.Error);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--key and --pfx are mutually exclusive", both.Error);
        Assert.Equal(2, keyWithoutSign.ExitCode);
        Assert.Contains("add --sign", keyWithoutSign.Error);
    }

    /// <summary>A busybox image with a file that makes it unique, imported and pushed under <paramref name="reference"/>.</summary>
    public static async Task<string> PushBusyboxAsync(BuilderCommand builder, TempDirectory temp, string reference, string marker)
    {
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine($"rootfs-{marker}"));
        await File.WriteAllTextAsync(Path.Combine(rootfs, "marker"), marker);
        (await builder.RunAsync("import", rootfs, "-t", reference)).EnsureSuccess("import");
        (await builder.RunAsync("push", reference)).EnsureSuccess("push");
        return reference;
    }

    public static async Task<byte[]> GetAsync(RegistryProcess registry, string repository, string path, string? accept = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/{repository}/{path}");
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static async Task<string> ManifestDigestAsync(RegistryProcess registry, string repository, string tag) =>
        Digest(await GetAsync(registry, repository, $"manifests/{tag}", "application/vnd.oci.image.manifest.v1+json"));

    /// <summary>The referrers of <paramref name="subject"/> as the registry lists them: the fallback tag (docker-registry 2.8 has no referrers API).</summary>
    public static async Task<JsonArray> ReferrersAsync(RegistryProcess registry, string repository, string subject)
    {
        var index = JsonNode.Parse(await GetAsync(registry, repository, $"manifests/sha256-{subject["sha256:".Length..]}", "application/vnd.oci.image.index.v1+json"))!;
        return index["manifests"]!.AsArray();
    }

    /// <summary>The one layer of the referrer of <paramref name="subject"/> with <paramref name="artifactType"/>, fetched by plain HTTP.</summary>
    public static async Task<byte[]> ArtifactBlobAsync(RegistryProcess registry, string repository, string subject, string artifactType)
    {
        var referrer = (await ReferrersAsync(registry, repository, subject)).Single(r => (string?)r!["artifactType"] == artifactType)!;
        var manifest = JsonNode.Parse(await GetAsync(registry, repository, $"manifests/{referrer["digest"]}", "application/vnd.oci.image.manifest.v1+json"))!;
        Assert.Equal(subject, (string?)manifest["subject"]!["digest"]);
        return await GetAsync(registry, repository, $"blobs/{manifest["layers"]![0]!["digest"]}");
    }

    private static Task<byte[]> SignatureBlobAsync(RegistryProcess registry, string repository, string subject) =>
        ArtifactBlobAsync(registry, repository, subject, SignatureType);

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>
/// Issue 10: <c>build --sbom --provenance --push</c> on the Debian-based Django example (the shared build, so only
/// the cached rebuild and the scan run here): both referrers reach the registry, the SBOM lists python3-django with
/// the version dpkg reports inside the image, and the provenance names the base image's digest.
/// </summary>
[Collection(DjangoCollection.Name)]
public sealed class SbomAndProvenanceTests(DjangoImage image)
{
    [Fact]
    public async Task Build_with_sbom_provenance_and_push_puts_both_in_the_registry_listing_python3_django_and_the_base_digest()
    {
        await using var registry = await RegistryProcess.StartAsync();
        var name = $"{registry.Host}/mysite:attested";

        var build = await image.Builder.RunAsync(
            ["build", "-t", name, "--sbom", "--provenance", "--push", "--progress", "plain", .. DjangoImage.BuildArgs, image.Context], null, CancellationToken.None);
        var listed = await image.Builder.RunAsync("inspect", "--referrers", name);
        var dpkg = await image.Builder.RunAsync("run", "--rm", name, "dpkg-query", "-W", "-f", "${Version}", "python3-django");
        var baseImage = JsonNode.Parse((await image.Builder.RunAsync("inspect", "debian:bookworm")).EnsureSuccess("inspect the base").Out)!;

        build.EnsureSuccess("build --sbom --provenance --push");
        listed.EnsureSuccess("inspect --referrers");
        Assert.Contains("application/spdx+json", listed.Out);
        Assert.Contains("application/vnd.in-toto+json", listed.Out);
        var version = dpkg.EnsureSuccess("dpkg-query in the image").Out.Trim();
        Assert.StartsWith("3:3.2", version);
        var subject = await SigningTests.ManifestDigestAsync(registry, "mysite", "attested");

        var sbom = JsonNode.Parse(await SigningTests.ArtifactBlobAsync(registry, "mysite", subject, "application/spdx+json"))!;
        Assert.Equal("SPDX-2.3", (string?)sbom["spdxVersion"]);
        var django = sbom["packages"]!.AsArray().Single(p => (string?)p!["name"] == "python3-django")!;
        Assert.Equal(version, (string?)django["versionInfo"]);
        Assert.StartsWith("pkg:deb/debian/python3-django@", (string?)django["externalRefs"]![0]!["referenceLocator"]);
        Assert.Contains(sbom["packages"]!.AsArray(), p => (string?)p!["name"] == "gunicorn");

        var provenance = JsonNode.Parse(await SigningTests.ArtifactBlobAsync(registry, "mysite", subject, "application/vnd.in-toto+json"))!;
        Assert.Equal("https://slsa.dev/provenance/v1", (string?)provenance["predicateType"]);
        Assert.Equal(subject, "sha256:" + (string?)provenance["subject"]![0]!["digest"]!["sha256"]);
        var dependencies = provenance["predicate"]!["buildDefinition"]!["resolvedDependencies"]!.AsArray();
        var debian = Assert.Single(dependencies, d => ((string?)d!["uri"])!.StartsWith("pkg:docker/debian@bookworm", StringComparison.Ordinal))!;
        Assert.Equal((string?)baseImage["Digest"], "sha256:" + (string?)debian["digest"]!["sha256"]);
        Assert.Equal("debian", (string?)provenance["predicate"]!["buildDefinition"]!["externalParameters"]!["request"]!["args"]!["DEPS"]);
    }
}
