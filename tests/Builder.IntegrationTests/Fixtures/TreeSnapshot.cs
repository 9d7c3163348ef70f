using System.Security.Cryptography;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// A file tree as a list of lines — path, type, mode, owner, link target, size, content digest — read with GNU
/// find (lstat, never following links), so two trees can be compared as a user of the image would see them.
/// </summary>
public static class TreeSnapshot
{
    public static async Task<IReadOnlyList<string>> TakeAsync(string root, CancellationToken cancellationToken = default)
    {
        var listing = (await ExternalTool.RunAsync("find", [root, "-mindepth", "1", "-printf", "%P\\t%y\\t%#m\\t%U:%G\\t%l\\t%s\\n"],
            cancellationToken: cancellationToken)).EnsureSuccess("find");
        var lines = new List<string>();
        foreach (var line in listing.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split('\t');
            var isFile = fields[1] == "f";
            var size = isFile ? fields[5] : "-"; // directory sizes depend on the file system
            var digest = isFile ? await DigestAsync(Path.Combine(root, fields[0]), cancellationToken) : "-";
            lines.Add(string.Join('\t', fields[0], fields[1], fields[2], fields[3], fields[4], size, digest));
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static async Task<string> DigestAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    /// <summary>The lines of <paramref name="actual"/> that differ from <paramref name="expected"/>, for a readable failure.</summary>
    public static string Difference(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var missing = expected.Except(actual).Take(20).Select(l => "- " + l);
        var extra = actual.Except(expected).Take(20).Select(l => "+ " + l);
        return string.Join('\n', missing.Concat(extra));
    }
}
