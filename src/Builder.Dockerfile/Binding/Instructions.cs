using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Binding;

/// <summary>An instruction with its arguments interpreted; <see cref="Syntax"/> keeps the source and its spans.</summary>
public abstract record Instruction(InstructionSyntax Syntax)
{
    public string Name => Syntax.Name;

    public TextSpan Span => Syntax.Span;
}

/// <summary>
/// What RUN, CMD, ENTRYPOINT and HEALTHCHECK run: the exec form's words, or the shell form's single string
/// (run as <c>SHELL + [text]</c>).
/// </summary>
public sealed record CommandLine(IReadOnlyList<string> Words, bool IsShellForm)
{
    public static CommandLine Shell(string text) => new([text], true);

    public static CommandLine Exec(IReadOnlyList<string> words) => new(words, false);

    /// <summary>The process arguments under <paramref name="shell"/> (default <c>/bin/sh -c</c>).</summary>
    public IReadOnlyList<string> ToArgs(IReadOnlyList<string> shell) => IsShellForm ? [.. shell, .. Words] : Words;
}

public sealed record KeyValue(string Key, string Value);

/// <summary>An ARG name with its default (null when the ARG declares no value).</summary>
public sealed record ArgDeclaration(string Name, string? Default);

/// <summary>A COPY/ADD source given inline as a heredoc.</summary>
public sealed record InlineSource(string Name, string Content, bool Expand);

public sealed record FromInstruction(InstructionSyntax Syntax, string Image, string? StageName, string? Platform) : Instruction(Syntax);

public sealed record RunInstruction(
    InstructionSyntax Syntax,
    CommandLine Command,
    IReadOnlyList<HeredocSyntax> Heredocs,
    IReadOnlyList<string> Mounts,
    string? Network,
    string? Security) : Instruction(Syntax);

public sealed record CmdInstruction(InstructionSyntax Syntax, CommandLine Command) : Instruction(Syntax);

public sealed record EntrypointInstruction(InstructionSyntax Syntax, CommandLine Command) : Instruction(Syntax);

public sealed record ShellInstruction(InstructionSyntax Syntax, IReadOnlyList<string> Shell) : Instruction(Syntax);

public sealed record EnvInstruction(InstructionSyntax Syntax, IReadOnlyList<KeyValue> Variables, bool IsLegacyForm) : Instruction(Syntax);

public sealed record LabelInstruction(InstructionSyntax Syntax, IReadOnlyList<KeyValue> Labels, bool IsLegacyForm) : Instruction(Syntax);

public sealed record ArgInstruction(InstructionSyntax Syntax, IReadOnlyList<ArgDeclaration> Args) : Instruction(Syntax);

public sealed record MaintainerInstruction(InstructionSyntax Syntax, string Maintainer) : Instruction(Syntax);

public sealed record ExposeInstruction(InstructionSyntax Syntax, IReadOnlyList<string> Ports) : Instruction(Syntax);

/// <summary>COPY: files from the context, a stage or an image (<see cref="From"/>) to a destination.</summary>
public sealed record CopyInstruction(
    InstructionSyntax Syntax,
    IReadOnlyList<string> Sources,
    IReadOnlyList<InlineSource> InlineSources,
    string Destination,
    string? From,
    string? Chown,
    string? Chmod,
    bool Link,
    bool Parents,
    IReadOnlyList<string> Excludes) : Instruction(Syntax);

/// <summary>ADD: like COPY from the context, plus URLs, git repositories and archive extraction.</summary>
public sealed record AddInstruction(
    InstructionSyntax Syntax,
    IReadOnlyList<string> Sources,
    IReadOnlyList<InlineSource> InlineSources,
    string Destination,
    string? Chown,
    string? Chmod,
    bool Link,
    bool KeepGitDir,
    string? Checksum,
    bool? Unpack,
    IReadOnlyList<string> Excludes) : Instruction(Syntax);

public sealed record VolumeInstruction(InstructionSyntax Syntax, IReadOnlyList<string> Paths) : Instruction(Syntax);

public sealed record UserInstruction(InstructionSyntax Syntax, string User) : Instruction(Syntax);

public sealed record WorkdirInstruction(InstructionSyntax Syntax, string Path) : Instruction(Syntax);

public sealed record StopSignalInstruction(InstructionSyntax Syntax, string Signal) : Instruction(Syntax);

/// <summary>ONBUILD: <see cref="Trigger"/> runs when the image is used as a base; <see cref="Expression"/> is stored in the config.</summary>
public sealed record OnbuildInstruction(InstructionSyntax Syntax, Instruction Trigger, string Expression) : Instruction(Syntax);

/// <summary>HEALTHCHECK: <see cref="Test"/> is the config's test (<c>["NONE"]</c>, <c>["CMD", ...]</c> or <c>["CMD-SHELL", text]</c>).</summary>
public sealed record HealthcheckInstruction(
    InstructionSyntax Syntax,
    IReadOnlyList<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    TimeSpan StartPeriod,
    TimeSpan StartInterval,
    int Retries) : Instruction(Syntax)
{
    public bool IsNone => Test is ["NONE"];
}

/// <summary>One build stage: its FROM and the instructions after it.</summary>
public sealed record Stage(int Index, FromInstruction From, IReadOnlyList<Instruction> Instructions)
{
    /// <summary>The lower-cased <c>AS</c> name, or null.</summary>
    public string? Name => From.StageName;

    /// <summary>How the stage is shown: its name, or its index.</summary>
    public string DisplayName => Name ?? Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A Dockerfile bound to typed instructions: the global ARGs before the first FROM, and the stages.</summary>
public sealed record BoundDockerfile(DockerfileSyntax Syntax, IReadOnlyList<ArgInstruction> GlobalArgs, IReadOnlyList<Stage> Stages);
