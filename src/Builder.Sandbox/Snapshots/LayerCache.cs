using System.Collections.Concurrent;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// Each layer extracted once, in overlay form (whiteouts kept as overlayfs reads them), under
/// <c>layers/&lt;diffID hex&gt;</c>, and shared by every snapshot that stacks it. Extraction goes to a temporary
/// directory that is renamed into place, so a half-extracted layer is never used. Outside the sandbox, layers are
/// read through <see cref="ViewAsync"/> and written through <see cref="WriteAsync"/>: no caller handles its directories.
/// </summary>
public sealed class LayerCache(string root)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _extracting = new();
    // Layers this instance has handed out (stacked as lowers, viewed): never recycled while it lives.
    private readonly ConcurrentDictionary<string, byte> _handedOut = new();

    public string Root { get; } = root;

    /// <summary>The lease that holds the layers and temporary directories this instance uses (see <see cref="StoreLeases"/>).</summary>
    public StoreLease? Lease { get; set; }

    /// <summary>The merged file system of a layer stack (bottom first), each layer extracted once, read without mounting.</summary>
    public async Task<MergedView> ViewAsync(IReadOnlyList<ILayer> layers, CancellationToken cancellationToken) =>
        new(await EnsureStackAsync(layers, cancellationToken).ConfigureAwait(false), immutable: true);

    /// <summary>
    /// Writes a change set as a layer into <paramref name="store"/> and, from the same tar bytes on the other core, its
    /// extracted copy into this cache: the next step stacks it without reading the blob back.
    /// </summary>
    /// <param name="expected">
    /// The diffID an earlier build of the same step made (--no-cache rebuilds). When the cache has that layer extracted
    /// already, the same layer is expected again: only the tar is written, rather than thousands of files created and
    /// deleted again. Should the layer differ after all, it is extracted when a step needs it.
    /// </param>
    /// <param name="reuse">
    /// Unchanged files taken from the previous layer of the same step (<see cref="LayerReuse"/>): when that layer is
    /// extracted here, the new copy is made from it — that copy itself, moved and brought up to date, when nothing can
    /// be using it (<see cref="TryRecycle"/>); else a new one that hard-links its unchanged files.
    /// </param>
    public async Task<LayerDescriptor> WriteAsync(IContentIngester store, IReadOnlyList<LayerChange> changes, LayerWriterOptions options,
        Digest? expected, LayerReuse? reuse, CancellationToken cancellationToken)
    {
        if (expected is { } diffId && Contains(diffId))
        {
            return await LayerWriter.WriteToStoreAsync(store, changes, options, reuse, cancellationToken).ConfigureAwait(false);
        }
        var directory = NewTemporaryDirectory();
        var previous = reuse?.PreviousLayer is { } previousLayer && Contains(previousLayer) ? previousLayer : (Digest?)null;
        var extraction = new LayerApplyOptions { OverlayOpaqueXattr = UserNamespace.OpaqueXattr };
        if (previous is { } earlier && TryRecycle(earlier, directory))
        {
            // The previous copy itself becomes the new one: its unchanged files stay where they are.
            extraction = extraction with { Unchanged = header => reuse!.WasReused(header.Name) };
        }
        else if (previous is { } linked)
        {
            extraction = extraction with { SameFile = new PreviousExtraction(Path.Combine(Root, linked.Hex), reuse!).SameFile };
        }
        // The extraction reads the tar as it is written, up to 8 MiB behind (the relay's chunks are the writer's 1 MiB).
        var relay = new ChunkRelay(capacity: 8);
        var extract = Task.Run(async () =>
        {
            // Disposing the reader unblocks the writer should extraction stop early; its error is rethrown below.
            await using var tar = relay.Reader;
            await LayerApplier.ApplyAsync(tar, directory, extraction, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
        try
        {
            // The blob is committed before the extraction is known to have succeeded: should it fail, the blob is
            // complete and verified, just not referenced (prune removes it), and the extracted copy is discarded.
            LayerDescriptor layer;
            await using (relay.Writer.ConfigureAwait(false))
            {
                layer = await LayerWriter.WriteToStoreAsync(store, changes, options, reuse, relay.Writer, cancellationToken).ConfigureAwait(false);
            }
            await extract.ConfigureAwait(false);
            await AdoptAsync(layer.DiffId, directory, cancellationToken).ConfigureAwait(false);
            return layer;
        }
        catch
        {
            await relay.Writer.DisposeAsync().ConfigureAwait(false);
            await extract.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            DeleteTree(directory);
            throw;
        }
    }

    /// <summary>Each layer's extracted directory, top first (the order of overlayfs's lowerdir).</summary>
    internal async Task<List<string>> EnsureStackAsync(IReadOnlyList<ILayer> layers, CancellationToken cancellationToken)
    {
        var directories = new List<string>();
        foreach (var layer in layers)
        {
            directories.Add(await EnsureAsync(layer, cancellationToken).ConfigureAwait(false));
        }
        directories.Reverse();
        return directories;
    }

    private async Task<string> EnsureAsync(ILayer layer, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.Layer, layer.DiffId.Hex);
        _handedOut[layer.DiffId.Hex] = 0;
        var target = Path.Combine(Root, layer.DiffId.Hex);
        if (Directory.Exists(target))
        {
            return target;
        }
        return await UnderGateAsync(layer.DiffId, async () =>
        {
            var temporary = NewTemporaryDirectory();
            try
            {
                await using var tar = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false);
                await LayerApplier.ApplyAsync(tar, temporary, new LayerApplyOptions { OverlayOpaqueXattr = UserNamespace.OpaqueXattr }, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch
            {
                DeleteTree(temporary);
                throw;
            }
            return Place(temporary, target);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes the extracted layers not in <paramref name="keep"/> (no image uses them any more) that no live lease
    /// holds, and what interrupted extractions left; returns how many directories went. Call it under the store's
    /// sweep lock (<see cref="StoreLeases.LockForSweep"/>).
    /// </summary>
    public int Prune(IReadOnlySet<Digest> keep, LiveLeases live) =>
        Remove(name => Digest.TryParse("sha256:" + name, out var diffId) && !keep.Contains(diffId) && !live.Holds(LeaseKind.Layer, name))
        + RemoveTemporary(live);

    /// <summary>Deletes the temporary directories of extractions no live lease holds (a killed build's). Under the sweep lock.</summary>
    public int RemoveTemporary(LiveLeases live) =>
        Remove(name => name.EndsWith(".tmp", StringComparison.Ordinal) && !live.Holds(LeaseKind.Path, Path.Combine(Path.GetFullPath(Root), name)));

    private int Remove(Func<string, bool> condemned)
    {
        if (!Directory.Exists(Root))
        {
            return 0;
        }
        var removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            if (condemned(Path.GetFileName(directory)))
            {
                DeleteTree(directory);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Whether the layer is extracted here already.</summary>
    public bool Contains(Digest diffId)
    {
        Lease?.Hold(LeaseKind.Layer, diffId.Hex);
        return Directory.Exists(Path.Combine(Root, diffId.Hex));
    }

    /// <summary>A fresh directory beside the cache for an extraction, later given to <see cref="AdoptAsync"/>.</summary>
    private string NewTemporaryDirectory()
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Path.GetFullPath(Root), $".{Guid.NewGuid():N}.tmp");
        Lease?.Hold(LeaseKind.Path, path);
        return Directory.CreateDirectory(path).FullName;
    }

    /// <summary>
    /// Moves the extracted copy of <paramref name="previous"/> to <paramref name="directory"/> (an empty temporary
    /// directory of this instance), for the write of the layer that replaces it to bring up to date in place: only what
    /// changed is written, rather than every unchanged file linked again (40,000 links were half a second of a core at
    /// 10× the build benchmark's context). Only when nothing can be using it: no other live lease holds the layer (a
    /// build or run in another process; checked under the sweep lock, so none starts to meanwhile) and this instance
    /// never handed it out. Its image, should it be used again, has it extracted again from its blob.
    /// </summary>
    private bool TryRecycle(Digest previous, string directory)
    {
        var source = Path.Combine(Path.GetFullPath(Root), previous.Hex);
        return Lease is { } lease && !_handedOut.ContainsKey(previous.Hex) && lease.IfNoOtherHolds(LeaseKind.Layer, previous.Hex, () =>
        {
            if (!Directory.Exists(source))
            {
                return false;
            }
            try
            {
                Directory.Delete(directory);
                Directory.Move(source, directory);
                return true;
            }
            catch (IOException)
            {
                Directory.CreateDirectory(directory); // not moved after all: extracted afresh
                return false;
            }
        });
    }

    /// <summary>
    /// Makes <paramref name="directory"/> (on the cache's file system, already in the cache's form: an overlay upper
    /// directory, or what an extraction wrote) the extracted copy of the layer <paramref name="diffId"/>,
    /// so no step extracts that layer again. When the cache has the layer already, the directory is deleted.
    /// </summary>
    internal async Task AdoptAsync(Digest diffId, string directory, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.Layer, diffId.Hex);
        await UnderGateAsync(diffId, () => Task.FromResult(Place(directory, Path.Combine(Root, diffId.Hex))), cancellationToken).ConfigureAwait(false);
        DeleteTree(directory); // still there only when the cache had the layer already
    }

    private async Task<string> UnderGateAsync(Digest diffId, Func<Task<string>> work, CancellationToken cancellationToken)
    {
        var gate = _extracting.GetOrAdd(diffId.Hex, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var target = Path.Combine(Root, diffId.Hex);
            return Directory.Exists(target) ? target : await work().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Renames a complete directory into place; a half-made layer is never visible under its diffID.</summary>
    private static string Place(string directory, string target)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Directory.Move(directory, target);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another process placed the same layer first; theirs is as good as ours.
            DeleteTree(directory);
        }
        return target;
    }

    public static void DeleteTree(string directory)
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
