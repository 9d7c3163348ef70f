using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.Security;

/// <summary>The result of one builder command, and where the image's files were exported to when it was a successful build.</summary>
public sealed record BuildOutcome(ToolResult Result, string? Export)
{
    public bool Succeeded => Result.ExitCode == 0;

    /// <summary>A file of the exported image (the build must have succeeded).</summary>
    public string ImagePath(string path)
    {
        Assert.True(Succeeded, "the build failed:\n" + Result.Error);
        return Path.Combine(Export!, path.TrimStart('/'));
    }

    public string ReadImageFile(string path) => File.ReadAllText(ImagePath(path));
}

/// <summary>
/// One security test's world: a store with a busybox image, a build context, a <see cref="HostCanary"/> — and every
/// builder command run through <see cref="RunAsync"/> checked the same way: exit 0 or 1; a failure is one "error:"
/// line (the failed step's output tail may follow as "  > " lines), never an internal error; the canary intact and
/// its content neither printed nor in the exported image; the command's own temporary directory (TMPDIR) left empty.
/// </summary>
public sealed class HostileBuild : IDisposable
{
    private int _exports;

    private HostileBuild(TempDirectory temp, HostCanary canary, BuilderCommand builder, string context, string exports, string tmp, bool rootless)
    {
        Tmp = tmp;
        Temp = temp;
        Canary = canary;
        Builder = builder;
        Context = context;
        Exports = exports;
        Rootless = rootless;
    }

    public TempDirectory Temp { get; }

    public HostCanary Canary { get; }

    public BuilderCommand Builder { get; }

    public string Context { get; }

    public bool Rootless { get; }

    private string Exports { get; }

    /// <summary>TMPDIR for every command: whatever a command puts there it must remove, failing or not.</summary>
    private string Tmp { get; }

    /// <param name="rootless">Run every builder command as the unprivileged <see cref="TestUser"/>.</param>
    public static async Task<HostileBuild> StartAsync(bool rootless = false)
    {
        var temp = new TempDirectory("builder-sec");
        try
        {
            BuilderCommand builder;
            string context, exports, tmp;
            if (rootless)
            {
                var user = await TestUser.EnsureAsync();
                builder = new BuilderCommand(await TestUser.OwnedDirectoryAsync(temp, "store")) { User = user };
                await TestUser.OwnedDirectoryAsync(temp, "home-" + user);
                context = await TestUser.OwnedDirectoryAsync(temp, "context");
                exports = await TestUser.OwnedDirectoryAsync(temp, "exports");
                tmp = await TestUser.OwnedDirectoryAsync(temp, "tmp");
            }
            else
            {
                builder = new BuilderCommand(temp.Combine("store"));
                context = Directory.CreateDirectory(temp.Combine("context")).FullName;
                exports = Directory.CreateDirectory(temp.Combine("exports")).FullName;
                tmp = Directory.CreateDirectory(temp.Combine("tmp")).FullName;
            }
            var canary = await HostCanary.CreateAsync(temp, writableByAnyone: rootless);
            var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
            (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
            return new HostileBuild(temp, canary, builder, context, exports, tmp, rootless);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    public string ContextPath(string relative) => Path.Combine(Context, relative);

    public async Task WriteContextFileAsync(string relative, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ContextPath(relative))!);
        await File.WriteAllTextAsync(ContextPath(relative), content);
    }

    public void ContextSymlink(string relative, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ContextPath(relative))!);
        File.CreateSymbolicLink(ContextPath(relative), target);
    }

    /// <summary>A file outside the context and the store (a secret's source), readable by the builder's user.</summary>
    public async Task<string> WriteHostFileAsync(string name, string content)
    {
        var path = Temp.Combine(name);
        await File.WriteAllTextAsync(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
        return path;
    }

    /// <summary>Builds <paramref name="dockerfile"/> and exports the image's files (<c>-o type=local</c>) to look at.</summary>
    public async Task<BuildOutcome> BuildAsync(string dockerfile, params string[] options)
    {
        var export = Path.Combine(Exports, "out-" + Interlocked.Increment(ref _exports));
        await File.WriteAllTextAsync(ContextPath("Dockerfile"), dockerfile);
        return await RunAsync(["build", "--progress", "plain", "-o", $"type=local,dest={export}", .. options, Context], export);
    }

    /// <summary>Builds <paramref name="dockerfile"/> into the store as <paramref name="tag"/> (no export).</summary>
    public async Task<BuildOutcome> BuildImageAsync(string tag, string dockerfile, params string[] options)
    {
        await File.WriteAllTextAsync(ContextPath("Dockerfile"), dockerfile);
        return await RunAsync(["build", "--progress", "plain", "-t", tag, .. options, Context]);
    }

    /// <summary>Runs a builder command and checks what every command must satisfy (see the class summary).</summary>
    public async Task<BuildOutcome> RunAsync(string[] args, string? export = null)
    {
        if (Rootless)
        {
            // Files the test put in the context since the last command must be the user's (-h: links themselves, never their targets).
            (await ExternalTool.RunAsync("chown", ["-R", "-h", $"{TestUser.Name}:{TestUser.Name}", Context])).EnsureSuccess("chown context");
        }
        var result = await Builder.RunAsync(args, new Dictionary<string, string> { ["TMPDIR"] = Tmp }, default);
        var what = "builder " + string.Join(' ', args.Take(1));
        AssertWellFormed(result, what);
        Assert.True(!Directory.EnumerateFileSystemEntries(Tmp).Any(),
            $"{what} left files in its temporary directory: {string.Join(", ", Directory.EnumerateFileSystemEntries(Tmp).Select(Path.GetFileName))}");
        await Canary.AssertIntactAsync();
        Canary.AssertNotIn(result.Out, what + "'s output");
        Canary.AssertNotIn(result.Error, what + "'s error output");
        if (result.ExitCode == 0 && export is not null)
        {
            Assert.True(Directory.Exists(export), $"{what} succeeded but exported nothing to {export}");
            await Canary.AssertNotInTreeAsync(export);
            return new BuildOutcome(result, export);
        }
        return new BuildOutcome(result, null);
    }

    /// <summary>Exit 0 or 1; on failure exactly one "error:" line, not an internal error, followed only by a step's output tail.</summary>
    public static void AssertWellFormed(ToolResult result, string what)
    {
        Assert.True(result.ExitCode is 0 or 1, $"{what} exited {result.ExitCode} (only 0 or 1 allowed):\n{result.Error}\n{result.Out}");
        Assert.DoesNotContain("internal error", result.Error, StringComparison.Ordinal);
        if (result.ExitCode == 0)
        {
            return;
        }
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        var errors = lines.FindAll(l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.True(errors.Count == 1, $"{what} failed without exactly one \"error:\" line:\n{result.Error}");
        var after = lines.Skip(lines.IndexOf(errors[0]) + 1).ToList();
        Assert.True(after.All(l => l.StartsWith("  > ", StringComparison.Ordinal)),
            $"{what}'s error is more than one line (only a step's \"  > \" output tail may follow it):\n{result.Error}");
    }

    public void Dispose()
    {
        Canary.Dispose();
        Temp.Dispose();
    }
}
