using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Binding;

/// <summary>
/// Turns a syntax tree into typed instructions grouped in stages, with the checks BuildKit makes at this point:
/// the argument count of each instruction, its flags, stage names, ONBUILD triggers, HEALTHCHECK options.
/// The first problem is thrown as a <see cref="DockerfileException"/> naming its line and column.
/// </summary>
public static partial class Binder
{
    /// <summary>Every instruction of the Dockerfile reference, upper-cased.</summary>
    public static readonly IReadOnlyList<string> InstructionNames =
    [
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
        "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    ];

    [GeneratedRegex("^[a-z][a-z0-9-_\\.]*$")]
    private static partial Regex StageNamePattern();

    public static BoundDockerfile Bind(DockerfileSyntax syntax)
    {
        if (syntax.Errors.FirstOrDefault() is { } parseError)
        {
            throw new DockerfileException(syntax.FileName, parseError.Span, parseError.Message);
        }
        var binder = new InstructionBinder(syntax.FileName);
        var globalArgs = new List<ArgInstruction>();
        var stages = new List<(FromInstruction From, List<Instruction> Instructions)>();
        foreach (var node in syntax.Instructions)
        {
            var instruction = binder.Bind(node);
            switch (instruction)
            {
                case FromInstruction from:
                    stages.Add((from, []));
                    break;
                case ArgInstruction arg when stages.Count == 0:
                    globalArgs.Add(arg);
                    break;
                case var _ when stages.Count == 0:
                    throw binder.Error(node.KeywordSpan, "no build stage in current context");
                default:
                    stages[^1].Instructions.Add(instruction);
                    break;
            }
        }
        if (stages.Count == 0)
        {
            throw binder.Error(syntax.Instructions[0].Span, "the Dockerfile contains no stages to build (no FROM instruction)");
        }
        return new BoundDockerfile(syntax, globalArgs, stages.Select((s, i) => new Stage(i, s.From, s.Instructions)).ToList());
    }

    /// <summary>A <c>--chmod</c> value: octal digits, at most 07777 (strconv.ParseUint(s, 8, 32) and BuildKit's bound).</summary>
    public static bool TryParseChmod(string text, out uint mode)
    {
        mode = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '7' || (mode = mode * 8 + (uint)(c - '0')) > 0xFFF)
            {
                return false;
            }
        }
        return text.Length > 0;
    }

    /// <summary>The closest instruction name to a misspelled one, when one is close enough.</summary>
    internal static string? Suggest(string word)
    {
        var upper = word.ToUpperInvariant();
        var best = InstructionNames.Select(n => (Name: n, Distance: EditDistance(upper, n))).MinBy(x => x.Distance);
        return best.Distance <= Math.Max(1, upper.Length / 3) ? best.Name : null;
    }

    /// <summary>Levenshtein distance where swapping two neighbours counts as one edit.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    private sealed class InstructionBinder(string fileName)
    {
        public DockerfileException Error(TextSpan span, string reason) => new(fileName, span, reason);

        private FlagSet Flags(InstructionSyntax node, params (string, FlagKind)[] accepted) =>
            FlagSet.Parse(node, Error, accepted);

        public Instruction Bind(InstructionSyntax node)
        {
            var args = node.Arguments.Select(a => a.Value).ToList();
            return node.Name switch
            {
                "FROM" => BindFrom(node, args),
                "RUN" => BindRun(node, args),
                "CMD" => new CmdInstruction(node, CommandWithoutFlags(node, args)),
                "ENTRYPOINT" => new EntrypointInstruction(node, CommandWithoutFlags(node, args)),
                "SHELL" => BindShell(node, args),
                "ENV" => new EnvInstruction(node, Pairs(node, args, "ENV"), IsLegacyForm(node)),
                "LABEL" => new LabelInstruction(node, Pairs(node, args, "LABEL"), IsLegacyForm(node)),
                "ARG" => BindArg(node, args),
                "MAINTAINER" => new MaintainerInstruction(node, ExactlyOne(node, args)),
                "EXPOSE" => BindExpose(node, args),
                "COPY" => BindCopy(node, args),
                "ADD" => BindAdd(node, args),
                "VOLUME" => BindVolume(node, args),
                "USER" => new UserInstruction(node, ExactlyOne(node, args)),
                "WORKDIR" => new WorkdirInstruction(node, ExactlyOne(node, args)),
                "STOPSIGNAL" => BindStopSignal(node, args),
                "ONBUILD" => BindOnbuild(node),
                "HEALTHCHECK" => BindHealthcheck(node, args),
                _ => throw Error(node.KeywordSpan, $"unknown instruction: {node.Keyword}"
                    + (Suggest(node.Keyword) is { } s ? $" (did you mean {s}?)" : string.Empty)),
            };
        }

        private FromInstruction BindFrom(InstructionSyntax node, List<string> args)
        {
            var flags = Flags(node, ("platform", FlagKind.String));
            string? name = null;
            if (args.Count == 3 && args[1].Equals("as", StringComparison.OrdinalIgnoreCase))
            {
                name = args[2].ToLowerInvariant();
                if (!StageNamePattern().IsMatch(name))
                {
                    throw Error(node.Arguments[2].Span, $"invalid name for build stage: {GoText.Quote(args[2])}, name can't start with a number or contain symbols");
                }
            }
            else if (args.Count != 1)
            {
                throw Error(node.Span, "FROM requires either one or three arguments");
            }
            return new FromInstruction(node, args[0], name, flags.String("platform"));
        }

        private RunInstruction BindRun(InstructionSyntax node, List<string> args)
        {
            var flags = Flags(node, ("mount", FlagKind.Strings), ("network", FlagKind.String), ("security", FlagKind.String));
            if (args.Count == 0)
            {
                throw Error(node.Span, "RUN requires at least one argument");
            }
            var network = flags.String("network");
            if (network is not (null or "default" or "none" or "host"))
            {
                throw Error(FlagSpan(node, "network"), $"unsupported network mode {GoText.Quote(network)}: use default, none or host");
            }
            var security = flags.String("security");
            if (security is not (null or "sandbox" or "insecure"))
            {
                throw Error(FlagSpan(node, "security"), $"unsupported security mode {GoText.Quote(security)}: use sandbox or insecure");
            }
            var mounts = flags.Strings("mount");
            foreach (var mount in mounts.Where(m => !m.Contains('$')))
            {
                try
                {
                    RunMount.Parse(mount);
                }
                catch (FormatException e)
                {
                    throw Error(FlagSpan(node, "mount"), e.Message);
                }
            }
            return new RunInstruction(node, Command(node, args), node.Heredocs, mounts, network, security);
        }

        private static TextSpan FlagSpan(InstructionSyntax node, string name) =>
            node.Flags.LastOrDefault(f => f.Name == name)?.Span ?? node.Span;

        private static CommandLine Command(InstructionSyntax node, List<string> args) =>
            node.IsJsonForm || args.Count == 0 ? CommandLine.Exec(args) : CommandLine.Shell(args[0]);

        private CommandLine CommandWithoutFlags(InstructionSyntax node, List<string> args)
        {
            Flags(node);
            return Command(node, args);
        }

        private ShellInstruction BindShell(InstructionSyntax node, List<string> args)
        {
            Flags(node);
            if (args.Count == 0)
            {
                throw Error(node.Span, "SHELL requires at least one argument");
            }
            if (!node.IsJsonForm)
            {
                throw Error(node.Span, "SHELL requires the arguments to be in JSON form");
            }
            return new ShellInstruction(node, args);
        }

        private static bool IsLegacyForm(InstructionSyntax node) => node.Arguments is [_, _, { Value: "" }];

        private List<KeyValue> Pairs(InstructionSyntax node, List<string> args, string instruction)
        {
            Flags(node);
            if (args.Count == 0)
            {
                throw Error(node.Span, $"{instruction} requires at least one argument");
            }
            var pairs = new List<KeyValue>();
            for (var i = 0; i + 1 < args.Count; i += 3)
            {
                if (args[i].Length == 0)
                {
                    throw Error(node.Arguments[i].Span, $"{instruction} names can not be blank");
                }
                pairs.Add(new KeyValue(args[i], args[i + 1]));
            }
            return pairs;
        }

        private ArgInstruction BindArg(InstructionSyntax node, List<string> args)
        {
            Flags(node);
            if (args.Count == 0)
            {
                throw Error(node.Span, "ARG requires at least one argument");
            }
            var declarations = new List<ArgDeclaration>();
            for (var i = 0; i < args.Count; i++)
            {
                var equals = args[i].IndexOf('=');
                if (equals == 0)
                {
                    throw Error(node.Arguments[i].Span, "ARG names can not be blank");
                }
                declarations.Add(equals < 0 ? new ArgDeclaration(args[i], null) : new ArgDeclaration(args[i][..equals], args[i][(equals + 1)..]));
            }
            return new ArgInstruction(node, declarations);
        }

        private string ExactlyOne(InstructionSyntax node, List<string> args)
        {
            Flags(node);
            return args.Count == 1 ? args[0] : throw Error(node.Span, $"{node.Name} requires exactly one argument");
        }

        private List<string> AtLeastOne(InstructionSyntax node, List<string> args)
        {
            Flags(node);
            return args.Count > 0 ? args : throw Error(node.Span, $"{node.Name} requires at least one argument");
        }

        private (List<string> Sources, List<InlineSource> Inline, string Destination) SourcesAndDestination(InstructionSyntax node, List<string> args)
        {
            if (args.Count < 2)
            {
                throw Error(node.Span, $"{node.Name} requires at least two arguments, but only one was provided. Destination could not be determined");
            }
            if (Parse(args[^1]) is not null)
            {
                throw Error(node.Arguments[^1].Span, $"{node.Name} cannot accept a heredoc as a destination");
            }
            var sources = new List<string>();
            var inline = new List<InlineSource>();
            foreach (var source in args[..^1])
            {
                if (Parse(source) is { } marker)
                {
                    var body = node.Heredocs.FirstOrDefault(h => h.Name == marker.Name)?.Content ?? string.Empty;
                    inline.Add(new InlineSource(marker.Name, marker.Chomp ? HeredocMarker.StripLeadingTabs(body) : body, marker.Expand));
                }
                else
                {
                    sources.Add(source);
                }
            }
            return (sources, inline, args[^1]);

            // JSON-form sources are paths even when they look like heredocs.
            HeredocMarker? Parse(string word)
            {
                if (node.IsJsonForm)
                {
                    return null;
                }
                try
                {
                    return HeredocMarker.Parse(word);
                }
                catch (SyntaxError)
                {
                    return null;
                }
            }
        }

        private CopyInstruction BindCopy(InstructionSyntax node, List<string> args)
        {
            var flags = Flags(node,
                ("from", FlagKind.String), ("chown", FlagKind.String), ("chmod", FlagKind.String), ("link", FlagKind.Bool),
                ("parents", FlagKind.Bool), ("exclude", FlagKind.Strings));
            var (sources, inline, destination) = SourcesAndDestination(node, args);
            return new CopyInstruction(node, sources, inline, destination, flags.String("from"), NonEmpty(flags.String("chown")),
                Chmod(node, flags), flags.Bool("link"), flags.Bool("parents"), Excludes(node, flags));
        }

        private AddInstruction BindAdd(InstructionSyntax node, List<string> args)
        {
            var flags = Flags(node,
                ("chown", FlagKind.String), ("chmod", FlagKind.String), ("link", FlagKind.Bool), ("keep-git-dir", FlagKind.Bool),
                ("checksum", FlagKind.String), ("unpack", FlagKind.Bool), ("exclude", FlagKind.Strings));
            var (sources, inline, destination) = SourcesAndDestination(node, args);
            return new AddInstruction(node, sources, inline, destination, NonEmpty(flags.String("chown")), Chmod(node, flags),
                flags.Bool("link"), flags.Bool("keep-git-dir"), flags.String("checksum"), flags.OptionalBool("unpack"), Excludes(node, flags));
        }

        // BuildKit treats --chown= and --chmod= with an empty value as not given.
        private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

        /// <summary>--chmod is never expanded, so it is checked here, worded as BuildKit's.</summary>
        private string? Chmod(InstructionSyntax node, FlagSet flags)
        {
            var text = NonEmpty(flags.String("chmod"));
            return text is null || TryParseChmod(text, out _) ? text
                : throw Error(FlagSpan(node, "chmod"), $"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777");
        }

        /// <summary>--exclude patterns are never expanded either: a malformed one is an error at its flag.</summary>
        private IReadOnlyList<string> Excludes(InstructionSyntax node, FlagSet flags)
        {
            foreach (var flag in node.Flags.Where(f => f.Name == "exclude"))
            {
                try
                {
                    Ignore.DockerIgnoreMatcher.Create([flag.Value ?? ""]);
                }
                catch (Ignore.DockerIgnoreException e)
                {
                    throw Error(flag.Span, $"--exclude: {e.Message}");
                }
            }
            return flags.Strings("exclude");
        }

        // A word with variables, quotes or escapes is checked once expanded, when the stage is built.
        private static bool IsLiteral(string word) => word.IndexOfAny(['$', '"', '\'', '\\', '`']) < 0;

        private ExposeInstruction BindExpose(InstructionSyntax node, List<string> args)
        {
            AtLeastOne(node, args);
            foreach (var word in node.Arguments.Where(w => IsLiteral(w.Value)))
            {
                try
                {
                    ExposedPorts.Parse(word.Value);
                }
                catch (FormatException e)
                {
                    throw Error(word.Span, e.Message);
                }
            }
            return new ExposeInstruction(node, args);
        }

        private StopSignalInstruction BindStopSignal(InstructionSyntax node, List<string> args)
        {
            var signal = ExactlyOne(node, args);
            if (IsLiteral(signal) && StopSignal.Error(signal) is { } error)
            {
                throw Error(node.Arguments[0].Span, error);
            }
            return new StopSignalInstruction(node, signal);
        }

        private VolumeInstruction BindVolume(InstructionSyntax node, List<string> args)
        {
            var paths = AtLeastOne(node, args).Select(GoText.TrimSpace).ToList();
            if (paths.Any(p => p.Length == 0))
            {
                throw Error(node.Span, "VOLUME specified can not be an empty string");
            }
            return new VolumeInstruction(node, paths);
        }

        private OnbuildInstruction BindOnbuild(InstructionSyntax node)
        {
            Flags(node);
            var trigger = node.Trigger ?? throw Error(node.Span, "ONBUILD requires at least one argument");
            switch (trigger.Name)
            {
                case "ONBUILD":
                    throw Error(trigger.KeywordSpan, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
                case "MAINTAINER" or "FROM":
                    throw Error(trigger.KeywordSpan, $"{trigger.Name} isn't allowed as an ONBUILD trigger");
            }
            // The stored expression is the trigger's own text, with its heredoc bodies after it.
            var expression = trigger.Original + string.Concat(trigger.Heredocs.Select(h => "\n" + h.Content + h.Name));
            return new OnbuildInstruction(node, Bind(trigger), expression);
        }

        private HealthcheckInstruction BindHealthcheck(InstructionSyntax node, List<string> args)
        {
            if (args.Count == 0)
            {
                throw Error(node.Span, "HEALTHCHECK requires at least one argument");
            }
            var type = args[0].ToUpperInvariant();
            if (type == "NONE")
            {
                return args.Count == 1
                    ? new HealthcheckInstruction(node, ["NONE"], default, default, default, default, 0)
                    : throw Error(node.Span, "HEALTHCHECK NONE takes no arguments");
            }
            var flags = Flags(node,
                ("interval", FlagKind.String), ("timeout", FlagKind.String), ("start-period", FlagKind.String),
                ("start-interval", FlagKind.String), ("retries", FlagKind.String));
            if (type != "CMD")
            {
                throw Error(node.Arguments[0].Span, $"Unknown type {GoText.Quote(type)} in HEALTHCHECK (try CMD)");
            }
            if (args.Count == 1)
            {
                throw Error(node.Span, "Missing command after HEALTHCHECK CMD");
            }
            var test = node.IsJsonForm ? ["CMD", .. args[1..]] : new List<string> { "CMD-SHELL", args[1] };
            var retries = 0;
            if (flags.String("retries") is { } retriesText)
            {
                if (!int.TryParse(retriesText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out retries))
                {
                    // Go tells a number too big for 32 bits from one that is not a number.
                    var digits = retriesText.StartsWith('-') || retriesText.StartsWith('+') ? retriesText[1..] : retriesText;
                    var reason = digits.Length > 0 && digits.All(char.IsAsciiDigit) ? "value out of range" : "invalid syntax";
                    throw Error(FlagSpan(node, "retries"), $"strconv.ParseInt: parsing {GoText.Quote(retriesText)}: {reason}");
                }
                if (retries < 0)
                {
                    throw Error(FlagSpan(node, "retries"), $"--retries cannot be negative ({retries})");
                }
            }
            return new HealthcheckInstruction(node, test,
                Interval(node, flags, "interval"), Interval(node, flags, "timeout"),
                Interval(node, flags, "start-period"), Interval(node, flags, "start-interval"), retries);
        }

        /// <summary>A HEALTHCHECK duration: zero means "use the default"; anything else is at least 1ms.</summary>
        private TimeSpan Interval(InstructionSyntax node, FlagSet flags, string name)
        {
            if (flags.String(name) is not { } text)
            {
                return TimeSpan.Zero;
            }
            TimeSpan value;
            try
            {
                value = GoDuration.Parse(text);
            }
            catch (FormatException e)
            {
                throw Error(FlagSpan(node, name), e.Message);
            }
            if (value != TimeSpan.Zero && value < TimeSpan.FromMilliseconds(1))
            {
                throw Error(FlagSpan(node, name), $"Interval {GoText.Quote(name)} cannot be less than 1ms");
            }
            return value;
        }
    }
}
