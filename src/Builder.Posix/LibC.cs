using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Builder.Posix;

/// <summary>
/// The few libc file-system calls .NET does not expose: statx (inode, device, owner, rdev), xattrs, mknod, lchown,
/// utimensat without following symlinks, hard links, flock. Path-based calls never follow the final symlink. Shared
/// by the layer code (Builder.Oci), the sandbox and the engine, so each does not declare its own.
/// </summary>
/// <remarks>Failures throw <see cref="IOException"/> with the errno in <see cref="Exception.HResult"/> (see <see cref="Error"/>).</remarks>
public static partial class LibC
{
    // The runtime maps "libc" to the C library's real soname on Linux.
    private const string Lib = "libc";

    /// <summary>The file type bits of a mode, and each type's value (<c>sys/stat.h</c>).</summary>
    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
    public const uint S_IFLNK = 0xA000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFIFO = 0x1000;

    /// <summary>The errno values callers check (<c>asm-generic/errno-base.h</c>, the same on every Linux architecture).</summary>
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EWOULDBLOCK = 11;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EINVAL = 22;
    public const int ERANGE = 34;
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;

    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_BASIC_STATS = 0x7FF;

    private const int O_RDONLY = 0;
    private const int O_WRONLY = 1;
    private const int O_RDWR = 2;
    private const int O_CREAT = 0x40;
    private const int O_EXCL = 0x80;
    private const int O_CLOEXEC = 0x80000;

    // O_NOFOLLOW is one of the few flags whose value differs between architectures.
    private static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le
        ? 0x8000
        : 0x20000;

    /// <summary>Whether this process runs as uid 0 (real root, or root of a user namespace).</summary>
    public static bool IsRoot => geteuid() == 0;

    /// <summary>This process's effective user and group ids.</summary>
    public static (uint User, uint Group) EffectiveIds => (geteuid(), getegid());

    /// <summary>lstat: the entry itself, never a symlink's target; null when it does not exist.</summary>
    public static unsafe FileStatus? LStat(string path)
    {
        var buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) == 0)
        {
            return FileStatus.FromStatx(buffer);
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is ENOENT or ENOTDIR ? null : throw Error(errno, "stat", path);
    }

    /// <summary>fstat of an open file (statx with AT_EMPTY_PATH); <paramref name="pathForErrors"/> only names it in errors.</summary>
    public static unsafe FileStatus FStat(SafeFileHandle handle, string pathForErrors)
    {
        var buffer = stackalloc byte[256];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return statx((int)handle.DangerousGetHandle(), string.Empty, AT_EMPTY_PATH, STATX_BASIC_STATS, buffer) == 0
                ? FileStatus.FromStatx(buffer)
                : throw Error(Marshal.GetLastPInvokeError(), "stat", pathForErrors);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Opens a file for reading without following a symlink in its last component.</summary>
    public static SafeFileHandle OpenReadNoFollow(string path)
    {
        var fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error(Marshal.GetLastPInvokeError(), "open", path);
    }

    /// <summary>Creates a new file (never an existing one, never through a final symlink), owner-only until chmod.</summary>
    public static SafeFileHandle CreateExclusive(string path)
    {
        var fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error(Marshal.GetLastPInvokeError(), "create", path);
    }

    /// <summary>A symlink's target, as stored (not resolved).</summary>
    public static string ReadLink(string path)
    {
        var size = 256;
        while (true)
        {
            var buffer = new byte[size];
            var n = (long)readlink(path, buffer, buffer.Length);
            if (n < 0)
            {
                throw Error(Marshal.GetLastPInvokeError(), "readlink", path);
            }
            if (n < buffer.Length)
            {
                return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
            }
            size *= 4;
        }
    }

    /// <summary>flock operations: shared, exclusive, non-blocking (or-ed with one of them), unlock.</summary>
    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;

    /// <summary>Opens (creating it, 0644) a file for appending and locking, without .NET's own implicit flock.</summary>
    public static SafeFileHandle OpenLockFile(string path)
    {
        var fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0x1A4);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error(Marshal.GetLastPInvokeError(), "open", path);
    }

    /// <summary>flock(2): false when <see cref="LOCK_NB"/> was asked and another open file holds a conflicting lock.</summary>
    public static bool Flock(SafeFileHandle file, int operation)
    {
        while (true)
        {
            if (flock(file, operation) == 0)
            {
                return true;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWOULDBLOCK && (operation & LOCK_NB) != 0)
            {
                return false;
            }
            if (errno != EINTR)
            {
                throw Error(errno, "flock", "lock file");
            }
        }
    }

    /// <summary>mkdir with <paramref name="mode"/> (less the umask); fails if the path exists.</summary>
    public static void MakeDirectory(string path, uint mode) => Check(mkdir(path, mode), "mkdir", path);

    /// <summary>
    /// Turns direct I/O (O_DIRECT: writes go from the caller's aligned buffer to the disk, never through the page
    /// cache) on or off for an open file; false when the file system refuses it (tmpfs, some network file systems).
    /// </summary>
    public static bool TrySetDirectIo(SafeFileHandle file, bool on)
    {
        // O_DIRECT's value differs between architectures (asm-generic uses 040000; arm64 0200000).
        var direct = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? 0x10000 : 0x4000;
        const int F_GETFL = 3, F_SETFL = 4;
        var fd = (int)file.DangerousGetHandle();
        var flags = fcntl_int(fd, F_GETFL, 0);
        return flags >= 0 && fcntl_int(fd, F_SETFL, on ? flags | direct : flags & ~direct) == 0;
    }

    /// <summary>
    /// Starts writing a range of a file to disk without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so a
    /// later fsync finds little left to do. Only a hint: where it fails, the fsync does all the work as before.
    /// </summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long length) =>
        _ = sync_file_range((int)file.DangerousGetHandle(), offset, length, SYNC_FILE_RANGE_WRITE);

    /// <summary>
    /// pread(2): up to <paramref name="buffer"/>'s length at <paramref name="offset"/>, 0 at the end of the file.
    /// RandomAccess.Read does the same after an lseek of its own on every new handle (to learn whether it can seek);
    /// a layer opens each file once, so that was one more call per file.
    /// </summary>
    public static unsafe int Read(SafeFileHandle file, Span<byte> buffer, long offset, string pathForErrors)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var n = pread((int)file.DangerousGetHandle(), start, (nuint)buffer.Length, offset);
                if (n >= 0)
                {
                    return (int)n;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    throw Error(errno, "read", pathForErrors);
                }
            }
        }
    }

    /// <summary>
    /// Reads what of <paramref name="buffer"/>'s length at <paramref name="offset"/> is already in the page cache
    /// (preadv2 with RWF_NOWAIT): the count read, 0 at the end of the file, or -1 when the next byte would have to come
    /// from the disk (or the kernel cannot tell: then the caller reads it another way).
    /// </summary>
    public static unsafe int ReadIfCached(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        const int RWF_NOWAIT = 0x8;
        fixed (byte* start = buffer)
        {
            var vector = new IoVector { Base = start, Length = (nuint)buffer.Length };
            var n = preadv2((int)file.DangerousGetHandle(), &vector, 1, offset, RWF_NOWAIT);
            return n >= 0 ? (int)n : -1;
        }
    }

    private unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>Creates <paramref name="path"/> as a symlink to <paramref name="target"/>.</summary>
    public static void Symlink(string target, string path) => Check(symlink(target, path), "symlink", path);

    /// <summary>Creates <paramref name="path"/> as a hard link to <paramref name="existing"/> (link(2) does not follow a final symlink).</summary>
    public static void HardLink(string existing, string path) => Check(link(existing, path), "link", path);

    /// <summary>Removes a file, symlink or device (never a directory).</summary>
    public static void Unlink(string path) => Check(unlink(path), "unlink", path);

    /// <summary>Removes an empty directory.</summary>
    public static void RemoveDirectory(string path) => Check(rmdir(path), "rmdir", path);

    /// <summary>mknod; returns the errno instead of throwing so callers can decide what "not permitted" means.</summary>
    public static int TryMakeNode(string path, uint typeAndMode, long major, long minor)
    {
        var dev = MakeDev((ulong)major, (ulong)minor);
        return mknod(path, typeAndMode, dev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Sets the owner of an entry itself, a symlink included.</summary>
    public static void LChown(string path, long uid, long gid) => Check(lchown(path, (uint)uid, (uint)gid), "chown", path);

    /// <summary>chmod; follows a final symlink, so call it on entries known not to be one.</summary>
    public static void Chmod(string path, uint mode) => Check(chmod(path, mode), "chmod", path);

    /// <summary>Sets access and modification time of an entry itself (a symlink is not followed).</summary>
    public static unsafe void SetTimes(string path, long seconds, long nanoseconds)
    {
        var times = stackalloc long[4] { seconds, nanoseconds, seconds, nanoseconds };
        Check(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW), "set times on", path);
    }

    /// <summary>lsetxattr; returns the errno (0 on success) so callers can report unsupported attributes.</summary>
    public static int TrySetXattr(string path, string name, byte[] value) =>
        lsetxattr(path, name, value, value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>lremovexattr; true when the attribute was there and is gone, false when there was none.</summary>
    public static bool RemoveXattr(string path, string name)
    {
        if (lremovexattr(path, name) == 0)
        {
            return true;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno == ENODATA ? false : throw Error(errno, $"remove xattr {name} of", path);
    }

    /// <summary>The extended attributes of an entry (not of a symlink's target), names in ordinal order.</summary>
    public static SortedDictionary<string, byte[]> ListXattrs(string path)
    {
        var result = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var size = (long)llistxattr(path, null, 0);
        if (size < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is EOPNOTSUPP ? result : throw Error(errno, "list xattrs of", path);
        }
        while (size > 0)
        {
            var names = new byte[size];
            var n = (long)llistxattr(path, names, names.Length);
            if (n < 0 && Marshal.GetLastPInvokeError() == ERANGE)
            {
                size = (long)llistxattr(path, null, 0);
                continue;
            }
            if (n < 0)
            {
                throw Error(Marshal.GetLastPInvokeError(), "list xattrs of", path);
            }
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (names[i] != 0)
                {
                    continue;
                }
                var name = System.Text.Encoding.UTF8.GetString(names, start, i - start);
                start = i + 1;
                if (GetXattr(path, name) is { } value)
                {
                    result[name] = value;
                }
            }
            break;
        }
        return result;
    }

    private static byte[]? GetXattr(string path, string name)
    {
        while (true)
        {
            var size = (long)lgetxattr(path, name, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == ENODATA ? null : throw Error(errno, $"read xattr {name} of", path);
            }
            var value = new byte[size];
            var n = (long)lgetxattr(path, name, value, value.Length);
            if (n >= 0)
            {
                return n == size ? value : value[..(int)n];
            }
            var retry = Marshal.GetLastPInvokeError();
            if (retry != ERANGE)
            {
                return retry == ENODATA ? null : throw Error(retry, $"read xattr {name} of", path);
            }
        }
    }

    /// <summary>The exception for a failed call: the operation, the path and the system's message; the errno is its HResult.</summary>
    public static IOException Error(int errno, string operation, string path) =>
        new($"cannot {operation} {path}: {Marshal.GetPInvokeErrorMessage(errno)}") { HResult = errno };

    private static void Check(int result, string operation, string path)
    {
        if (result != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), operation, path);
        }
    }

    // glibc's makedev/major/minor encoding of a 64-bit dev_t.
    private static ulong MakeDev(ulong major, ulong minor) =>
        ((major & 0xFFFFF000) << 32) | ((major & 0xFFF) << 8) | ((minor & 0xFFFFFF00) << 12) | (minor & 0xFF);

    private const uint SYNC_FILE_RANGE_WRITE = 2;

    [LibraryImport(Lib)]
    private static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);

    [LibraryImport(Lib, EntryPoint = "pread64", SetLastError = true)]
    private static unsafe partial nint pread(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib)]
    private static unsafe partial nint preadv2(int fd, IoVector* vectors, int count, long offset, int flags);

    [LibraryImport(Lib, EntryPoint = "fcntl")]
    private static partial int fcntl_int(int fd, int command, int argument);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint readlink(string path, [Out] byte[] buffer, nint size);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int symlink(string target, string path);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existing, string path);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlink(string path);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int utimensat(int dirfd, string path, long* times, int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nint size, int flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lremovexattr(string path, string name);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint lgetxattr(string path, string name, [Out] byte[]? value, nint size);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint llistxattr(string path, [Out] byte[]? list, nint size);

    [LibraryImport(Lib)]
    private static partial uint geteuid();

    [LibraryImport(Lib)]
    private static partial uint getegid();

    [LibraryImport(Lib, SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);
}
