namespace Builder.Oci.Content;

/// <summary>
/// Every path under <c>$BUILDER_ROOT</c>, named in one place. The root is an OCI image layout (<c>oci-layout</c>,
/// <c>index.json</c>, <c>blobs/</c>) that skopeo and umoci read; what else the builder keeps there sits beside it.
/// </summary>
public sealed record StoreLayout(string Root)
{
    public static StoreLayout At(string root) => new(Path.GetFullPath(root));

    /// <summary><c>blobs/ALG/HEX</c>: the content, verified and complete.</summary>
    public string Blobs => Path.Combine(Root, "blobs");

    /// <summary>Blobs being written (<c>*.partial</c>), renamed into <see cref="Blobs"/> when verified.</summary>
    public string Ingest => Path.Combine(Root, "ingest");

    public string Index => Path.Combine(Root, OciLayoutStore.IndexFileName);

    /// <summary>One file per live verb (<see cref="StoreLeases"/>) and the sweep lock.</summary>
    public string Leases => Path.Combine(Root, StoreLeases.DirectoryName);

    /// <summary>Step cache records: cache key → the layer the step made.</summary>
    public string StepCache => Path.Combine(Root, "cache", "steps");

    /// <summary>The directories behind <c>RUN --mount=type=cache</c>.</summary>
    public string CacheMounts => Path.Combine(Root, "cache", "mounts");

    /// <summary>Context file digests by path, size, mtime and inode.</summary>
    public string ContextStatCache => Path.Combine(Root, "cache", "context-stat-cache");

    /// <summary>Which gzip blob a plain layer was compressed to (push and OCI export).</summary>
    public string CompressionRecords => Path.Combine(Root, "cache", "compressed");

    /// <summary>The manifest lists <c>builder manifest create</c> made, until pushed (JSON, one per name).</summary>
    public string ManifestLists => Path.Combine(Root, "manifests");

    /// <summary>What the sandbox keeps: extracted layers, snapshots, scratch directories.</summary>
    public string Sandbox => Path.Combine(Root, "sandbox");

    /// <summary>Each layer extracted once, by diffID (overlay lowers).</summary>
    public string ExtractedLayers => Path.Combine(Sandbox, "layers");

    /// <summary>Steps' writable snapshots (overlay upper and work directories).</summary>
    public string Snapshots => Path.Combine(Sandbox, "snapshots");

    /// <summary>Steps' mount copies (bind sources, seeded caches).</summary>
    public string Scratch => Path.Combine(Sandbox, "scratch");

    /// <summary>The runtime's state where no tmpfs is found (and where builds before leases kept it).</summary>
    public string DiskRuntimeState => Path.Combine(Sandbox, "run");
}
