namespace Builder.Engine.Outputs;

/// <summary>The kinds of <c>--output type=…</c> docker build knows and we write.</summary>
public enum BuildOutputType
{
    /// <summary>The local store, tagged with the build's names (the default).</summary>
    Image,

    /// <summary>An OCI image layout, as a directory or a tar.</summary>
    Oci,

    /// <summary>A docker-archive tar (what <c>docker load</c> reads).</summary>
    Docker,

    /// <summary>The final stage's files, written into a directory.</summary>
    Local,

    /// <summary>The local store, then pushed to the registry of each name.</summary>
    Registry,
}

/// <summary>One <c>--output</c>: <c>type=oci,dest=out.tar</c>, <c>type=local,dest=dir</c>, <c>type=image,name=x,push=true</c>.</summary>
public sealed record BuildOutput(BuildOutputType Type)
{
    public string? Destination { get; init; }

    /// <summary>For oci and docker: a tar file (the default) or, with <c>tar=false</c>, a directory.</summary>
    public bool Tar { get; init; } = true;

    /// <summary>Names from <c>name=a,b</c> (added to the build's <c>-t</c> names).</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    public bool Push { get; init; }

    /// <summary>
    /// <c>compression=gzip|zstd</c>, <c>compression-level=N</c>, <c>force-compression=true</c>: how layers leave the store
    /// (an OCI export, a push), as BuildKit's exporters take them; null fields keep the defaults (gzip 6, no recompression).
    /// </summary>
    public Oci.Images.CompressionChoice? Compression { get; init; }

    /// <summary>
    /// Parses docker's CSV form. A bare path is <c>type=local,dest=PATH</c> and <c>-</c> is a tar on standard output,
    /// as in <c>docker build -o</c>.
    /// </summary>
    public static BuildOutput Parse(string text)
    {
        if (text.Length == 0)
        {
            throw new FormatException("--output: the value is empty (expected type=...,dest=PATH or a directory)");
        }
        if (!text.Contains('='))
        {
            return text == "-"
                ? throw new FormatException("--output -: writing a tar to standard output needs type=oci or type=docker and dest=-")
                : new BuildOutput(BuildOutputType.Local) { Destination = text };
        }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in text.Split(','))
        {
            var equals = field.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"--output: '{field}' is not key=value");
            }
            fields[field[..equals].Trim()] = field[(equals + 1)..].Trim();
        }
        var type = fields.GetValueOrDefault("type") switch
        {
            "image" => BuildOutputType.Image,
            "oci" => BuildOutputType.Oci,
            "docker" => BuildOutputType.Docker,
            "local" => BuildOutputType.Local,
            "registry" => BuildOutputType.Registry,
            null => throw new FormatException("--output: type= is missing"),
            var other => throw new FormatException($"--output: type '{other}' is not image, oci, docker, local or registry"),
        };
        var output = new BuildOutput(type)
        {
            Destination = fields.GetValueOrDefault("dest") is { Length: > 0 } dest ? dest : null, // dest= is no destination
            Tar = !fields.TryGetValue("tar", out var tar) || ParseBool("tar", tar),
            Names = fields.TryGetValue("name", out var names) ? SplitNames(names) : [],
            Push = type == BuildOutputType.Registry || (fields.TryGetValue("push", out var push) && ParseBool("push", push)),
            Compression = fields.ContainsKey("compression") || fields.ContainsKey("compression-level") || fields.ContainsKey("force-compression")
                ? ParseCompression(fields.GetValueOrDefault("compression"), fields.GetValueOrDefault("compression-level"),
                    fields.TryGetValue("force-compression", out var force) && ParseBool("force-compression", force))
                : null,
        };
        if (type is BuildOutputType.Oci or BuildOutputType.Docker or BuildOutputType.Local && output.Destination is null)
        {
            throw new FormatException($"--output type={fields["type"]} needs dest=");
        }
        if (type == BuildOutputType.Docker && !output.Tar)
        {
            throw new FormatException("--output type=docker writes a tar; tar=false is only for type=oci");
        }
        if (type == BuildOutputType.Local && !output.Tar)
        {
            throw new FormatException("--output type=local writes a directory; tar= does not apply");
        }
        var unknown = fields.Keys.Except(["type", "dest", "tar", "name", "push", "oci-mediatypes", "compression", "compression-level", "force-compression"]).ToList();
        return unknown.Count == 0 ? output : throw new FormatException($"--output: unknown field {unknown[0]}");
    }

    /// <summary>compression= and compression-level= (as <c>--output</c> and <c>push --compression</c> spell them) checked.</summary>
    public static Oci.Images.CompressionChoice ParseCompression(string? compression, string? level, bool force)
    {
        var kind = compression switch
        {
            null or "gzip" => Oci.Layers.LayerCompression.Gzip,
            "zstd" => Oci.Layers.LayerCompression.Zstd,
            "uncompressed" => throw new FormatException("compression=uncompressed: layers leave the store compressed (gzip or zstd)"),
            var other => throw new FormatException($"compression={other} is not gzip or zstd"),
        };
        int? parsedLevel = null;
        if (level is not null)
        {
            var (low, high) = kind == Oci.Layers.LayerCompression.Gzip ? (0, 9) : (1, 22);
            parsedLevel = int.TryParse(level, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= low && n <= high
                ? n
                : throw new FormatException($"compression-level={level}: {kind.ToString().ToLowerInvariant()} levels are {low}-{high}");
        }
        return new Oci.Images.CompressionChoice(kind, parsedLevel, force);
    }

    // docker separates several names with commas inside a quoted CSV field; outside quotes a ';' does the job here.
    private static IReadOnlyList<string> SplitNames(string names) =>
        names.Split([';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool ParseBool(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new FormatException($"--output: {key}={value} is not true or false"),
    };
}
