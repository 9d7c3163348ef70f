using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.Security;

/// <summary>Looks for bytes in every regular file of a tree, as found by find(1): symlinks never followed, FIFOs and devices never opened.</summary>
public static class TreeScan
{
    /// <summary>The files under <paramref name="root"/> whose bytes, name or symlink target contain <paramref name="needle"/>.</summary>
    public static async Task<IReadOnlyList<string>> FilesContainingAsync(string root, byte[] needle)
    {
        var found = new List<string>();
        var text = System.Text.Encoding.UTF8.GetString(needle);
        foreach (var file in await ListAsync(root, "f"))
        {
            if (file.Contains(text, StringComparison.Ordinal) || (await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(needle) >= 0)
            {
                found.Add(file);
            }
        }
        var links = (await ExternalTool.RunAsync("find", [root, "-type", "l", "-printf", "%p -> %l\\n"])).EnsureSuccess("find").Out;
        found.AddRange(links.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)));
        return found;
    }

    /// <summary>The regular files under <paramref name="root"/> whose whole content is <paramref name="content"/>.</summary>
    public static async Task<IReadOnlyList<string>> FilesEqualToAsync(string root, byte[] content)
    {
        var found = new List<string>();
        foreach (var file in await ListAsync(root, "f"))
        {
            if (new FileInfo(file).Length == content.Length && (await File.ReadAllBytesAsync(file)).AsSpan().SequenceEqual(content))
            {
                found.Add(file);
            }
        }
        return found;
    }

    private static async Task<IReadOnlyList<string>> ListAsync(string root, string type) =>
        (await ExternalTool.RunAsync("find", [root, "-type", type])).EnsureSuccess("find " + root).Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
