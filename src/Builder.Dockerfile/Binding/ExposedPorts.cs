using System.Globalization;
using System.Net;

namespace Builder.Dockerfile.Binding;

/// <summary>
/// EXPOSE's port specs as BuildKit reads them (go-connections' nat.ParsePortSpec): <c>[[ip:]host:]port[-end][/proto]</c>,
/// ports 0-65535, protocol tcp, udp or sctp in any case. Only the container ports are exposed.
/// </summary>
public static class ExposedPorts
{
    /// <summary>The <c>port/proto</c> keys one spec exposes; a <see cref="FormatException"/> is worded as nat's.</summary>
    public static IReadOnlyList<string> Parse(string spec)
    {
        var parts = spec.Split(':');
        var containerPart = parts[^1];
        var hostPort = parts.Length > 1 ? parts[^2] : "";
        var ip = parts.Length > 2 ? string.Join(':', parts[..^2]) : "";
        var (protocol, containerPort) = SplitProtocol(containerPart);
        var bareIp = ip.StartsWith('[') && ip.EndsWith(']') ? ip[1..^1] : ip;
        if (bareIp.Length > 0 && !IPAddress.TryParse(bareIp, out _))
        {
            throw new FormatException($"Invalid ip address: {ip}");
        }
        if (containerPort.Length == 0)
        {
            throw new FormatException($"No port specified: {spec}<empty>");
        }
        var (start, end) = Range(containerPort) ?? throw new FormatException($"Invalid containerPort: {containerPort}");
        if (hostPort.Length > 0)
        {
            var (hostStart, hostEnd) = Range(hostPort) ?? throw new FormatException($"Invalid hostPort: {hostPort}");
            // A host range is allowed for a single container port (docker picks one of them).
            if (end - start != hostEnd - hostStart && end != start)
            {
                throw new FormatException($"Invalid ranges specified for container and host Ports: {containerPort} and {hostPort}");
            }
        }
        var lower = protocol.ToLowerInvariant();
        if (lower is not ("tcp" or "udp" or "sctp"))
        {
            throw new FormatException($"Invalid proto: {protocol}");
        }
        return [.. Enumerable.Range(start, end - start + 1).Select(p => $"{p}/{lower}")];
    }

    private static (string Protocol, string Port) SplitProtocol(string text)
    {
        var parts = text.Split('/');
        return parts[0].Length == 0 ? ("", "") : parts.Length == 1 || parts[1].Length == 0 ? ("tcp", parts[0]) : (parts[1], parts[0]);
    }

    /// <summary>nat.ParsePortRange: <c>N</c> or <c>N-M</c> (text after a second dash ignored), 16-bit, not reversed.</summary>
    private static (int Start, int End)? Range(string text)
    {
        var parts = text.Split('-');
        if (!TryPort(parts[0], out var start))
        {
            return null;
        }
        if (parts.Length == 1)
        {
            return (start, start);
        }
        return TryPort(parts[1], out var end) && end >= start ? (start, end) : null;
    }

    // strconv.ParseUint(text, 10, 16): ASCII digits only, at most 65535.
    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= ushort.MaxValue;
}
