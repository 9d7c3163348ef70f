namespace Builder.Posix;

/// <summary>The parts of <c>struct statx</c> a layer needs: type and mode, owner, size, inode and device, rdev, mtime.</summary>
public readonly record struct FileStatus(
    uint Mode,
    long Uid,
    long Gid,
    long Size,
    ulong Inode,
    uint Links,
    uint DeviceMajor,
    uint DeviceMinor,
    uint RdevMajor,
    uint RdevMinor,
    long MtimeSeconds,
    uint MtimeNanoseconds)
{
    /// <summary>The file type bits (<see cref="LibC.S_IFMT"/>): compare with <see cref="LibC.S_IFDIR"/> and the like.</summary>
    public uint Type => Mode & LibC.S_IFMT;

    public bool IsDirectory => Type == LibC.S_IFDIR;

    public bool IsSymlink => Type == LibC.S_IFLNK;

    public bool IsRegular => Type == LibC.S_IFREG;

    /// <summary>A 0/0 character device: how overlayfs (and an extracted layer in its form) marks a deleted entry.</summary>
    public bool IsOverlayWhiteout => Type == LibC.S_IFCHR && RdevMajor == 0 && RdevMinor == 0;

    /// <summary>Permission bits plus setuid, setgid and sticky.</summary>
    public uint Permissions => Mode & 0xFFF;

    // struct statx is the same on every Linux architecture, unlike struct stat.
    internal static unsafe FileStatus FromStatx(byte* b) => new(
        Mode: *(ushort*)(b + 28),
        Uid: *(uint*)(b + 20),
        Gid: *(uint*)(b + 24),
        Size: *(long*)(b + 40),
        Inode: *(ulong*)(b + 32),
        Links: *(uint*)(b + 16),
        DeviceMajor: *(uint*)(b + 136),
        DeviceMinor: *(uint*)(b + 140),
        RdevMajor: *(uint*)(b + 128),
        RdevMinor: *(uint*)(b + 132),
        MtimeSeconds: *(long*)(b + 112),
        MtimeNanoseconds: *(uint*)(b + 120));
}
