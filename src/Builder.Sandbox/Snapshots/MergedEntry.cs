namespace Builder.Sandbox.Snapshots;

/// <summary>
/// One entry of a <see cref="MergedView"/>: its path in the view, what it is, and where its bytes are on the host
/// (<see cref="HostPath"/>, in the topmost layer that has it: to read a file's content from, never to write).
/// </summary>
public sealed record MergedEntry(string Path, string HostPath, uint Mode, long Uid, long Gid, long MtimeSeconds, string? LinkTarget, long Size)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymlink => (Mode & 0xF000) == 0xA000;

    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    /// <summary>Permission bits plus setuid, setgid and sticky.</summary>
    public uint Permissions => Mode & 0b111_111_111_111;
}
