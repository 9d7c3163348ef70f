using System.Runtime.InteropServices;
using Builder.Posix;
using Microsoft.Win32.SafeHandles;

namespace Builder.Sandbox.Mounts;

/// <summary>
/// Paths inside a root directory, resolved as the layer applier resolves layer paths: every symlink on the way is
/// followed inside the root (an absolute target starts again at the root, <c>..</c> stops at it), never on the host.
/// </summary>
/// <remarks>
/// <see cref="Open"/> returns a descriptor: the kernel's <c>openat2</c> with <c>RESOLVE_IN_ROOT |
/// RESOLVE_NO_MAGICLINKS</c> resolves where it exists (Linux 5.6+); elsewhere the same walk is done here, one component
/// at a time with <c>O_NOFOLLOW</c>, each step relative to the directory descriptor before it.
/// A mount source cannot be handed to runc 1.1 as that descriptor's <c>/proc/PID/fd/N</c>: runc mounts from the
/// container's new mount namespace, and the kernel refuses (EINVAL) to bind a mount of another namespace. So
/// <see cref="Pin"/> hands over a path instead, one with no symlink left in it, checked to name the very file the
/// descriptor holds; the engine only mounts trees of its own (copies of the context or a stage), which nothing writes
/// between that check and the mount, so no symlink can be swapped in (the race of CVE-2024-23651).
/// </remarks>
public static partial class RootedPath
{
    private const int MaxSymlinks = 40;
    private const int AT_EMPTY_PATH = 0x1000;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const int O_PATH = 0x200000;
    private const int O_CLOEXEC = 0x80000;
    private const long SYS_openat2 = 437; // the same number on every architecture (added after the syscall tables were unified)
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    private const ulong RESOLVE_IN_ROOT = 0x10;
    private const int ENOSYS = 38;
    private const int EAGAIN = 11;
    private const int ENOENT = 2;

    private static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le ? 0x8000 : 0x20000;

    /// <summary>Set by tests to exercise the walk where the kernel has openat2.</summary>
    internal static bool ForceWalk { get; set; }

    /// <summary>
    /// Opens <paramref name="path"/> inside <paramref name="root"/> as an <c>O_PATH</c> descriptor (the file or directory
    /// itself, a final symlink followed inside the root too).
    /// </summary>
    /// <exception cref="FileNotFoundException">The path, resolved inside the root, does not exist.</exception>
    public static SafeFileHandle Open(string root, string path)
    {
        using var rootHandle = OpenRoot(root);
        var relative = path.TrimStart('/');
        if (relative.Length == 0)
        {
            return OpenRoot(root);
        }
        if (!ForceWalk)
        {
            if (TryOpenat2(rootHandle, relative, out var handle, out var errno))
            {
                return handle;
            }
            if (errno != ENOSYS)
            {
                throw Error(errno, root, path);
            }
        }
        return Walk(root, path);
    }

    /// <summary>The path this process reaches <paramref name="handle"/> through.</summary>
    public static string ProcPath(SafeFileHandle handle) =>
        $"/proc/{Environment.ProcessId}/fd/{handle.DangerousGetHandle()}";

    /// <summary>
    /// The host path of what <paramref name="path"/> names inside <paramref name="root"/>: free of symlinks, and
    /// checked to be the file a descriptor opened inside the root holds (so it exists, and is inside the root).
    /// </summary>
    public static string Pin(string root, string path)
    {
        var expected = Path.Combine(Path.GetFullPath(root), Resolve(root, path));
        using var handle = Open(root, path);
        var actual = LibC.ReadLink(ProcPath(handle));
        return Path.TrimEndingDirectorySeparator(actual) == Path.TrimEndingDirectorySeparator(expected)
            ? expected
            : throw new IOException($"{path}: changed while it was resolved inside {root}");
    }

    /// <summary>
    /// The path <paramref name="path"/> names inside <paramref name="root"/> once every symlink on the way is followed
    /// inside the root, relative to it ("" is the root); a missing tail is kept as written (cleaned).
    /// </summary>
    public static string Resolve(string root, string path) =>
        Oci.Layers.TreePaths.Resolve(path, candidate => LibC.LStat(Path.Combine(root, candidate)) is { } status
                ? new Oci.Layers.TreeEntry(true, status.IsSymlink ? LibC.ReadLink(Path.Combine(root, candidate)) : null)
                : Oci.Layers.TreeEntry.Missing, allowMissing: true, MaxSymlinks)
            ?? throw new IOException($"{path}: too many levels of symbolic links inside {root}");

    // The walk: resolve lexically with lstat, then open each component of the result with O_NOFOLLOW from the
    // descriptor before it. A component that became a symlink in between fails the open (ELOOP) rather than being
    // followed.
    private static SafeFileHandle Walk(string root, string path)
    {
        var current = OpenRoot(root);
        foreach (var component in Resolve(root, path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var fd = openat(current, component, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
            var errno = Marshal.GetLastPInvokeError();
            current.Dispose();
            if (fd < 0)
            {
                throw Error(errno, root, path);
            }
            current = new SafeFileHandle(fd, ownsHandle: true);
            // O_PATH|O_NOFOLLOW opens a symlink itself rather than failing: one here was swapped in after Resolve.
            if (IsSymlink(current))
            {
                current.Dispose();
                throw new IOException($"{path}: changed while it was resolved inside {root}");
            }
        }
        return current;
    }

    private static unsafe bool TryOpenat2(SafeFileHandle root, string relative, out SafeFileHandle handle, out int errno)
    {
        var how = stackalloc ulong[3];
        how[0] = (ulong)(O_PATH | O_CLOEXEC);
        how[1] = 0;
        how[2] = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        var bytes = System.Text.Encoding.UTF8.GetBytes(relative + "\0");
        for (var attempt = 0; ; attempt++)
        {
            long fd;
            fixed (byte* name = bytes)
            {
                fd = syscall(SYS_openat2, root.DangerousGetHandle(), (nint)name, (nint)how, 24);
            }
            errno = Marshal.GetLastPInvokeError();
            // EAGAIN: a rename elsewhere in the file system raced the lookup; the kernel asks for a retry.
            if (fd < 0 && errno == EAGAIN && attempt < 16)
            {
                continue;
            }
            handle = fd >= 0 ? new SafeFileHandle((nint)fd, ownsHandle: true) : new SafeFileHandle();
            return fd >= 0;
        }
    }

    private static SafeFileHandle OpenRoot(string root)
    {
        var fd = open(root, O_PATH | O_CLOEXEC, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw Error(Marshal.GetLastPInvokeError(), root, "/");
    }

    private static unsafe bool IsSymlink(SafeFileHandle handle)
    {
        var buffer = stackalloc byte[256];
        return statx(handle, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0x1, buffer) == 0 && (*(ushort*)(buffer + 28) & 0xF000) == 0xA000;
    }

    private static IOException Error(int errno, string root, string path) => errno == ENOENT
        ? new FileNotFoundException($"{path}: no such file or directory (resolved inside {root})")
        : new IOException($"{path}: cannot open inside {root}: {Marshal.GetPInvokeErrorMessage(errno)}");

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, nint dirfd, nint path, nint how, nint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(SafeFileHandle dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte* buffer);
}
