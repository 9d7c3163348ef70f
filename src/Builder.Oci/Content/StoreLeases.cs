using System.Text;
using Builder.Posix;
using Microsoft.Win32.SafeHandles;

namespace Builder.Oci.Content;

/// <summary>What a lease can hold: a blob, an extracted layer (by diffID), a directory under the store, a cache record.</summary>
public enum LeaseKind
{
    Blob,
    Layer,
    Path,
    CacheRecord,
}

/// <summary>
/// Leases on the store's content, as containerd's: a build (pull, push, load, run) holds every blob, extracted layer,
/// cache record and temporary directory it uses, and <c>prune</c> deletes none of them while the lease lives.
/// </summary>
/// <remarks>
/// A lease is a file <c>leases/ID</c> that its owner keeps open with a shared flock and appends a line to per
/// resource; the kernel drops the flock when the owner dies, however it dies, so a lease whose file can be locked
/// exclusively is dead. Races are closed by <c>leases/.sweep.lock</c>: a holder appends under a shared flock on it,
/// a sweep (prune, or the clean-up of dead builds' leftovers) reads the leases and deletes under an exclusive one.
/// So an owner either added its line before a sweep read the leases (and the sweep keeps the resource) or after the
/// sweep ended (and then checks that the resource is still there, as every caller does after
/// <see cref="StoreLease.Hold"/>: hold first, then look).
/// </remarks>
public static class StoreLeases
{
    public const string DirectoryName = "leases";
    private const string SweepLockName = ".sweep.lock";

    /// <summary>A new lease on the store at <paramref name="storeRoot"/>; disposing it ends it.</summary>
    public static StoreLease Acquire(string storeRoot)
    {
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetFullPath(storeRoot), DirectoryName)).FullName;
        var sweepLock = LibC.OpenLockFile(Path.Combine(directory, SweepLockName));
        try
        {
            // Created and locked under the sweep lock, so no sweep sees it unlocked and takes it for a dead one.
            LibC.Flock(sweepLock, LibC.LOCK_SH);
            var id = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48];
            var file = LibC.OpenLockFile(Path.Combine(directory, id));
            LibC.Flock(file, LibC.LOCK_SH);
            LibC.Flock(sweepLock, LibC.LOCK_UN);
            return new StoreLease(id, Path.Combine(directory, id), file, sweepLock);
        }
        catch
        {
            sweepLock.Dispose();
            throw;
        }
    }

    /// <summary>The exclusive sweep lock: while it is held no lease gains a resource. Waits for it.</summary>
    public static IDisposable LockForSweep(string storeRoot)
    {
        var directory = Directory.CreateDirectory(Path.Combine(Path.GetFullPath(storeRoot), DirectoryName)).FullName;
        var handle = LibC.OpenLockFile(Path.Combine(directory, SweepLockName));
        LibC.Flock(handle, LibC.LOCK_EX);
        return handle;
    }

    /// <summary>
    /// What the live leases hold; the files of dead leases are deleted on the way. Call it holding
    /// <see cref="LockForSweep"/>, and delete under that same lock.
    /// </summary>
    /// <param name="except">A lease whose holdings are left out (it still counts as live): the caller's own.</param>
    public static LiveLeases Collect(string storeRoot, string? except = null)
    {
        var live = new LiveLeases();
        var directory = Path.Combine(Path.GetFullPath(storeRoot), DirectoryName);
        if (!Directory.Exists(directory))
        {
            return live;
        }
        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(path);
            if (name == SweepLockName)
            {
                continue;
            }
            using (var probe = LibC.OpenLockFile(path))
            {
                if (LibC.Flock(probe, LibC.LOCK_EX | LibC.LOCK_NB))
                {
                    File.Delete(path); // its owner is gone
                    continue;
                }
            }
            live.Ids.Add(name);
            if (name == except)
            {
                continue;
            }
            foreach (var line in File.ReadAllLines(path))
            {
                if (line.Length > 2 && line[1] == ' ')
                {
                    live.Of(StoreLease.KindOf(line[0])).Add(line[2..]);
                }
            }
        }
        return live;
    }
}

/// <summary>The ids of the live leases and everything they hold, by kind.</summary>
public sealed class LiveLeases
{
    private readonly Dictionary<LeaseKind, HashSet<string>> _held = new()
    {
        [LeaseKind.Blob] = new(StringComparer.Ordinal),
        [LeaseKind.Layer] = new(StringComparer.Ordinal),
        [LeaseKind.Path] = new(StringComparer.Ordinal),
        [LeaseKind.CacheRecord] = new(StringComparer.Ordinal),
    };

    public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Of(LeaseKind kind) => _held[kind];

    public bool Holds(LeaseKind kind, string name) => _held[kind].Contains(name);

    /// <summary>The blobs held, as digests.</summary>
    public IReadOnlySet<Digest> Blobs => _held[LeaseKind.Blob].Select(b => Digest.TryParse(b, out var d) ? d : (Digest?)null)
        .OfType<Digest>().ToHashSet();
}

/// <summary>One live lease (see <see cref="StoreLeases"/>). Thread-safe.</summary>
public sealed class StoreLease : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly SafeFileHandle _sweepLock;
    private readonly string _path;
    private readonly HashSet<(LeaseKind, string)> _held = [];
    private readonly Lock _gate = new();
    private long _length;

    internal StoreLease(string id, string path, SafeFileHandle file, SafeFileHandle sweepLock)
    {
        Id = id;
        _path = path;
        _file = file;
        _sweepLock = sweepLock;
    }

    public string Id { get; }

    /// <summary>
    /// Keeps <paramref name="name"/> from every sweep from now on. Call it before using the resource, then check the
    /// resource is there: a sweep that ran just before may have deleted it.
    /// </summary>
    public void Hold(LeaseKind kind, string name)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_file.IsClosed, this);
            if (!_held.Add((kind, name)))
            {
                return;
            }
            var line = Encoding.UTF8.GetBytes($"{Letter(kind)} {name}\n");
            // One open file description for every thread: the gate serialises lock, append and unlock.
            LibC.Flock(_sweepLock, LibC.LOCK_SH);
            try
            {
                RandomAccess.Write(_file, line, _length);
                _length += line.Length;
            }
            finally
            {
                LibC.Flock(_sweepLock, LibC.LOCK_UN);
            }
        }
    }

    public void Hold(Digest blob) => Hold(LeaseKind.Blob, blob.ToString());

    /// <summary>
    /// Runs <paramref name="take"/> under the store's sweep lock when no other live lease holds <paramref name="name"/>
    /// (while the lock is held none can start to), and returns what it returns; false, without running it, when
    /// another lease holds the name. Hold what <paramref name="take"/> needs before: <see cref="Hold"/> waits for the lock.
    /// </summary>
    public bool IfNoOtherHolds(LeaseKind kind, string name, Func<bool> take)
    {
        ArgumentNullException.ThrowIfNull(take);
        var storeRoot = Path.GetDirectoryName(Path.GetDirectoryName(_path))!;
        using (StoreLeases.LockForSweep(storeRoot))
        {
            return !StoreLeases.Collect(storeRoot, except: Id).Holds(kind, name) && take();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_file.IsClosed)
            {
                return;
            }
            File.Delete(_path);
            _file.Dispose();
            _sweepLock.Dispose();
        }
    }

    internal static LeaseKind KindOf(char letter) => letter switch
    {
        'b' => LeaseKind.Blob,
        'l' => LeaseKind.Layer,
        'p' => LeaseKind.Path,
        _ => LeaseKind.CacheRecord,
    };

    private static char Letter(LeaseKind kind) => kind switch
    {
        LeaseKind.Blob => 'b',
        LeaseKind.Layer => 'l',
        LeaseKind.Path => 'p',
        _ => 'c',
    };
}
