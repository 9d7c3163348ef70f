namespace Builder.IntegrationTests.Fixtures;

/// <summary>The unprivileged user rootless tests run as: made with useradd when missing, with a subordinate id range.</summary>
public static class TestUser
{
    public const string Name = "btest";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<string> EnsureAsync()
    {
        ExternalTool.Require("runuser");
        ExternalTool.Require("newuidmap");
        await Gate.WaitAsync();
        try
        {
            if ((await ExternalTool.RunAsync("id", ["-u", Name])).ExitCode != 0)
            {
                (await ExternalTool.RunAsync("useradd", ["--create-home", "--shell", "/bin/sh", Name])).EnsureSuccess("useradd");
            }
            foreach (var file in new[] { "/etc/subuid", "/etc/subgid" })
            {
                var lines = File.Exists(file) ? await File.ReadAllLinesAsync(file) : [];
                if (!lines.Any(l => l.StartsWith(Name + ":", StringComparison.Ordinal)))
                {
                    await File.AppendAllTextAsync(file, $"{Name}:200000:65536\n");
                }
            }
            return Name;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A directory the test user owns (a store root, a context), inside <paramref name="temp"/>.</summary>
    public static async Task<string> OwnedDirectoryAsync(TempDirectory temp, string name)
    {
        var path = temp.Combine(name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(temp.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        (await ExternalTool.RunAsync("chown", ["-R", $"{Name}:{Name}", path])).EnsureSuccess("chown");
        return path;
    }
}
