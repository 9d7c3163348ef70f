using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// How an extracted layer (and an overlay upper directory) marks deletions, as overlayfs reads them: a whiteout is a
/// 0/0 character device; an opaque directory carries the overlay.opaque xattr (trusted.* as real root, user.* in a
/// user namespace: <see cref="UserNamespace.OpaqueXattr"/>).
/// </summary>
internal static class OverlayForm
{
    public static bool IsOpaqueXattr(string name) => name is "trusted.overlay.opaque" or "user.overlay.opaque";

    /// <summary>overlayfs's own attributes (opaque, origin, redirect…): bookkeeping of the mount, never an image's.</summary>
    public static bool IsOverlayXattr(string name) =>
        name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal);

    public static bool IsOpaque(string directory) => LibC.ListXattrs(directory).Keys.Any(IsOpaqueXattr);
}
