using System.Security.Cryptography;
using System.Text;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.Security;

/// <summary>
/// A host directory a hostile build must never read, change or add to: a file "canary" and a file in a subdirectory
/// holding <see cref="Secret"/>, an empty directory and a symlink, all owned by a uid no build uses. Host paths a
/// Dockerfile names that do not exist (<see cref="MissingPath"/>) must still not exist afterwards.
/// </summary>
public sealed class HostCanary : IDisposable
{
    public const int Owner = 12345;

    private readonly List<string> _missing = [];
    private IReadOnlyList<string> _snapshot = [];
    private string _rootStat = "";

    private HostCanary(string directory, string token)
    {
        Directory = directory;
        Token = token;
        Secret = "canary-secret-" + token;
    }

    /// <summary>The canary directory, an absolute host path (outside the store and the context).</summary>
    public string Directory { get; }

    /// <summary>The canary file (0640, or 0666 when writable by anyone), whose content is <see cref="Secret"/>.</summary>
    public string File => Path.Combine(Directory, "canary");

    /// <summary>Text that only the canary's files hold: seen anywhere else, the build read the host.</summary>
    public string Secret { get; }

    /// <summary>Unique to this canary: for names the test makes elsewhere.</summary>
    public string Token { get; }

    /// <param name="writableByAnyone">
    /// For unprivileged builds: the directories 0777 and the files 0666, so an escape the builder allowed would succeed
    /// as that user too, instead of being stopped by the host's permissions.
    /// </param>
    public static async Task<HostCanary> CreateAsync(TempDirectory temp, bool writableByAnyone)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var canary = new HostCanary(temp.Combine("canary-" + token), token);
        var dir = System.IO.Directory.CreateDirectory(canary.Directory).FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "sub"));
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "empty"));
        await System.IO.File.WriteAllTextAsync(canary.File, canary.Secret + "\n");
        await System.IO.File.WriteAllTextAsync(Path.Combine(dir, "sub", "inner"), "inner " + canary.Secret + "\n");
        System.IO.File.CreateSymbolicLink(Path.Combine(dir, "link"), "canary");
        Mode(dir, writableByAnyone ? "777" : "750");
        Mode(Path.Combine(dir, "sub"), writableByAnyone ? "777" : "750");
        Mode(Path.Combine(dir, "empty"), writableByAnyone ? "777" : "700");
        Mode(canary.File, writableByAnyone ? "666" : "640");
        Mode(Path.Combine(dir, "sub", "inner"), writableByAnyone ? "666" : "600");
        (await ExternalTool.RunAsync("chown", ["-R", "-h", $"{Owner}:{Owner}", dir])).EnsureSuccess("chown canary");
        canary._snapshot = await TreeSnapshot.TakeAsync(dir);
        canary._rootStat = await RootStatAsync(dir);
        return canary;
    }

    /// <summary>
    /// A host path that does not exist and must not exist after the build (a link target, an archive entry's
    /// destination): under /tmp, where an unprivileged build could create it too.
    /// </summary>
    public string MissingPath(string name)
    {
        var path = $"/tmp/{Token}-{name}-nonexistent";
        Assert.False(Exists(path), $"{path} exists before the build");
        _missing.Add(path);
        return path;
    }

    /// <summary>The canary tree is as made (names, types, modes, owners, link targets, contents); no missing path appeared.</summary>
    public async Task AssertIntactAsync()
    {
        var now = await TreeSnapshot.TakeAsync(Directory);
        Assert.True(_snapshot.SequenceEqual(now), "the host canary changed:\n" + TreeSnapshot.Difference(_snapshot, now));
        Assert.Equal(_rootStat, await RootStatAsync(Directory));
        foreach (var path in _missing)
        {
            Assert.False(Exists(path), $"the build created {path} on the host");
        }
    }

    public void AssertNotIn(string text, string where) =>
        Assert.False(text.Contains(Secret, StringComparison.Ordinal), $"the host canary's content appeared in {where}:\n{text}");

    /// <summary>No regular file (nor symlink target) under <paramref name="root"/> holds the canary's content.</summary>
    public async Task AssertNotInTreeAsync(string root)
    {
        var found = await TreeScan.FilesContainingAsync(root, Encoding.UTF8.GetBytes(Secret));
        Assert.True(found.Count == 0, "the host canary's content reached: " + string.Join(", ", found));
    }

    public void Dispose()
    {
        // An escape that happened must not outlive the test.
        foreach (var path in _missing.Where(Exists))
        {
            if (System.IO.Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
            else
            {
                System.IO.File.Delete(path);
            }
        }
    }

    /// <summary>Whether anything (a dangling symlink included) is at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => System.IO.File.Exists(path) || System.IO.Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static void Mode(string path, string octal) => System.IO.File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));

    private static async Task<string> RootStatAsync(string dir) =>
        (await ExternalTool.RunAsync("stat", ["-c", "%f %u:%g", dir])).EnsureSuccess("stat").Out.Trim();
}
