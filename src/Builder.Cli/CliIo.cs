namespace Builder.Cli;

/// <summary>Where a command writes: standard output for results, standard error for messages.</summary>
public sealed record CliIo(TextWriter Out, TextWriter Error)
{
    /// <summary>Standard input, for secrets passed with <c>--password-stdin</c>.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    public static CliIo Console => new(System.Console.Out, System.Console.Error) { In = System.Console.In };
}

/// <summary>The exit codes of every verb, as docker uses them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}
