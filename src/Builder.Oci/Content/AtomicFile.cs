namespace Builder.Oci.Content;

/// <summary>
/// Replaces a small file of the store whole: written to a temporary file beside it, flushed to disk, renamed over
/// it. A reader sees the old bytes or the new ones, and a crash at any point leaves one of them (never a torn or
/// empty file, which a rename before the data reached the disk can give after a power loss).
/// </summary>
public static class AtomicFile
{
    /// <param name="temporary">Where the bytes go first (on the same file system); default: a <c>.tmp</c> file beside <paramref name="path"/>.</param>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken, string? temporary = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        temporary ??= $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await file.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(content);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
