using Builder.Dockerfile.Binding;
using Builder.Engine.Context;
using Builder.Engine.Semantics;

namespace Builder.Engine.Solver;

/// <summary>
/// A COPY/ADD's sources once fetched: the tree they are copied from, the request as it names them there, and a key for
/// their content ("" for the build context, whose key is the files the plan reads).
/// </summary>
internal sealed record FetchedSources(ICopySourceTree Tree, CopyRequest Request, string SourceKey);

/// <summary>
/// Where a COPY/ADD's files come from, one method per kind: the build context, a stage or image (--from), a git
/// checkout, downloads and heredocs. What is written for a step lives in temporary directories, deleted with the fetcher.
/// </summary>
internal sealed class CopySourceFetcher(BuildSession session, StepInput input) : IDisposable
{
    private readonly List<string> _temporary = [];

    public FetchedSources Context(CopyRequest request) => new(new ContextSourceTree(session.Context), request, "");

    /// <summary>A stage of this build or, when the name is none, an image.</summary>
    public async Task<FetchedSources> StageOrImageAsync(string from, CopyRequest request, int vertex, CancellationToken cancellationToken)
    {
        if (input.Stages.BuiltStage(input.Variables.Expand(from)) is { } index)
        {
            var built = await session.Stages[index].ConfigureAwait(false);
            return new(new ViewSourceTree(await session.Layers.ViewAsync(built.Layers, cancellationToken).ConfigureAwait(false)), request, built.CacheKey.ToString());
        }
        if (session.NamedContext(input.Variables.Expand(from)) is { Kind: NamedContextKind.Directory } directory)
        {
            // A named local context is copied from as the build context is: its .dockerignore applies, files are root's.
            return new(new ContextSourceTree(BuildContext.Open(directory.ExistingDirectory(), null, null)), request, "");
        }
        var image = await session.ResolveImageAsync(input.Variables.Expand(from), null, vertex, cancellationToken).ConfigureAwait(false);
        return new(new ViewSourceTree(await session.Layers.ViewAsync(image.Layers, cancellationToken).ConfigureAwait(false)), request, image.Descriptor.Digest.ToString());
    }

    /// <summary>
    /// The commit a git source names, checked against --checksum (expanded), and the request and key for it: known before the
    /// checkout, so a cache hit needs none.
    /// </summary>
    public async Task<(string Commit, CopyRequest Request, string SourceKey)> ResolveGitAsync(GitReference git, string? checksum, CopyRequest request,
        bool keepGitDirectory, CancellationToken cancellationToken)
    {
        var commit = await GitSource.ResolveCommitAsync(git, cancellationToken).ConfigureAwait(false);
        if (checksum is not null && !commit.StartsWith(input.Variables.Expand(checksum), StringComparison.OrdinalIgnoreCase))
        {
            throw new BuildException($"ADD {git.Remote}: the commit is {commit}, --checksum expects {input.Variables.Expand(checksum)}");
        }
        // The checkout is ours: files are root's unless --chown says otherwise, as BuildKit's git source gives them.
        request = request with { Sources = [git.Subdirectory ?? ""], ExtractArchives = false, Chown = request.Chown ?? (0, 0) };
        return (commit, request, $"git\0{git.Remote}\0{commit}\0{git.Subdirectory}\0{keepGitDirectory}");
    }

    public async Task<FetchedSources> CheckoutGitAsync(GitReference git, string commit, CopyRequest request, string sourceKey, bool keepGitDirectory,
        CancellationToken cancellationToken)
    {
        var checkout = Temporary("builder-add-git-");
        await GitSource.CheckoutAsync(git, commit, Path.Combine(checkout, "repo"), keepGitDirectory, cancellationToken).ConfigureAwait(false);
        var tree = new DirectorySourceTree(Path.Combine(checkout, "repo"));
        if (git.Subdirectory is { } subdirectory && (tree.Follow(subdirectory) is not { } real || tree.Stat(real) is not { IsDirectory: true }))
        {
            throw new BuildException($"ADD {git.Remote}: the checkout has no directory {subdirectory}");
        }
        return new(tree, request, sourceKey);
    }

    /// <summary>Remote files: downloaded (and checked against --checksum, expanded), mode 0600 unless --chmod, never extracted.</summary>
    public async Task<FetchedSources> DownloadAsync(IReadOnlyList<string> urls, string? checksum, CopyRequest request, CancellationToken cancellationToken)
    {
        var downloadDirectory = Temporary("builder-add-url-");
        var names = new List<string>();
        foreach (var url in urls)
        {
            names.Add(await HttpSource.DownloadAsync(url, downloadDirectory, checksum is null ? null : input.Variables.Expand(checksum), cancellationToken).ConfigureAwait(false));
        }
        // The download is a 0600 file (BuildKit's HTTP source), which --chmod replaces; the directories made for it stay 0755.
        foreach (var name in names)
        {
            File.SetUnixFileMode(Path.Combine(downloadDirectory, name), (UnixFileMode)0b110_000_000);
        }
        var downloads = BuildContext.Open(downloadDirectory, null, null);
        return new(new ContextSourceTree(downloads), request with { Sources = names, ExtractArchives = false }, downloads.Hash(names));
    }

    /// <summary>Heredoc sources: written to a directory of their own and copied from there.</summary>
    public async Task<FetchedSources> WriteHeredocsAsync(IReadOnlyList<InlineSource> inline, CopyRequest request, CancellationToken cancellationToken)
    {
        var inlineDirectory = Temporary("builder-heredoc-");
        foreach (var file in inline)
        {
            var written = Path.Combine(inlineDirectory, file.Name);
            await File.WriteAllTextAsync(written, file.Expand ? input.Variables.Expand(file.Content) : file.Content, cancellationToken).ConfigureAwait(false);
            // 0644 whatever the builder's umask, as BuildKit writes heredoc files.
            File.SetUnixFileMode(written, (UnixFileMode)0b110_100_100);
        }
        return new(new ContextSourceTree(BuildContext.Open(inlineDirectory, null, null)), request with { Sources = [.. inline.Select(i => i.Name)] },
            string.Join('\n', inline.Select(i => i.Name + "\0" + i.Content)));
    }

    public void Dispose()
    {
        foreach (var directory in _temporary.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private string Temporary(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        _temporary.Add(directory);
        return directory;
    }
}
