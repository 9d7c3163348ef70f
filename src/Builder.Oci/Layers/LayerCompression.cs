namespace Builder.Oci.Layers;

/// <summary>How a layer tar is compressed.</summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}
