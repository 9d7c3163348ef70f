using Builder.Dockerfile.Binding;
using Builder.Engine.Context;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Solver;

/// <summary>
/// One COPY or ADD: its sources fetched (<see cref="CopySourceFetcher"/>), planned onto the stage's file system (or, with
/// --link, onto an empty one) and written as a layer, reused from the cache when its key matches.
/// </summary>
internal sealed class CopyStep(BuildSession session, StepInput input, Instruction instruction)
{
    /// <summary>The flags of one COPY or ADD.</summary>
    private sealed record CopyFlags(string? From, string? Chown, string? Chmod, IReadOnlyList<string> Excludes, bool Extract, bool Link, bool Parents, bool KeepGitDirectory);

    public async Task<StepOutput> ExecuteAsync(StepContext step, CancellationToken cancellationToken)
    {
        var (flags, sources, inline, destinationWord, checksum) = instruction switch
        {
            CopyInstruction copy => (new CopyFlags(copy.From, copy.Chown, copy.Chmod, copy.Excludes, Extract: false, copy.Link, copy.Parents, KeepGitDirectory: false),
                copy.Sources, copy.InlineSources, copy.Destination, (string?)null),
            AddInstruction add => (new CopyFlags(null, add.Chown, add.Chmod, add.Excludes, Extract: add.Unpack ?? true, add.Link, Parents: false, add.KeepGitDir),
                add.Sources, add.InlineSources, add.Destination, add.Checksum),
            _ => throw new ArgumentException($"{instruction.Name} is no COPY or ADD", nameof(instruction)),
        };
        // BuildKit links a copy only without --chmod (dockerfile2llb: `cfg.link && cfg.chmod == ""`); with it, --link
        // copies onto the stage as a plain COPY does.
        if (flags.Link && flags.Chmod is not null)
        {
            flags = flags with { Link = false };
        }
        var view = await session.Layers.ViewAsync(input.Layers, cancellationToken).ConfigureAwait(false);
        var destination = input.Variables.Expand(destinationWord);
        // "." and ".." resolved; a trailing "/" (or a destination that is "." itself) keeps meaning "into this directory".
        var absolute = StepFiles.Resolve(destination, input.WorkingDirectory);
        if (destination.EndsWith('/') || destination is "." || destination.EndsWith("/.", StringComparison.Ordinal))
        {
            absolute = absolute.TrimEnd('/') + "/";
        }
        // Each source is one word after expansion, never split (BuildKit's single-word expansion for COPY and ADD).
        var expandedSources = sources.Select(input.Variables.Expand).ToList();
        // Names in --chown are looked up in this stage's /etc/passwd and /etc/group, with --link too.
        // An --chown that expands to nothing is no --chown, as in BuildKit.
        var owner = flags.Chown is null || input.Variables.Expand(flags.Chown) is not { Length: > 0 } chown ? ((long, long)?)null : StepFiles.ResolveOwner(view, chown);
        // The binder has checked --chmod (it is never expanded).
        uint? mode = flags.Chmod is null ? null
            : Binder.TryParseChmod(flags.Chmod, out var parsed) ? parsed
            : throw new BuildException($"invalid chmod parameter: '{flags.Chmod}'. it should be octal string and between 0 and 07777");
        var request = new CopyRequest(expandedSources, absolute)
        {
            Chown = owner,
            Chmod = mode,
            Excludes = flags.Excludes.Count > 0 ? Builder.Dockerfile.Ignore.DockerIgnoreMatcher.Create(flags.Excludes) : null,
            ExtractArchives = flags.Extract,
            Parents = flags.Parents,
        };
        var createdBy = $"{instruction.Name} {instruction.Syntax.ArgumentText.Trim()} # buildkit";

        // --link: the files are copied onto an empty directory, so the layer depends on its sources alone and is cached
        // apart from the steps before it; the stage's own key still chains it after them.
        Digest StepKey(CopyRequest r, string contentKey) => Key(flags.Link ? default : input.Key, r, contentKey);
        Digest Key(Digest parent, CopyRequest r, string contentKey) =>
            CacheKey.Of(parent, instruction.Name, string.Join('\0', r.Sources), absolute, $"{r.Chown}", $"{r.Chmod}",
                string.Join('\0', flags.Excludes), r.ExtractArchives.ToString(), flags.Link ? "link" : "", flags.Parents ? "parents" : "", contentKey);
        StepOutput Output(Digest key, CacheRecord record, bool cached) =>
            new(key, record, cached, flags.Link ? CacheKey.Of(input.Key, "link", key.ToString()) : key, createdBy);
        async Task<StepOutput?> CachedAsync(Digest key) =>
            await step.LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit ? Output(key, hit, cached: true) : null;

        var isAdd = instruction is AddInstruction;
        var gitSources = isAdd ? expandedSources.Select(s => GitReference.TryParse(s, out var g) ? g : null).ToList() : [];
        var urls = isAdd ? expandedSources.Where(HttpSource.IsUrl).ToList() : [];
        using var fetcher = new CopySourceFetcher(session, input);
        FetchedSources fetched;
        if (gitSources.Any(g => g is not null))
        {
            if (gitSources.Count != 1)
            {
                throw new BuildException("ADD: a git repository must be the only source of its ADD");
            }
            var git = gitSources[0]!;
            var (commit, gitRequest, sourceKey) = await fetcher.ResolveGitAsync(git, checksum, request, flags.KeepGitDirectory, cancellationToken).ConfigureAwait(false);
            if (await CachedAsync(StepKey(gitRequest, sourceKey)).ConfigureAwait(false) is { } cached)
            {
                return cached;
            }
            fetched = await fetcher.CheckoutGitAsync(git, commit, gitRequest, sourceKey, flags.KeepGitDirectory, cancellationToken).ConfigureAwait(false);
        }
        else if (urls.Count > 0)
        {
            if (urls.Count != expandedSources.Count)
            {
                throw new BuildException("ADD: mixing URLs and local sources in one instruction is not supported; use two ADD instructions");
            }
            fetched = await fetcher.DownloadAsync(urls, checksum, request, cancellationToken).ConfigureAwait(false);
        }
        else if (inline.Count > 0)
        {
            fetched = await fetcher.WriteHeredocsAsync(inline, request, cancellationToken).ConfigureAwait(false);
        }
        else if (flags.From is null)
        {
            fetched = fetcher.Context(request);
        }
        else
        {
            fetched = await fetcher.StageOrImageAsync(flags.From, request, step.Vertex, cancellationToken).ConfigureAwait(false);
        }

        using var plan = session.Progress.Time(step.Vertex, "copy plan", () => CopyPlanner.Plan(fetched.Request, fetched.Tree, flags.Link ? MergedView.Empty : view));
        var fromContext = fetched.Tree is ContextSourceTree context && context.Context == session.Context;
        // A context (the build's, or a named local one) is keyed by the content of the files read; a named one by its place too.
        var key = StepKey(fetched.Request, fetched.Tree is ContextSourceTree read
            ? session.Progress.Time(step.Vertex, "context hashing",
                () => fromContext ? read.Context.Hash(plan.ReadPaths) : $"{read.Context.Root}\0{read.Context.Hash(plan.ReadPaths)}")
            : fetched.SourceKey);
        if (await CachedAsync(key).ConfigureAwait(false) is { } hit)
        {
            return hit;
        }
        // The layer this COPY of this context wrote last, whatever the files' content or the steps before: unchanged files'
        // bytes do not depend on either, and whatever is taken from it is checked against this build's entries anyway.
        var layer = await session.Progress.TimeAsync(step.Vertex, "layer write", () => fromContext
            ? session.WriteContextLayerAsync(plan.Changes, key, CacheKey.Of(Key(default, fetched.Request, ""), "previous layer", session.Context.Root), cancellationToken)
            : session.WriteLayerAsync(plan.Changes, key, cancellationToken), l => l.UncompressedSize).ConfigureAwait(false);
        return Output(key, new CacheRecord(layer.Compressed, layer.DiffId), cached: false);
    }
}
