using System.Collections.Concurrent;
using Builder.Oci.Images;
using Builder.Oci.Layers;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// Each layer extracted once, in overlay form (whiteouts kept as overlayfs reads them), under
/// <c>layers/&lt;diffID hex&gt;</c>, and shared by every snapshot that stacks it. Extraction goes to a temporary
/// directory that is renamed into place, so a half-extracted layer is never used.
/// </summary>
public sealed class LayerCache(string root)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _extracting = new();

    public string Root { get; } = root;

    public async Task<string> EnsureAsync(ILayer layer, CancellationToken cancellationToken)
    {
        var target = Path.Combine(Root, layer.DiffId.Hex);
        if (Directory.Exists(target))
        {
            return target;
        }
        var gate = _extracting.GetOrAdd(target, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Directory.Exists(target))
            {
                return target;
            }
            Directory.CreateDirectory(Root);
            var temporary = Path.Combine(Root, $".{layer.DiffId.Hex}.{Guid.NewGuid():N}.tmp");
            Directory.CreateDirectory(temporary);
            try
            {
                await using var tar = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false);
                await LayerApplier.ApplyAsync(tar, temporary, new LayerApplyOptions { OverlayOpaqueXattr = UserNamespace.OpaqueXattr }, cancellationToken)
                    .ConfigureAwait(false);
                Directory.Move(temporary, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another process extracted the same layer first; theirs is as good as ours.
                DeleteTree(temporary);
            }
            catch
            {
                DeleteTree(temporary);
                throw;
            }
            return target;
        }
        finally
        {
            gate.Release();
        }
    }

    internal static void DeleteTree(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        MakeWritable(directory);
        Directory.Delete(directory, recursive: true);
    }

    // Read-only directories (overlay's work/work is 000) must be made writable before their children go. Walked by
    // hand, one level at a time: the enumerator's own recursion descends into symlinked directories, and a step's
    // `ln -s /tmp /var/tmp` would then chmod the host's directories.
    private static void MakeWritable(string directory)
    {
        foreach (var sub in Directory.EnumerateDirectories(directory, "*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0 }))
        {
            if (LibC.LStat(sub) is { IsDirectory: true })
            {
                File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                MakeWritable(sub);
            }
        }
    }
}
