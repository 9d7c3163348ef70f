using System.Security.Cryptography;
using System.Text;
using Builder.Oci.Content;
using Builder.Posix;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// Where a lease's runtime state lives: runc's bundles (whose config.json holds the step's environment, secrets
/// included), runc's own state and secret files. It is memory (a tmpfs: <c>$XDG_RUNTIME_DIR</c>, <c>/run</c> for
/// root, <c>/dev/shm</c>), never the store's disk, so no crash leaves a secret on disk; one directory per store and
/// lease, so the clean-up after a killed build knows whose containers to stop.
/// </summary>
public static class RuntimeDirectories
{
    /// <summary>The state directory of one lease; on a tmpfs when the machine has one (<paramref name="inMemory"/>).</summary>
    public static string For(string storeRoot, string leaseId, out bool inMemory)
    {
        var parent = StoreDirectory(storeRoot, out inMemory);
        return Path.Combine(parent, leaseId);
    }

    /// <summary>
    /// Stops the containers of dead leases and deletes their runtime directories, then deletes the snapshots, scratch
    /// directories and bundles of the store that no live lease holds: what a killed build left.
    /// Call it under the store's sweep lock.
    /// </summary>
    public static async Task<int> SweepAsync(StoreLayout layout, LiveLeases live)
    {
        var removed = 0;
        foreach (var parent in Candidates().Select(c => Path.Combine(c, ParentName(layout.Root))).Append(layout.DiskRuntimeState).Distinct())
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }
            foreach (var directory in Directory.EnumerateDirectories(parent))
            {
                if (!live.Ids.Contains(Path.GetFileName(directory)))
                {
                    await RuncExecutor.RemoveStateAsync(directory).ConfigureAwait(false);
                    removed++;
                }
            }
        }
        foreach (var parent in new[] { layout.Snapshots, layout.Scratch })
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }
            foreach (var directory in Directory.EnumerateDirectories(parent))
            {
                if (!live.Holds(LeaseKind.Path, directory))
                {
                    Snapshots.LayerCache.DeleteTree(directory);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static string StoreDirectory(string storeRoot, out bool inMemory)
    {
        foreach (var candidate in Candidates())
        {
            var path = Path.Combine(candidate, ParentName(storeRoot));
            try
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                inMemory = true;
                return path;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // not writable by this user: try the next
            }
        }
        inMemory = false;
        return StoreLayout.At(storeRoot).DiskRuntimeState;
    }

    // Memory-backed directories this user may write, in order of preference.
    private static IEnumerable<string> Candidates()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
        {
            candidates.Add(runtime);
        }
        if (LibC.IsRoot && !Snapshots.UserNamespace.IsNested)
        {
            candidates.Add("/run");
        }
        candidates.Add("/dev/shm");
        return candidates.Where(IsTmpfs);
    }

    private static bool IsTmpfs(string path)
    {
        try
        {
            return Directory.Exists(path) && new DriveInfo(path).DriveFormat is "tmpfs" or "ramfs";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    // One directory per user and store: two stores (or users) never sweep each other's leases.
    private static string ParentName(string storeRoot)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(storeRoot))))[..16];
        return $"builder-{Mounts.Native.getuid()}-{hash}";
    }
}
