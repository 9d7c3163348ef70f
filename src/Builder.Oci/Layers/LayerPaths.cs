using System.Text;

namespace Builder.Oci.Layers;

/// <summary>Layer path rules shared by the writer and the applier.</summary>
internal static class LayerPaths
{
    /// <summary>
    /// A change's path in canonical form (<c>a/b</c>): leading <c>/</c> and <c>./</c>, empty and <c>.</c>
    /// components dropped; <c>..</c> refused, since a layer describes one tree and never steps out of it.
    /// </summary>
    public static string NormalizeForWriting(string path)
    {
        if (path.Contains('\0'))
        {
            throw new ArgumentException($"layer path \"{path.Replace("\0", "\\0", StringComparison.Ordinal)}\" contains a NUL character");
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
        {
            throw new ArgumentException($"layer path \"{path}\" has a \"..\" component");
        }
        if (parts.Length == 0)
        {
            throw new ArgumentException($"layer path \"{path}\" names the root itself");
        }
        return string.Join('/', parts);
    }

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}

/// <summary>
/// The order entries are written in: component by component (so a directory's subtree is contiguous and
/// parents come first), UTF-8 bytes compared ordinally, and among siblings the opaque marker and whiteouts
/// first, as the OCI layer spec recommends (whiteouts before sibling entries).
/// </summary>
internal sealed class LayerPathComparer : IComparer<byte[]>
{
    public static LayerPathComparer Instance { get; } = new();

    public static byte[] Key(string path) => Encoding.UTF8.GetBytes(path);

    public int Compare(byte[]? x, byte[]? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var a = x.AsSpan();
        var b = y.AsSpan();
        while (true)
        {
            var ea = a.IndexOf((byte)'/');
            var eb = b.IndexOf((byte)'/');
            var ca = ea < 0 ? a : a[..ea];
            var cb = eb < 0 ? b : b[..eb];
            var order = Rank(ca).CompareTo(Rank(cb));
            if (order == 0)
            {
                order = ca.SequenceCompareTo(cb);
            }
            if (order != 0)
            {
                return order;
            }
            if (ea < 0 || eb < 0)
            {
                return (ea < 0 ? 0 : 1) - (eb < 0 ? 0 : 1);
            }
            a = a[(ea + 1)..];
            b = b[(eb + 1)..];
        }
    }

    private static int Rank(ReadOnlySpan<byte> component) =>
        component.SequenceEqual(".wh..wh..opq"u8) ? 0 : component.StartsWith(".wh."u8) ? 1 : 2;
}
