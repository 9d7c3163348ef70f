using System.CommandLine;
using System.Text.Json;
using Builder.Dockerfile.Syntax;

namespace Builder.Cli.Commands;

/// <summary><c>builder parse [--format json|dump] DOCKERFILE</c>: the syntax tree, or BuildKit's parser dump.</summary>
internal static class ParseCommand
{
    public static Command Create(CliIo io)
    {
        var file = new Argument<FileInfo>("DOCKERFILE") { Description = "The Dockerfile to parse" };
        var format = new Option<string>("--format")
        {
            Description = "json: the syntax tree with spans; dump: BuildKit's parser dump",
            DefaultValueFactory = _ => "dump",
        };
        format.AcceptOnlyFromAmong("json", "dump");
        var command = new Command("parse", "Parse a Dockerfile and print its syntax tree") { file, format };
        command.SetAction(result =>
        {
            var path = result.GetValue(file)!;
            var syntax = DockerfileParser.Parse(CliFiles.ReadText(path.ToString()), path.Name);
            foreach (var diagnostic in syntax.Diagnostics)
            {
                var level = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
                io.Error.WriteLine($"{level}: {diagnostic.Format(path.Name)}");
            }
            if (syntax.HasErrors)
            {
                return ExitCodes.Failure;
            }
            io.Out.Write(result.GetValue(format) == "json"
                ? JsonSerializer.Serialize(syntax, CliJson.Default.DockerfileSyntax) + "\n"
                : SyntaxDump.Dump(syntax));
            return ExitCodes.Ok;
        });
        return command;
    }
}
