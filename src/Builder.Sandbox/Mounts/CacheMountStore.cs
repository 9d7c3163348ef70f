using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Builder.Sandbox.Mounts;

/// <summary>How concurrent users of one cache mount share it (BuildKit's <c>sharing=</c>).</summary>
public enum CacheSharing
{
    /// <summary>Everyone uses the same directory at once.</summary>
    Shared,

    /// <summary>A second user while the directory is in use gets another directory of its own.</summary>
    Private,

    /// <summary>A second user waits until the first is done.</summary>
    Locked,
}

/// <summary>A RUN <c>--mount=type=cache</c> as the sandbox needs it. The id defaults to the target, as BuildKit's does.</summary>
public sealed record CacheMountRequest(string Id, CacheSharing Sharing)
{
    public long UserId { get; init; }

    public long GroupId { get; init; }

    public UnixFileMode Mode { get; init; } = (UnixFileMode)0b111_101_101;

    /// <summary>Fills a new cache directory before its first use (a cache mount's <c>from=</c>, an imported cache); null leaves it empty.</summary>
    public Func<string, CancellationToken, Task>? Seed { get; init; }
}

/// <summary>
/// Persistent directories behind cache mounts, kept under the store root across steps and builds (and so across
/// processes: locks are files, not only in-memory). A lease is released when disposed.
/// </summary>
public sealed class CacheMountStore(string root)
{
    // One process can hold several leases of one directory (Shared), and file locks are per process on Linux,
    // so in-process users are counted here and only the first takes the file lock.
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public string Root { get; } = root;

    public async Task<CacheMountLease> AcquireAsync(CacheMountRequest request, CancellationToken cancellationToken)
    {
        var name = DirectoryName(request.Id);
        switch (request.Sharing)
        {
            case CacheSharing.Shared:
                return new CacheMountLease(await PrepareAsync(Path.Combine(Root, name), request, cancellationToken).ConfigureAwait(false), null);
            case CacheSharing.Locked:
                {
                    var path = Path.Combine(Root, name);
                    var held = await LockAsync(path, wait: true, cancellationToken).ConfigureAwait(false);
                    return new CacheMountLease(await PrepareAsync(path, request, cancellationToken).ConfigureAwait(false), held);
                }
            default:
                for (var instance = 0; ; instance++)
                {
                    var path = Path.Combine(Root, instance == 0 ? name : $"{name}.{instance}");
                    if (await LockAsync(path, wait: false, cancellationToken).ConfigureAwait(false) is { } held)
                    {
                        return new CacheMountLease(await PrepareAsync(path, request, cancellationToken).ConfigureAwait(false), held);
                    }
                }
        }
    }

    private static async Task<string> PrepareAsync(string path, CacheMountRequest request, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
        {
            // Created under a temporary name and renamed, so a half-made directory is never used.
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            Directory.CreateDirectory(temporary);
            if (request.Seed is { } seed)
            {
                await seed(temporary, cancellationToken).ConfigureAwait(false);
            }
            File.SetUnixFileMode(temporary, request.Mode);
            if (request.UserId != 0 || request.GroupId != 0)
            {
                Chown(temporary, request.UserId, request.GroupId);
            }
            try
            {
                Directory.Move(temporary, path);
            }
            catch (IOException) when (Directory.Exists(path))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
        return path;
    }

    private async Task<CacheLock?> LockAsync(string path, bool wait, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(wait ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        Directory.CreateDirectory(Root);
        while (true)
        {
            try
            {
                var file = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new CacheLock(gate, file);
            }
            catch (IOException) when (wait)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                gate.Release();
                return null;
            }
        }
    }

    /// <summary>A readable, collision-free directory name for any id (ids are free text, often paths).</summary>
    private static string DirectoryName(string id)
    {
        var readable = new string([.. id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]).Trim('_', '.');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..12];
        return $"{(readable.Length > 40 ? readable[..40] : readable)}-{hash}";
    }

    internal sealed class CacheLock(SemaphoreSlim gate, FileStream file) : IDisposable
    {
        public void Dispose()
        {
            file.Dispose();
            gate.Release();
        }
    }

    private static void Chown(string path, long uid, long gid)
    {
        if (Native.chown(path, (uint)uid, (uint)gid) != 0)
        {
            throw new IOException($"cannot give the cache directory {path} to {uid}:{gid}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }
}

/// <summary>A cache directory in use; disposing releases it for the next user.</summary>
public sealed class CacheMountLease : IDisposable
{
    private readonly IDisposable? _lock;

    internal CacheMountLease(string directory, IDisposable? held)
    {
        Directory = directory;
        _lock = held;
    }

    public string Directory { get; }

    public void Dispose() => _lock?.Dispose();
}
