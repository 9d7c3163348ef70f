using System.Runtime.InteropServices;

namespace Builder.Sandbox.Mounts;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getuid")]
    internal static partial uint getuid();
}
