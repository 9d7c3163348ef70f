using System.Text;
using Builder.Dockerfile.Graph;

namespace Builder.Cli.Rendering;

/// <summary>Draws a stage graph as Mermaid or Graphviz: stages, base images, and the edges between them.</summary>
internal static class StageGraphRenderer
{
    private sealed record Edge(string From, string To, string Label);

    public static string Mermaid(StageGraph graph)
    {
        var (nodes, edges) = Collect(graph);
        var sb = new StringBuilder("flowchart TD\n");
        foreach (var (id, label, kind) in nodes)
        {
            var shape = kind == "image" ? $"[(\"{Escape(label)}\")]" : $"[\"{Escape(label)}\"]";
            sb.Append("  ").Append(id).Append(shape).Append('\n');
        }
        foreach (var edge in edges)
        {
            sb.Append($"  {edge.From} -->|{Escape(edge.Label)}| {edge.To}\n");
        }
        foreach (var (id, _, kind) in nodes.Where(n => n.Kind == "unused"))
        {
            sb.Append($"  style {id} stroke-dasharray: 5 5\n");
        }
        return sb.ToString();
    }

    public static string Dot(StageGraph graph)
    {
        var (nodes, edges) = Collect(graph);
        var sb = new StringBuilder("digraph stages {\n  rankdir=TB;\n");
        foreach (var (id, label, kind) in nodes)
        {
            var style = kind switch { "image" => "shape=cylinder", "unused" => "shape=box, style=dashed", _ => "shape=box" };
            sb.Append($"  {id} [label=\"{Escape(label)}\", {style}];\n");
        }
        foreach (var edge in edges)
        {
            sb.Append($"  {edge.From} -> {edge.To} [label=\"{Escape(edge.Label)}\"];\n");
        }
        return sb.Append("}\n").ToString();
    }

    private static (List<(string Id, string Label, string Kind)> Nodes, List<Edge> Edges) Collect(StageGraph graph)
    {
        var nodes = new List<(string, string, string)>();
        var edges = new List<Edge>();
        var images = new Dictionary<string, string>();
        string ImageNode(string reference)
        {
            if (!images.TryGetValue(reference, out var id))
            {
                images[reference] = id = $"image{images.Count}";
                nodes.Add((id, reference, "image"));
            }
            return id;
        }

        var reachable = graph.Reachable.ToHashSet();
        foreach (var node in graph.Stages)
        {
            var id = $"stage{node.Stage.Index}";
            var label = node.Stage.Name is { } name ? $"{name} (stage {node.Stage.Index})" : $"stage {node.Stage.Index}";
            if (node.Stage.Index == graph.Target)
            {
                label += " target";
            }
            nodes.Add((id, label, reachable.Contains(node.Stage.Index) ? "stage" : "unused"));
            switch (node.Base)
            {
                case BaseStage b:
                    edges.Add(new Edge($"stage{b.StageIndex}", id, "FROM"));
                    break;
                case BaseImage image:
                    edges.Add(new Edge(ImageNode(image.Reference), id, "FROM"));
                    break;
            }
            foreach (var source in node.Sources)
            {
                var from = source.StageIndex is { } index ? $"stage{index}" : ImageNode(source.Image!);
                edges.Add(new Edge(from, id, source.Instruction.Name == "RUN" ? "RUN --mount" : "COPY --from"));
            }
        }
        return (nodes, edges);
    }

    private static string Escape(string text) => text.Replace("\"", "'", StringComparison.Ordinal);
}
