using System.Globalization;

namespace Builder.Sandbox.Runtime;

/// <summary>The ids a process runs with: user, primary group, supplementary groups, and its home directory.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home);

/// <summary>
/// Resolves a config's <c>User</c> (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>) against the root's
/// /etc/passwd and /etc/group the way runc does: numeric ids need no entry; names must have one.
/// </summary>
public static class UserResolver
{
    public static ResolvedUser Resolve(string user, string? passwd, string? group)
    {
        var passwdEntries = Parse(passwd, 7);
        var groupEntries = Parse(group, 4);
        var (userPart, groupPart) = user.Split(':', 2) switch
        {
            [var u, var g] => (u, (string?)g),
            [var u] => (u, null),
            _ => ("", null),
        };
        if (userPart.Length == 0)
        {
            userPart = "0";
        }

        uint uid;
        uint gid;
        var home = "/";
        string? name = null;
        var entry = passwdEntries.FirstOrDefault(e => e[0] == userPart)
            ?? (uint.TryParse(userPart, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric)
                ? passwdEntries.FirstOrDefault(e => e[2] == userPart)
                : null);
        if (entry is not null)
        {
            name = entry[0];
            uid = ParseId(entry[2], "uid", userPart);
            gid = ParseId(entry[3], "gid", userPart);
            home = entry[5].Length > 0 ? entry[5] : "/";
        }
        else if (uint.TryParse(userPart, NumberStyles.None, CultureInfo.InvariantCulture, out numeric))
        {
            // A uid with no passwd entry keeps group 0, as runc's defaults give.
            uid = numeric;
            gid = 0;
        }
        else
        {
            throw new SandboxException($"unable to find user {userPart}: no matching entries in passwd file");
        }

        if (groupPart is { Length: > 0 })
        {
            var groupEntry = groupEntries.FirstOrDefault(e => e[0] == groupPart)
                ?? (uint.TryParse(groupPart, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? groupEntries.FirstOrDefault(e => e[2] == groupPart) : null);
            gid = groupEntry is not null ? ParseId(groupEntry[2], "gid", groupPart)
                : uint.TryParse(groupPart, NumberStyles.None, CultureInfo.InvariantCulture, out var numericGroup) ? numericGroup
                : throw new SandboxException($"unable to find group {groupPart}: no matching entries in group file");
        }

        // Supplementary groups: every group that lists the user by name (only when no group was given, as runc does).
        var additional = groupPart is null && name is not null
            ? groupEntries.Where(e => e[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Contains(name))
                .Select(e => ParseId(e[2], "gid", e[0])).Where(g => g != gid).Distinct().ToList()
            : [];
        return new ResolvedUser(uid, gid, additional, home);
    }

    private static uint ParseId(string text, string what, string owner) =>
        uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new SandboxException($"invalid {what} '{text}' for {owner}");

    private static List<string[]> Parse(string? file, int fields) =>
        file is null
            ? []
            : [.. file.Split('\n')
                .Select(line => line.Trim())
                .Where(line => line.Length > 0 && !line.StartsWith('#'))
                .Select(line => line.Split(':'))
                .Where(parts => parts.Length >= fields - 1)
                .Select(parts => parts.Length >= fields ? parts : [.. parts, ""])];
}
