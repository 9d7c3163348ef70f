using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci;

/// <summary>
/// A content digest, <c>algorithm:hex</c> (OCI image-spec descriptor digests). sha256 and sha512 are the
/// registered algorithms and are validated strictly (lower-case hex of the right length).
/// </summary>
[JsonConverter(typeof(DigestJsonConverter))]
public readonly record struct Digest
{
    public const string Sha256 = "sha256";
    public const string Sha512 = "sha512";

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    public override string ToString() => $"{Algorithm}:{Hex}";

    /// <summary>The digest of <paramref name="data"/> with <paramref name="algorithm"/> (sha256 by default).</summary>
    public static Digest Of(ReadOnlySpan<byte> data, string algorithm = Sha256) => algorithm switch
    {
        Sha256 => new Digest(Sha256, Convert.ToHexStringLower(SHA256.HashData(data))),
        Sha512 => new Digest(Sha512, Convert.ToHexStringLower(SHA512.HashData(data))),
        _ => throw new NotSupportedException($"digest algorithm {algorithm} is not supported"),
    };

    /// <summary>A digest from a finished hash of <paramref name="algorithm"/>.</summary>
    public static Digest FromHash(string algorithm, ReadOnlySpan<byte> hash) => new(algorithm, Convert.ToHexStringLower(hash));

    public static Digest Parse(string text) =>
        TryParse(text, out var digest, out var error) ? digest : throw new FormatException(error);

    public static bool TryParse(string? text, out Digest digest) => TryParse(text, out digest, out _);

    private static bool TryParse(string? text, out Digest digest, out string error)
    {
        digest = default;
        var colon = text?.IndexOf(':') ?? -1;
        if (text is null || colon <= 0 || colon == text.Length - 1)
        {
            error = $"invalid digest \"{text}\": expected algorithm:hex";
            return false;
        }
        var algorithm = text[..colon];
        var hex = text[(colon + 1)..];
        var length = algorithm switch { Sha256 => 64, Sha512 => 128, _ => 0 };
        if (length == 0)
        {
            error = $"invalid digest \"{text}\": unsupported algorithm {algorithm}";
            return false;
        }
        if (hex.Length != length || !hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            error = $"invalid digest \"{text}\": {algorithm} needs {length} lower-case hex characters";
            return false;
        }
        digest = new Digest(algorithm, hex);
        error = string.Empty;
        return true;
    }

    /// <summary>A hash that computes this digest's algorithm incrementally, for hashing while streaming.</summary>
    public IncrementalHash CreateHash() => CreateHash(Algorithm);

    public static IncrementalHash CreateHash(string algorithm) => algorithm switch
    {
        Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        Sha512 => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new NotSupportedException($"digest algorithm {algorithm} is not supported"),
    };
}

/// <summary>Digests as their "algorithm:hex" strings in JSON.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Digest.TryParse(reader.GetString(), out var digest) ? digest : throw new JsonException($"invalid digest \"{reader.GetString()}\"");

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
