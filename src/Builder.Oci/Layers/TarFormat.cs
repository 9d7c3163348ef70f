namespace Builder.Oci.Layers;

/// <summary>
/// The tar vocabulary: the type flags of <see cref="TarEntryHeader.Type"/>, the pax key xattrs are stored under, and
/// the OCI layer's whiteout names (an entry <c>dir/.wh.name</c> deletes <c>dir/name</c> of the layers below; an entry
/// <c>dir/.wh..wh..opq</c> hides everything the layers below hold in <c>dir</c>).
/// </summary>
public static class TarFormat
{
    /// <summary>Headers and data are written in blocks of this many bytes.</summary>
    public const int BlockSize = 512;

    // Type flags (POSIX ustar; TypeRegularOld is the pre-POSIX NUL, TypeContiguous is read as a regular file).
    public const byte TypeRegular = (byte)'0';
    public const byte TypeRegularOld = 0;
    public const byte TypeHardlink = (byte)'1';
    public const byte TypeSymlink = (byte)'2';
    public const byte TypeChar = (byte)'3';
    public const byte TypeBlock = (byte)'4';
    public const byte TypeDirectory = (byte)'5';
    public const byte TypeFifo = (byte)'6';
    public const byte TypeContiguous = (byte)'7';
    public const byte TypePaxHeader = (byte)'x';
    public const byte TypePaxGlobal = (byte)'g';
    public const byte TypeGnuLongName = (byte)'L';
    public const byte TypeGnuLongLink = (byte)'K';

    /// <summary>The pax record key prefix an extended attribute's name follows (as GNU tar and Go write them).</summary>
    public const string XattrPrefix = "SCHILY.xattr.";

    /// <summary>A whiteout's name: this prefix, then the name of the entry it deletes.</summary>
    public const string WhiteoutPrefix = ".wh.";

    /// <summary>The name of the entry that makes its directory opaque.</summary>
    public const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>Names starting with this are the whiteout scheme's own metadata (the opaque marker, aufs' links), never whiteouts.</summary>
    public const string WhiteoutMetaPrefix = ".wh..wh.";

    /// <summary>The zero bytes that follow <paramref name="size"/> bytes of data up to the next block.</summary>
    public static int Padding(long size) => (int)((BlockSize - (size % BlockSize)) % BlockSize);
}
