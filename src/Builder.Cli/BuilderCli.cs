using System.Runtime.InteropServices;
using System.CommandLine;
using System.CommandLine.Parsing;
using Builder.Cli.Commands;

namespace Builder.Cli;

/// <summary>The <c>builder</c> command: its verbs, usage errors (exit 2) and failures (exit 1).</summary>
public static class BuilderCli
{
    public static int Run(string[] args, CliIo io)
    {
        var root = new RootCommand("Builder: Dockerfile to OCI image, no daemon, no root.")
        {
            ParseCommand.Create(io),
            GraphCommand.Create(io),
            RunCommand.Create(io),
            BuildCommand.Create(io),
            LintCommand.Create(io),
            CacheCommands.Create(io),
            ManifestCommands.Create(io),
        };
        foreach (var command in ImageCommands.Create(io).Concat(RegistryCommands.Create(io)).Concat(SigningCommands.Create(io)))
        {
            root.Subcommands.Add(command);
        }
        var result = root.Parse(RunCommand.EndOptionsAtImage(root, args));
        if (UsageError(result) is { } usage)
        {
            io.Error.WriteLine($"error: {usage}");
            io.Error.WriteLine(HelpHint(result));
            return ExitCodes.Usage;
        }
        // SIGINT and SIGTERM cancel the verb, so a running step's container and mounts are cleaned up before exit.
        using var cancel = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            var configuration = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return result.InvokeAsync(configuration, cancel.Token).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, io.Error, HelpHint(result));
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true; // exit through the cancellation path, not at once
            cancel.Cancel();
        }
    }

    /// <summary>
    /// The one usage error to show, or null: an unknown option first (System.CommandLine takes "--bogus" for an
    /// argument, and then complains about the real argument), an unknown verb, else the parser's first error on one line.
    /// </summary>
    private static string? UsageError(ParseResult result)
    {
        if (UnknownOption(result) is { } option)
        {
            return $"unrecognized option '{option}'";
        }
        if (result.Errors.Count == 0)
        {
            return null;
        }
        if (result.CommandResult.Command is RootCommand && result.UnmatchedTokens.FirstOrDefault() is { } verb)
        {
            return $"unknown command '{verb}'";
        }
        // Some messages list their choices on lines of their own.
        return CliErrors.OneLine(result.Errors[0].Message);
    }

    /// <summary>A word before any "--" that looks like an option but was taken as a command's argument (or left over).</summary>
    private static string? UnknownOption(ParseResult result)
    {
        var end = result.Tokens.ToList().FindIndex(t => t.Type == TokenType.DoubleDash);
        var beforeEnd = result.Tokens.Take(end < 0 ? result.Tokens.Count : end).ToHashSet(ReferenceEqualityComparer.Instance);
        var arguments = new List<string>();
        for (var command = result.CommandResult; command is not null; command = command.Parent as CommandResult)
        {
            arguments.AddRange(command.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).Where(beforeEnd.Contains).Select(t => t.Value));
        }
        return arguments.Concat(end < 0 ? result.UnmatchedTokens : []).FirstOrDefault(t => t.Length > 1 && t.StartsWith('-'));
    }

    private static string HelpHint(ParseResult result) =>
        result.CommandResult.Command is RootCommand ? "Run 'builder --help' for usage." : $"Run 'builder {result.CommandResult.Command.Name} --help' for usage.";
}
