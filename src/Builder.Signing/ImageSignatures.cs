using Builder.Oci;
using Builder.Oci.Images;
using Builder.Signing.Cms;
using Builder.Signing.Referrers;

namespace Builder.Signing;

/// <summary>What checking one signature referrer found: who signed, or why it does not verify.</summary>
public sealed record SignatureCheck(Digest Artifact, VerifiedSignature? Verified, string? Failure);

/// <summary>Signing images and verifying their signatures, wherever they are stored (local store or registry).</summary>
public static class ImageSignatures
{
    /// <summary>Signs <paramref name="subject"/>'s exact bytes and attaches the signature as a referrer of it.</summary>
    public static async Task<Artifact> SignAsync(
        IReferrerStore store, SubjectManifest subject, SigningIdentity identity, TimestampAuthority? timestamps, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var signature = await ManifestSigner.SignAsync(subject.Bytes, identity, now, timestamps, cancellationToken).ConfigureAwait(false);
        var artifact = Artifact.Create(ArtifactTypes.Signature, ArtifactTypes.CmsSignature, signature, subject.Descriptor, now);
        await store.AttachAsync(artifact, cancellationToken).ConfigureAwait(false);
        return artifact;
    }

    /// <summary>
    /// Checks every signature referrer of <paramref name="subject"/>: the artifact must name this manifest as its
    /// subject, and its CMS signature must be over these exact bytes by a signer the policy trusts.
    /// </summary>
    public static async Task<IReadOnlyList<SignatureCheck>> VerifyAsync(
        IReferrerStore store, SubjectManifest subject, TrustPolicy policy, CancellationToken cancellationToken)
    {
        var checks = new List<SignatureCheck>();
        var referrers = await store.GetReferrersAsync(subject.Descriptor.Digest, cancellationToken).ConfigureAwait(false);
        foreach (var referrer in referrers.Where(r => r.ArtifactType == ArtifactTypes.Signature).DistinctBy(r => r.Digest))
        {
            try
            {
                var signature = await ReadSignatureAsync(store, referrer, subject.Descriptor.Digest, cancellationToken).ConfigureAwait(false);
                checks.Add(new SignatureCheck(referrer.Digest, SignatureVerifier.Verify(subject.Bytes, signature, policy), null));
            }
            catch (SigningException e)
            {
                checks.Add(new SignatureCheck(referrer.Digest, null, e.Message));
            }
        }
        return checks;
    }

    /// <summary>The CMS blob of a signature artifact, after checking that the artifact is about <paramref name="subject"/>.</summary>
    public static async Task<byte[]> ReadSignatureAsync(IReferrerStore store, Descriptor artifact, Digest subject, CancellationToken cancellationToken)
    {
        var found = await store.GetManifestAsync(artifact.Digest.ToString(), cancellationToken).ConfigureAwait(false)
            ?? throw new SigningException($"signature {artifact.Digest} is listed but not in {store.Name}");
        var manifest = OciJson.ParseManifest(found.Bytes).Value;
        // A referrers list (the fallback tag above all) is only an index anyone may write: the artifact itself must agree.
        if (manifest.Subject?.Digest != subject)
        {
            throw new SigningException($"signature {artifact.Digest} is about {manifest.Subject?.Digest.ToString() ?? "no manifest"}, not {subject}");
        }
        var layer = manifest.Layers.FirstOrDefault(l => l.MediaType == ArtifactTypes.CmsSignature)
            ?? throw new SigningException($"signature {artifact.Digest} has no {ArtifactTypes.CmsSignature} layer");
        return await store.ReadBlobAsync(layer, cancellationToken).ConfigureAwait(false);
    }
}
