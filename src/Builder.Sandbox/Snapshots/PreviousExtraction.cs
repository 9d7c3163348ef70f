using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// The extracted copy of the layer a new one was written from (<see cref="LayerReuse"/>): each entry the writer took
/// from the previous tar is, unchanged, a file of that copy, which the new extraction hard-links instead of writing.
/// Extracted layers are overlay lowers, read-only once placed, so sharing their inodes is safe.
/// </summary>
internal sealed class PreviousExtraction(string directory, LayerReuse reuse)
{
    // Parent paths found to be real directories (no symlink on the way) in the previous copy; one extraction thread.
    private readonly Dictionary<string, bool> _directories = new(StringComparer.Ordinal) { [""] = true };

    /// <summary>The previous copy's file for an entry taken from the previous tar, when it is there as the header says; else null.</summary>
    public string? SameFile(TarEntryHeader header, string relative)
    {
        if (!reuse.WasReused(header.Name) || !IsRealDirectory(LayerPaths.Parent(relative)))
        {
            return null;
        }
        var full = Path.Combine(directory, relative);
        return LibC.LStat(full) is { IsRegular: true } status && status.Size == header.Size && status.Permissions == (header.Mode & 0xFFF)
            && status.MtimeSeconds == header.MtimeSeconds
            ? full
            : null;
    }

    private bool IsRealDirectory(string relative)
    {
        if (!_directories.TryGetValue(relative, out var real))
        {
            real = IsRealDirectory(LayerPaths.Parent(relative)) && LibC.LStat(Path.Combine(directory, relative)) is { IsDirectory: true };
            _directories[relative] = real;
        }
        return real;
    }
}
