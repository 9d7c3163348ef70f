namespace Builder.Sandbox.Snapshots;

/// <summary>Whether this process runs in a user namespace other than the initial one (rootless, under unshare).</summary>
public static class UserNamespace
{
    public static bool IsNested { get; } = Detect();

    /// <summary>The xattr overlayfs marks opaque directories with: trusted.* as real root, user.* with <c>userxattr</c> in a namespace.</summary>
    public static string OpaqueXattr => IsNested ? "user.overlay.opaque" : "trusted.overlay.opaque";

    private static bool Detect()
    {
        try
        {
            var map = File.ReadAllText("/proc/self/uid_map").Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            // The initial namespace maps the whole range: "0 0 4294967295".
            return map is not ["0", "0", "4294967295"];
        }
        catch (IOException)
        {
            return false;
        }
    }
}
