namespace Builder.Sandbox;

/// <summary>One process to run in a sandbox: what a RUN step or <c>builder run</c> asks for.</summary>
public sealed record ExecSpec
{
    /// <summary>argv; the first element is looked up on the container's PATH.</summary>
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>KEY=VALUE pairs, as the image config's Env.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>As the image config's User: <c>name</c>, <c>uid</c>, <c>name:group</c>, <c>uid:gid</c>; empty = root.</summary>
    public string User { get; init; } = "";

    /// <summary>Absolute path in the container; created when missing, as docker does.</summary>
    public string WorkingDirectory { get; init; } = "/";

    public string Hostname { get; init; } = "builder";

    public SandboxNetwork Network { get; init; } = SandboxNetwork.Host;

    /// <summary>With <see cref="SandboxNetwork.Private"/>: host ports forwarded into the container (<c>-p</c>).</summary>
    public IReadOnlyList<PublishedPort> Ports { get; init; } = [];

    /// <summary>Extra mounts (RUN --mount, volumes); nothing mounted ever appears in the step's diff.</summary>
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];

    /// <summary>
    /// Whether <see cref="Env"/> holds a secret (RUN --mount=type=secret,env=…): the executor then refuses to write
    /// the runtime's config anywhere but memory.
    /// </summary>
    public bool EnvHoldsSecrets { get; init; }
}

public enum SandboxNetwork
{
    /// <summary>The host's network namespace (BuildKit's default for RUN: apt-get reaches the mirror).</summary>
    Host,

    /// <summary>A new network namespace with only loopback.</summary>
    None,

    /// <summary>
    /// A new network namespace reaching out through user-mode networking (pasta, from Debian's passt): docker's bridge
    /// mode without a daemon or root. The host's loopback services are out of reach; <see cref="ExecSpec.Ports"/> are
    /// forwarded in.
    /// </summary>
    Private,
}

/// <summary>
/// <c>-p [IP:]HOST:CONTAINER[/tcp|udp]</c>: connections to the host's <paramref name="HostPort"/> (on
/// <paramref name="HostAddress"/>, or every address) go to the container's <paramref name="ContainerPort"/>.
/// </summary>
public sealed record PublishedPort(string? HostAddress, int HostPort, int ContainerPort, string Protocol = "tcp")
{
    /// <summary>Parses docker's <c>-p</c> form; a <see cref="FormatException"/> says what is wrong.</summary>
    public static PublishedPort Parse(string text)
    {
        var (spec, protocol) = text.LastIndexOf('/') is var slash and > 0 ? (text[..slash], text[(slash + 1)..]) : (text, "tcp");
        if (protocol is not ("tcp" or "udp"))
        {
            throw new FormatException($"-p {text}: the protocol is tcp or udp, not {protocol}");
        }
        var parts = spec.Split(':');
        static int Port(string value, string text) =>
            int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? port
                : throw new FormatException($"-p {text}: {value} is not a port (1-65535)");
        return parts switch
        {
            [var host, var container] => new PublishedPort(null, Port(host, text), Port(container, text), protocol),
            [var address, var host, var container] when System.Net.IPAddress.TryParse(address, out _) =>
                new PublishedPort(address, Port(host, text), Port(container, text), protocol),
            [var address, _, _] => throw new FormatException($"-p {text}: {address} is not an IP address"),
            _ => throw new FormatException($"-p {text}: expected [IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]"),
        };
    }
}

/// <summary>A mount in the container at <see cref="Target"/> (an absolute container path).</summary>
public abstract record SandboxMount(string Target);

/// <summary>
/// A host directory or file bind-mounted into the container. With <see cref="Root"/>, <see cref="Source"/> is a path
/// inside that root, resolved there (symlinks followed only inside it, see <see cref="Mounts.RootedPath"/>) and
/// mounted through a descriptor, so nothing outside the root can be reached or swapped in.
/// </summary>
public sealed record BindMount(string Target, string Source, bool ReadOnly) : SandboxMount(Target)
{
    public string? Root { get; init; }
}

/// <summary>A secret as a read-only file at <see cref="Target"/>; its bytes live in memory only, never on disk.</summary>
public sealed record SecretMount(string Target, byte[] Content, long Uid, long Gid, UnixFileMode Mode) : SandboxMount(Target);

/// <summary>A fresh tmpfs; <see cref="SizeBytes"/> 0 means the kernel's default.</summary>
public sealed record TmpfsMount(string Target, long SizeBytes = 0) : SandboxMount(Target);
