using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Layers;

/// <summary>
/// Where each regular file with content sits in a plain layer tar the builder wrote: the header's offset, length and
/// digest, the data's length, and the sha256 of the data the writer was given for it. A hint for the next write of the same
/// step (<see cref="LayerReuse"/>), never trusted: every byte taken from it is checked against the new entry first.
/// </summary>
public sealed record TarIndex(Digest Layer, long Size, IReadOnlyList<TarIndexEntry> Entries)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, TarIndexJson.Default.TarIndex);

    /// <summary>The index in <paramref name="json"/>, or null when it is damaged or inconsistent (then nothing is reused).</summary>
    public static TarIndex? TryParse(ReadOnlySpan<byte> json)
    {
        TarIndex? index;
        try
        {
            index = JsonSerializer.Deserialize(json, TarIndexJson.Default.TarIndex);
        }
        catch (JsonException)
        {
            return null;
        }
        if (index?.Entries is null || index.Size < 0)
        {
            return null;
        }
        // Entries in tar order, each inside the tar and after the one before: anything else is not an index we wrote.
        long end = 0;
        foreach (var e in index.Entries)
        {
            if (e?.Name is null || e.Sha256 is not { Length: 64 } || e.HeaderSha256 is not { Length: 64 } || e.Offset < end || e.HeaderLength is <= 0 or > 1 << 20
                || e.HeaderLength % TarFormat.BlockSize != 0 || e.Size < 0 || e.Offset > index.Size - e.HeaderLength - e.Size)
            {
                return null;
            }
            end = e.Offset + e.HeaderLength + e.Size;
        }
        return index;
    }
}

/// <param name="Offset">Where the entry's header starts (pax header included); its data follows the <paramref name="HeaderLength"/> bytes.</param>
/// <param name="Sha256">The sha256 of the content the writer was given.</param>
/// <param name="HeaderSha256">The sha256 of the header's bytes: an unchanged entry is known without reading the previous tar.</param>
public sealed record TarIndexEntry(string Name, long Offset, int HeaderLength, long Size, string Sha256, string HeaderSha256);

[JsonSerializable(typeof(TarIndex))]
internal sealed partial class TarIndexJson : JsonSerializerContext;
