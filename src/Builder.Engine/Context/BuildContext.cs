using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Builder.Dockerfile.Ignore;
using Builder.Engine.Semantics;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Engine.Context;

/// <summary>
/// The build context directory with its .dockerignore applied: what COPY and ADD may read, never anything outside
/// it. Content digests use a persistent stat cache (path, size, mtime, inode → sha256), so an unchanged context is
/// not read again on the next build.
/// </summary>
public sealed class BuildContext
{
    private readonly Dictionary<string, StatCacheEntry> _statCache;
    private readonly ConcurrentDictionary<string, ContextEntry?> _entries = new(StringComparer.Ordinal);
    private readonly string? _statCachePath;
    private readonly Lock _gate = new();
    private bool _statCacheChanged;

    private BuildContext(string root, DockerIgnoreMatcher ignore, string? statCachePath)
    {
        Root = root;
        Ignore = ignore;
        _statCachePath = statCachePath;
        _statCache = Load(statCachePath);
    }

    public string Root { get; }

    public DockerIgnoreMatcher Ignore { get; }

    /// <summary>Files read from disk (not from the stat cache) while hashing, for tests and progress.</summary>
    public int FilesHashed { get; private set; }

    public static BuildContext Open(string root, string? dockerfileRelativePath, string? statCachePath)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"the build context {root} is not a directory");
        }
        var ignore = DockerIgnoreMatcher.Empty;
        foreach (var candidate in DockerIgnore.CandidateFiles(dockerfileRelativePath))
        {
            var path = Path.Combine(root, candidate);
            if (File.Exists(path))
            {
                try
                {
                    ignore = DockerIgnore.Parse(File.ReadAllText(path), candidate);
                }
                catch (DockerIgnoreException e)
                {
                    // A build error with the ignore file's place (relative to the context), read as a Dockerfile error's is.
                    throw new BuildException(candidate, e.Line ?? 0, $"{e.Reason}: \"{e.Pattern}\"", e);
                }
                break;
            }
        }
        return new BuildContext(root, ignore, statCachePath);
    }

    /// <summary>
    /// The entry at a context path ("" is the root; its parents real directories), a symlink not followed; null when
    /// missing. Each path is looked at once per build: the build reads the context as the one state the first look
    /// saw (as BuildKit transfers it once), so a COPY's walk, its cache key and its layer agree, at one statx a file.
    /// </summary>
    public ContextEntry? Entry(string path) => _entries.GetOrAdd(path, static (path, root) =>
    {
        var full = path.Length == 0 ? root : Path.Combine(root, path);
        return LibC.LStat(full) is { } status ? new ContextEntry(full, status, status.IsSymlink ? LibC.ReadLink(full) : null) : null;
    }, Root);

    /// <summary>A digest of what COPY reads from these paths: names, types, modes, link targets and contents.</summary>
    public string Hash(IEnumerable<string> paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new StringBuilder();
        foreach (var path in paths)
        {
            if (Entry(path) is not { } entry)
            {
                continue;
            }
            line.Clear().Append(path).Append('\0').Append(entry.Status.Mode).Append('\0');
            if (entry.Status.IsSymlink)
            {
                line.Append(entry.LinkTarget);
            }
            else if (entry.Status.IsRegular)
            {
                line.Append(FileDigest(entry));
            }
            hash.AppendData(Encoding.UTF8.GetBytes(line.Append('\n').ToString()));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The sha256 (hex) of a context file's content, from the stat cache while the file is unchanged; null for no regular file.</summary>
    public string? ContentDigest(string fullPath) =>
        fullPath.StartsWith(Root + "/", StringComparison.Ordinal) && Entry(fullPath[(Root.Length + 1)..]) is { Status.IsRegular: true } entry ? FileDigest(entry) : null;

    public void SaveStatCache()
    {
        lock (_gate)
        {
            if (!_statCacheChanged || _statCachePath is null)
            {
                return;
            }
            Oci.Content.AtomicFile.Write(_statCachePath, StatCacheFile.ToBytes(_statCache));
            _statCacheChanged = false;
        }
    }

    private string FileDigest(ContextEntry entry)
    {
        var (full, status) = (entry.FullPath, entry.Status);
        var mtime = status.MtimeSeconds * 1_000_000_000 + status.MtimeNanoseconds;
        lock (_gate)
        {
            if (_statCache.TryGetValue(full, out var cached) && cached.Size == status.Size && cached.MtimeNanoseconds == mtime && cached.Inode == status.Inode)
            {
                return cached.Sha256;
            }
        }
        using var stream = File.OpenRead(full);
        var digest = Convert.ToHexStringLower(SHA256.HashData(stream));
        lock (_gate)
        {
            FilesHashed++;
            _statCache[full] = new StatCacheEntry(status.Size, mtime, status.Inode, digest);
            _statCacheChanged = true;
        }
        return digest;
    }

    private static Dictionary<string, StatCacheEntry> Load(string? path) =>
        path is not null && File.Exists(path) && StatCacheFile.TryParse(File.ReadAllBytes(path)) is { } cache
            ? cache
            : new(StringComparer.Ordinal); // none yet, or damaged: that only costs a re-read
}

/// <summary>A context path as the build saw it: where it is on the host, its status, and a symlink's target.</summary>
public sealed record ContextEntry(string FullPath, FileStatus Status, string? LinkTarget);

/// <summary>What the stat cache remembers of a context file.</summary>
public sealed record StatCacheEntry(long Size, long MtimeNanoseconds, ulong Inode, string Sha256);
