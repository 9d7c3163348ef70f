using System.Text.Json.Serialization.Metadata;

namespace Builder.Oci.Images;

/// <summary>
/// A small JSON blob (manifest, index, config) as a parsed value together with the exact bytes its digest is
/// computed from. Re-serialising a value read from elsewhere may change its bytes; a Blob never does.
/// </summary>
public sealed class Blob<T>
    where T : class
{
    internal Blob(Descriptor descriptor, T value, ReadOnlyMemory<byte> bytes)
    {
        Descriptor = descriptor;
        Value = value;
        Bytes = bytes;
    }

    public Descriptor Descriptor { get; }

    public T Value { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    public Digest Digest => Descriptor.Digest;
}

/// <summary>Creating <see cref="Blob{T}"/>s.</summary>
public static class Blob
{
    /// <summary>Serialises <paramref name="value"/> once; the descriptor describes those bytes.</summary>
    public static Blob<T> Create<T>(string mediaType, T value, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var bytes = OciJson.Serialize(value, typeInfo);
        return new Blob<T>(Descriptor.Of(mediaType, bytes), value, bytes);
    }

    /// <summary>A value parsed from <paramref name="bytes"/>, described by those bytes.</summary>
    internal static Blob<T> FromBytes<T>(string mediaType, T value, ReadOnlyMemory<byte> bytes)
        where T : class =>
        new(Descriptor.Of(mediaType, bytes.Span), value, bytes);
}
