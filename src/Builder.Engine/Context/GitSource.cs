using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Builder.Engine.Context;

/// <summary>
/// An ADD source that is a git repository, as BuildKit reads one: <c>git@host:repo.git</c>, <c>git://</c>,
/// <c>ssh://</c>, or an http(s) URL whose path ends in <c>.git</c>; an optional <c>#ref:subdir</c> fragment names
/// the branch, tag or commit (default: the remote's HEAD) and the directory of the checkout to copy.
/// </summary>
public sealed partial record GitReference(string Remote, string? Ref, string? Subdirectory)
{
    public static bool TryParse(string source, out GitReference reference)
    {
        reference = null!;
        var hash = source.IndexOf('#');
        var remote = hash < 0 ? source : source[..hash];
        var fragment = hash < 0 ? null : source[(hash + 1)..];
        if (!IsGitRemote(remote))
        {
            return false;
        }
        string? gitRef = null;
        string? subdirectory = null;
        if (fragment is not null)
        {
            var colon = fragment.IndexOf(':');
            gitRef = colon < 0 ? fragment : fragment[..colon];
            subdirectory = colon < 0 ? null : fragment[(colon + 1)..];
        }
        reference = new GitReference(remote, string.IsNullOrEmpty(gitRef) ? null : gitRef, string.IsNullOrEmpty(subdirectory) ? null : subdirectory.Trim('/'));
        return true;
    }

    private static bool IsGitRemote(string remote)
    {
        if (remote.StartsWith("git://", StringComparison.Ordinal) || remote.StartsWith("ssh://", StringComparison.Ordinal))
        {
            return true;
        }
        if (remote.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || remote.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var path = remote.Split('?', 2)[0].TrimEnd('/');
            return path.EndsWith(".git", StringComparison.Ordinal);
        }
        return ScpLike().IsMatch(remote);
    }

    // user@host:path, as git and BuildKit take it (not a Windows drive, not a URL).
    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+@[A-Za-z0-9_.\-]+:[^/].*$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLike();
}

/// <summary>Resolves and checks out git references with the host's <c>git</c>.</summary>
public static partial class GitSource
{
    /// <summary>The commit a reference names on its remote (<c>git ls-remote</c>); a commit id is taken as it is.</summary>
    public static async Task<string> ResolveCommitAsync(GitReference reference, CancellationToken cancellationToken)
    {
        var listing = await GitAsync(null, cancellationToken, "ls-remote", "--", reference.Remote).ConfigureAwait(false);
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', 2);
            if (parts.Length == 2)
            {
                refs[parts[1].Trim()] = parts[0].Trim();
            }
        }
        if (reference.Ref is null)
        {
            return refs.TryGetValue("HEAD", out var head) ? head : throw new BuildException($"ADD {reference.Remote}: the repository has no HEAD");
        }
        var name = reference.Ref;
        foreach (var candidate in new[] { $"refs/tags/{name}^{{}}", $"refs/tags/{name}", $"refs/heads/{name}", name })
        {
            if (refs.TryGetValue(candidate, out var commit))
            {
                return commit;
            }
        }
        return CommitId().IsMatch(name)
            ? name.ToLowerInvariant()
            : throw new BuildException($"ADD {reference.Remote}: no branch, tag or commit named {name}");
    }

    /// <summary>
    /// Checks <paramref name="commit"/> out into <paramref name="directory"/> (submodules included), with files as git
    /// writes them (0644, or 0755 when executable; directories 0755), and drops .git unless it is to be kept.
    /// Returns the full commit id.
    /// </summary>
    public static async Task<string> CheckoutAsync(GitReference reference, string commit, string directory, bool keepGitDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await GitAsync(directory, cancellationToken, "init", "-q").ConfigureAwait(false);
        await GitAsync(directory, cancellationToken, "remote", "add", "origin", reference.Remote).ConfigureAwait(false);
        try
        {
            // One commit when the server allows it (smart HTTP, git://, ssh) ...
            await GitAsync(directory, cancellationToken, "fetch", "-q", "--depth=1", "origin", commit).ConfigureAwait(false);
        }
        catch (BuildException)
        {
            // ... else the whole history (a dumb HTTP server, a short commit id).
            await GitAsync(directory, cancellationToken, "fetch", "-q", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*").ConfigureAwait(false);
        }
        var full = (await GitAsync(directory, cancellationToken, "rev-parse", "--verify", commit.Length == 40 ? commit : commit + "^{commit}").ConfigureAwait(false)).Trim();
        await GitAsync(directory, cancellationToken, "-c", "advice.detachedHead=false", "checkout", "-q", full).ConfigureAwait(false);
        if (File.Exists(Path.Combine(directory, ".gitmodules")))
        {
            await GitAsync(directory, cancellationToken, "submodule", "update", "-q", "--init", "--recursive").ConfigureAwait(false);
        }
        var gitDirectory = Path.Combine(directory, ".git");
        if (!keepGitDirectory)
        {
            Directory.Delete(gitDirectory, recursive: true);
        }
        NormalizeModes(directory, gitDirectory);
        return full;
    }

    // git writes 0666/0777 less the umask: the result must not depend on the builder's umask.
    private static void NormalizeModes(string directory, string gitDirectory)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.FullName == gitDirectory || entry.LinkTarget is not null)
            {
                continue;
            }
            if (entry is DirectoryInfo sub)
            {
                File.SetUnixFileMode(sub.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
                NormalizeModes(sub.FullName, gitDirectory);
            }
            else
            {
                var executable = (entry.UnixFileMode & UnixFileMode.UserExecute) != 0;
                File.SetUnixFileMode(entry.FullName, (UnixFileMode)Convert.ToInt32(executable ? "755" : "644", 8));
            }
        }
    }

    private static async Task<string> GitAsync(string? workingDirectory, CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in (string[])["-c", "core.autocrlf=false", "-c", "core.symlinks=true", .. args])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "true";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BuildException("ADD of a git repository needs git, which could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BuildException("ADD of a git repository needs git on the PATH: " + e.Message, e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            var text = await output.ConfigureAwait(false);
            var message = await error.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var tail = new StringBuilder().AppendJoin(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
                throw new BuildException($"git {string.Join(' ', args)} failed (exit code {process.ExitCode}): {tail}");
            }
            return text;
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{7,40}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommitId();
}
