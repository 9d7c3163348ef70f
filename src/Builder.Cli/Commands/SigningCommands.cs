using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Signing;
using Builder.Signing.Cms;
using Builder.Signing.Referrers;

namespace Builder.Cli.Commands;

/// <summary><c>builder sign</c> and <c>builder verify</c>: CMS signatures attached to images as OCI referrers.</summary>
internal static class SigningCommands
{
    public static IEnumerable<Command> Create(CliIo io) => [Sign(io), Verify(io)];

    private static Option<bool> LocalOption(string what) => new("--local") { Description = $"{what} the image in the local store instead of in its registry" };

    private static Option<string[]> InsecureOption() => new("--insecure-registry") { Description = "A registry to reach without TLS verification (repeatable)" };

    private static Command Sign(CliIo io)
    {
        var reference = new Argument<string>("IMAGE") { Description = "The image to sign: NAME[:TAG|@DIGEST] in its registry, or a local image with --local" };
        var keys = new SigningKeyOptions();
        var local = LocalOption("Sign");
        var insecure = InsecureOption();
        var command = new Command("sign", "Sign an image's manifest (detached CMS) and attach the signature as an OCI referrer") { reference, local, insecure };
        foreach (var option in keys.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            // The key first: a wrong password should not wait for the registry.
            using var identity = keys.Load(result);
            using var http = SigningKeyOptions.TimestampClient();
            var timestamps = keys.Timestamps(result, http);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var (store, subject, name) = await ResolveAsync(result.GetValue(reference)!, result.GetValue(local), registries, cancellationToken, forSigning: true);
            var artifact = await ImageSignatures.SignAsync(store, subject, identity, timestamps, cancellationToken);
            io.Out.WriteLine($"Signed {name}@{subject.Descriptor.Digest} as {identity.Certificate.Subject}");
            io.Out.WriteLine($"Signature: {artifact.Descriptor.Digest} ({ArtifactTypes.Signature}, in {store.Name})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(CliIo io)
    {
        var reference = new Argument<string>("IMAGE") { Description = "The image to check: NAME[:TAG|@DIGEST] in its registry, or a local image with --local" };
        var ca = new Option<string>("--ca") { Description = "PEM root certificates that signers (and timestamp authorities) must chain to", Required = true };
        var identity = new Option<string?>("--cert-identity") { Description = "Accept only this signer: a subject DN, its CN, or an email/URI/DNS alternative name" };
        var local = LocalOption("Verify");
        var insecure = InsecureOption();
        var command = new Command("verify", "Check an image's signatures against trusted roots; exit 1 when none verifies") { reference, ca, identity, local, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            var policy = new TrustPolicy(ReadRoots(result.GetValue(ca)!), result.GetValue(identity));
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var (store, subject, name) = await ResolveAsync(result.GetValue(reference)!, result.GetValue(local), registries, cancellationToken);
            var checks = await ImageSignatures.VerifyAsync(store, subject, policy, cancellationToken);
            foreach (var check in checks)
            {
                if (check.Verified is { } verified)
                {
                    io.Out.WriteLine($"Verified signature {check.Artifact} of {name}@{subject.Descriptor.Digest}");
                    io.Out.WriteLine($"  signed by: {verified.Signer}");
                    io.Out.WriteLine($"  issued by: {verified.Issuer}");
                    io.Out.WriteLine($"  signed at: {Time(verified.SigningTime)}");
                    if (verified.Timestamp is { } timestamp)
                    {
                        io.Out.WriteLine($"  timestamp: {Time(timestamp.Time)} by {timestamp.Authority}");
                    }
                }
                else
                {
                    io.Error.WriteLine($"signature {check.Artifact} does not verify: {check.Failure}");
                }
            }
            if (checks.Any(c => c.Verified is not null))
            {
                return ExitCodes.Ok;
            }
            io.Error.WriteLine(checks.Count == 0
                ? $"error: {name}@{subject.Descriptor.Digest} has no signature in {store.Name}"
                : $"error: none of the {checks.Count} signature(s) of {name}@{subject.Descriptor.Digest} verifies");
            return ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// The image <paramref name="text"/> names and where its referrers live: the local store (a name, ID or digest
    /// prefix) with <paramref name="local"/>, else its registry repository (the tag, or the digest, as the registry resolves it now).
    /// </summary>
    /// <param name="forSigning">
    /// A local image is to be signed: a signature names one manifest digest, so sign the compressed manifest a push
    /// sends (and point the image's name at it), or the signature would not hold in the registry.
    /// </param>
    public static async Task<(IReferrerStore Store, SubjectManifest Subject, string Name)> ResolveAsync(
        string text, bool local, RegistryClient registries, CancellationToken cancellationToken, bool forSigning = false)
    {
        if (local)
        {
            // Not disposed here: the store returned reads through it, so its lease lasts until the verb's process ends.
            var images = await LocalImages.OpenAsync(cancellationToken);
            var (name, target) = await images.FindAsync(text, cancellationToken);
            if (forSigning)
            {
                var compressed = await new ImageCompression(images.Store).CompressAsync(target, cancellationToken);
                if (name is not null && compressed.Digest != target.Digest)
                {
                    await images.Store.SetAsync(name, compressed, cancellationToken);
                }
                target = compressed;
            }
            var store = new LayoutReferrerStore(images.Store);
            var subject = await store.GetManifestAsync(target.Digest.ToString(), cancellationToken) ?? throw new ImageNotFoundException(text);
            return (store, subject, name?.WithoutTagOrDigest().ToString() ?? text);
        }
        var reference = ImageCommands.ParseReference(text);
        var remote = new RegistryReferrerStore(registries, reference);
        var manifest = await remote.GetManifestAsync(reference.Digest?.ToString() ?? reference.Tag ?? ImageReference.DefaultTag, cancellationToken)
            ?? throw new SigningException($"{reference}: no such manifest in the registry");
        return (remote, manifest, reference.WithoutTagOrDigest().ToString());
    }

    /// <summary><c>inspect --referrers</c>: a table of the image's referrers, from the local store when it has the image, else from its registry.</summary>
    public static async Task<int> ListReferrersAsync(CliIo io, string text, IEnumerable<string>? insecure, CancellationToken cancellationToken)
    {
        using var images = await LocalImages.OpenAsync(cancellationToken);
        var inStore = true;
        try
        {
            await images.FindAsync(text, cancellationToken);
        }
        catch (ImageNotFoundException) when (ImageReference.TryParse(text, out _))
        {
            inStore = false;
        }
        using var registries = RegistryAccess.CreateClient(insecure);
        var (store, subject, _) = await ResolveAsync(text, inStore, registries, cancellationToken);
        var rows = (await store.GetReferrersAsync(subject.Descriptor.Digest, cancellationToken))
            .Select(r => new[]
            {
                r.ArtifactType ?? "-", r.Digest.ToString(), r.Size.ToString(CultureInfo.InvariantCulture),
                r.Annotations?.GetValueOrDefault(ArtifactTypes.CreatedAnnotation) ?? "-",
            })
            .ToList();
        Rendering.Table.Write(io.Out, ["ARTIFACT TYPE", "DIGEST", "SIZE", "CREATED"], rows);
        return ExitCodes.Ok;
    }

    private static X509Certificate2Collection ReadRoots(string path)
    {
        if (!File.Exists(path))
        {
            throw new SigningException($"{path}: no such file");
        }
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new SigningException($"{path}: a certificate cannot be read: {e.Message}", e);
        }
        return roots.Count > 0 ? roots : throw new SigningException($"{path} holds no PEM certificate");
    }

    private static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "(not stated)";
}
