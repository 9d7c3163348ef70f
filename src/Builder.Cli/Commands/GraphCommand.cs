using System.CommandLine;
using Builder.Cli.Rendering;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Syntax;

namespace Builder.Cli.Commands;

/// <summary><c>builder graph [--format mermaid|dot] [--target T] [--build-arg K=V] DOCKERFILE</c>: the stage DAG.</summary>
internal static class GraphCommand
{
    public static Command Create(CliIo io)
    {
        var file = new Argument<FileInfo>("DOCKERFILE") { Description = "The Dockerfile whose stages to draw" };
        var format = new Option<string>("--format") { Description = "mermaid or dot", DefaultValueFactory = _ => "mermaid" };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var target = new Option<string?>("--target") { Description = "Draw only what this stage needs to build" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "A build argument, K=V (repeatable)" };
        var command = new Command("graph", "Draw the stage graph of a Dockerfile") { file, format, target, buildArgs };
        command.SetAction(result =>
        {
            var path = result.GetValue(file)!;
            var syntax = DockerfileParser.Parse(CliFiles.ReadText(path.ToString()), path.Name);
            var graph = StageGraph.Build(Binder.Bind(syntax),
                new StageGraphOptions(KeyValueArguments.Parse(result.GetValue(buildArgs), "--build-arg"), result.GetValue(target)));
            io.Out.Write(result.GetValue(format) == "dot" ? StageGraphRenderer.Dot(graph) : StageGraphRenderer.Mermaid(graph));
            return ExitCodes.Ok;
        });
        return command;
    }
}
