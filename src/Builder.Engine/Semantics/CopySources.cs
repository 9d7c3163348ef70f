using Builder.Dockerfile.Ignore;
using Builder.Engine.Context;
using Builder.Oci.Layers;

namespace Builder.Engine.Semantics;

/// <summary>A file COPY reads: where its bytes are, and the metadata it is copied with.</summary>
public sealed record SourceEntry(string Path, string HostPath, uint Mode, long Uid, long Gid, DateTimeOffset ModificationTime, string? LinkTarget)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymlink => (Mode & 0xF000) == 0xA000;

    public uint Permissions => Mode & 0b111_111_111_111;
}

/// <summary>Where COPY sources come from: the build context, or another stage's or image's file system.</summary>
public interface ICopySourceTree
{
    /// <summary>The paths a source pattern names (relative, "/" separated; "" is the root).</summary>
    IReadOnlyList<string> Resolve(string pattern, DockerIgnoreMatcher? excludes);

    SourceEntry? Stat(string path);

    /// <summary>Everything below a directory, parents before children.</summary>
    IEnumerable<string> Walk(string directory, DockerIgnoreMatcher? excludes);
}

/// <summary>The build context as a COPY source: files are copied as root unless --chown says otherwise.</summary>
public sealed class ContextSourceTree(BuildContext context) : ICopySourceTree
{
    public BuildContext Context { get; } = context;

    public IReadOnlyList<string> Resolve(string pattern, DockerIgnoreMatcher? excludes) => Context.Resolve(pattern, excludes);

    public SourceEntry? Stat(string path)
    {
        var full = path.Length == 0 ? Context.Root : Path.Combine(Context.Root, path);
        return LibC.LStat(full) is { } status
            ? new SourceEntry(path, full, status.Mode, 0, 0, DateTimeOffset.FromUnixTimeSeconds(status.MtimeSeconds),
                (status.Mode & 0xF000) == 0xA000 ? LibC.ReadLink(full) : null)
            : null;
    }

    public IEnumerable<string> Walk(string directory, DockerIgnoreMatcher? excludes) => Context.Walk(directory, excludes);
}

/// <summary>A stage's or image's file system as a COPY --from source: owners are kept.</summary>
public sealed class ViewSourceTree(MergedView view) : ICopySourceTree
{
    public IReadOnlyList<string> Resolve(string pattern, DockerIgnoreMatcher? excludes)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        var matches = new List<string> { "" };
        foreach (var segment in segments)
        {
            var next = new List<string>();
            foreach (var parent in matches)
            {
                if (segment == "..")
                {
                    next.Add(parent.Contains('/') ? parent[..parent.LastIndexOf('/')] : "");
                    continue;
                }
                if (!GoGlob.HasWildcards(segment))
                {
                    var candidate = parent.Length == 0 ? segment : $"{parent}/{segment}";
                    if (view.Lookup("/" + candidate) is not null)
                    {
                        next.Add(candidate);
                    }
                    continue;
                }
                if (view.Lookup("/" + parent) is not { IsDirectory: true })
                {
                    continue;
                }
                var regex = GoGlob.Compile(segment);
                next.AddRange(view.List("/" + parent).Where(n => regex.IsMatch(n)).Select(n => parent.Length == 0 ? n : $"{parent}/{n}"));
            }
            matches = next;
        }
        matches = [.. matches.Where(m => m.Length == 0 || !(excludes?.IsExcluded(m) ?? false))];
        return matches.Count > 0
            ? matches
            : throw new BuildException($"failed to compute cache key: \"/{string.Join('/', segments)}\" not found: not found");
    }

    public SourceEntry? Stat(string path) =>
        view.Lookup("/" + path) is { } entry
            ? new SourceEntry(path, entry.HostPath, entry.Mode, entry.Uid, entry.Gid,
                LibC.LStat(entry.HostPath) is { } s ? DateTimeOffset.FromUnixTimeSeconds(s.MtimeSeconds) : DateTimeOffset.UnixEpoch,
                entry.IsSymlink ? LibC.ReadLink(entry.HostPath) : null)
            : null;

    public IEnumerable<string> Walk(string directory, DockerIgnoreMatcher? excludes)
    {
        foreach (var name in view.List("/" + directory))
        {
            var path = directory.Length == 0 ? name : $"{directory}/{name}";
            if (excludes?.IsExcluded(path) ?? false)
            {
                continue;
            }
            yield return path;
            if (view.Lookup("/" + path) is { IsDirectory: true })
            {
                foreach (var below in Walk(path, excludes))
                {
                    yield return below;
                }
            }
        }
    }
}
