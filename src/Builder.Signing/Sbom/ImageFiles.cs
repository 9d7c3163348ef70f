using Builder.Oci.Images;
using Builder.Oci.Layers;

namespace Builder.Signing.Sbom;

/// <summary>
/// A few small files of an image's flattened file system (package databases, os-release), read by streaming its
/// layers in order: a later layer's file replaces an earlier one, and whiteouts and opaque directories delete what
/// lower layers had, as a container would see it. Nothing else is extracted or held.
/// </summary>
public static class ImageFiles
{
    // A dpkg status file of a large image is a few megabytes; this bounds a hostile one.
    private const long MaxFileSize = 64 << 20;

    /// <summary>The regular files whose paths (relative, no leading '/') <paramref name="wanted"/> accepts, with their contents.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadAsync(
        IReadOnlyList<ILayer> layers, Func<string, bool> wanted, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var added = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var deleted = new List<string>();
            var opaque = new List<string>();
            await using (var tar = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false))
            {
                var reader = new TarEntryReader(tar);
                while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var path = Normalize(entry.Name);
                    var name = LayerPaths.Name(path);
                    if (name == TarFormat.OpaqueMarker)
                    {
                        opaque.Add(LayerPaths.Parent(path));
                    }
                    else if (name.StartsWith(TarFormat.WhiteoutPrefix, StringComparison.Ordinal))
                    {
                        deleted.Add(LayerPaths.Join(LayerPaths.Parent(path), name[TarFormat.WhiteoutPrefix.Length..]));
                    }
                    else if (wanted(path))
                    {
                        if (entry.Type is TarFormat.TypeRegular or TarFormat.TypeRegularOld or TarFormat.TypeContiguous)
                        {
                            added[path] = await ReadDataAsync(reader, entry.Size, path, cancellationToken).ConfigureAwait(false);
                        }
                        else if (entry.Type == TarFormat.TypeHardlink
                            && (added.GetValueOrDefault(Normalize(entry.LinkName)) ?? files.GetValueOrDefault(Normalize(entry.LinkName))) is { } linked)
                        {
                            added[path] = linked;
                        }
                        else
                        {
                            deleted.Add(path); // a directory, symlink or device now stands where a wanted file may have been
                        }
                    }
                }
            }
            // Whiteouts apply to the layers below: this layer's own entries (an opaque directory's new content) stay.
            foreach (var path in files.Keys.Where(p => deleted.Any(d => Covers(d, p)) || opaque.Any(o => Within(o, p))).ToList())
            {
                files.Remove(path);
            }
            foreach (var (path, content) in added)
            {
                files[path] = content;
            }
        }
        return files;
    }

    private static async Task<byte[]> ReadDataAsync(TarEntryReader reader, long size, string path, CancellationToken cancellationToken)
    {
        if (size > MaxFileSize)
        {
            throw new InvalidDataException($"{path} in the image is {size} bytes, too large for a package database");
        }
        var content = new byte[size];
        var offset = 0;
        while (await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } chunk)
        {
            chunk.Span.CopyTo(content.AsSpan(offset));
            offset += chunk.Length;
        }
        return content;
    }

    private static string Normalize(string name)
    {
        var path = name.Replace('\\', '/');
        while (path.StartsWith("./", StringComparison.Ordinal))
        {
            path = path[2..];
        }
        return path.Trim('/');
    }

    private static bool Covers(string deleted, string path) => path == deleted || Within(deleted, path);

    private static bool Within(string directory, string path) =>
        directory.Length == 0 || path.StartsWith(directory + "/", StringComparison.Ordinal);
}
