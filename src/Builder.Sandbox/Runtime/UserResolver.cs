using System.Globalization;

namespace Builder.Sandbox.Runtime;

/// <summary>The ids a process runs with: user, primary group, supplementary groups, and its home directory.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home);

/// <summary>
/// Resolves a config's <c>User</c> (<c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>) against the root's
/// /etc/passwd and /etc/group as BuildKit does: for a process (<see cref="Resolve"/>) as its executor does, for the
/// owner of files a COPY --chown or a WORKDIR makes (<see cref="ResolveOwner"/>) as its file operations do.
/// </summary>
public static class UserResolver
{
    /// <summary>
    /// The ids a RUN's process gets (BuildKit's executor, oci.GetUser): <c>user:group</c> where both are numbers or
    /// <c>root</c> is taken as it is, without /etc/passwd or /etc/group; anything else is looked up as runc does,
    /// numeric ids needing no entry and names needing one.
    /// </summary>
    public static ResolvedUser Resolve(string user, string? passwd, string? group)
    {
        if (user.Split(':', 2) is [var fastUser, var fastGroup] && TryParseId(fastUser, out var fastUid) && TryParseId(fastGroup, out var fastGid))
        {
            return new ResolvedUser(fastUid, fastGid, [], HomeOf(fastUid, passwd));
        }
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

    /// <summary>
    /// The owner of files a COPY --chown or a WORKDIR (under USER) makes, as BuildKit's file operations resolve it
    /// (llb.WithUser, then the solver's readUser): a number or <c>root</c> is an id with no lookup (a user id alone is
    /// also the group id); a user name is looked up in /etc/passwd for its uid and primary gid, a group name in
    /// /etc/group; a name with no entry, or no such file, leaves the id 0 (a group: the user's gid).
    /// </summary>
    public static (uint Uid, uint Gid) ResolveOwner(string owner, string? passwd, string? group)
    {
        var parts = owner.Split(':', 2);
        uint uid = 0;
        uint gid = 0;
        if (TryParseId(parts[0], out var id))
        {
            (uid, gid) = (id, id);
        }
        else if (Parse(passwd, 7).FirstOrDefault(e => e[0] == parts[0]) is { } entry
            && uint.TryParse(entry[2], NumberStyles.None, CultureInfo.InvariantCulture, out var entryUid)
            && uint.TryParse(entry[3], NumberStyles.None, CultureInfo.InvariantCulture, out var entryGid))
        {
            (uid, gid) = (entryUid, entryGid);
        }
        if (parts is [_, var groupPart])
        {
            if (TryParseId(groupPart, out var groupId))
            {
                gid = groupId;
            }
            else if (Parse(group, 4).FirstOrDefault(e => e[0] == groupPart) is { } groupEntry
                && uint.TryParse(groupEntry[2], NumberStyles.None, CultureInfo.InvariantCulture, out var entryGroupId))
            {
                gid = entryGroupId;
            }
        }
        return (uid, gid);
    }

    /// <summary>BuildKit's parseUID: <c>root</c> is 0, otherwise a decimal number that fits 32 bits.</summary>
    private static bool TryParseId(string text, out uint id)
    {
        if (text == "root")
        {
            id = 0;
            return true;
        }
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    // The home of a uid given by number, from its passwd entry when it has one.
    private static string HomeOf(uint uid, string? passwd) =>
        Parse(passwd, 7).FirstOrDefault(e => e[2] == uid.ToString(CultureInfo.InvariantCulture)) is { } entry && entry[5].Length > 0 ? entry[5] : "/";

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
