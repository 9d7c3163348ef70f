namespace Builder.Signing;

/// <summary>
/// The artifact and blob media types of what Builder attaches to images as OCI 1.1 referrers. The artifact type says
/// what a referrer is for; its one layer carries the document in a format other tools know by that type.
/// </summary>
public static class ArtifactTypes
{
    /// <summary>
    /// A Builder image signature: a referrer whose layer is a detached CMS signature over the subject manifest's
    /// bytes. A type of our own, so that other pkcs7 uses (and other signers' formats) are never taken for ours.
    /// </summary>
    public const string Signature = "application/vnd.builder.signature.cms.v1";

    /// <summary>The signature layer: DER CMS SignedData, as RFC 8551 registers it (what <c>openssl cms -inform DER</c> reads).</summary>
    public const string CmsSignature = "application/pkcs7-signature";

    /// <summary>An SPDX JSON document, as IANA registers it; artifact type and layer alike.</summary>
    public const string Spdx = "application/spdx+json";

    /// <summary>An in-toto statement (here with a SLSA provenance predicate); artifact type and layer alike.</summary>
    public const string InToto = "application/vnd.in-toto+json";

    /// <summary>The annotation that names an in-toto statement's predicate type, as BuildKit's attestations carry it.</summary>
    public const string PredicateTypeAnnotation = "in-toto.io/predicate-type";

    /// <summary>When the artifact was made (OCI pre-defined annotation).</summary>
    public const string CreatedAnnotation = "org.opencontainers.image.created";
}
