using System.Text;

namespace Builder.Oci.Layers;

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
