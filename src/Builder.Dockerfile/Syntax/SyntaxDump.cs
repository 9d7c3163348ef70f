using System.Text;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// BuildKit's parser dump (<c>Node.Dump()</c>): one <c>(keyword ["--flags"] "args"...)</c> line per instruction,
/// Go-quoted. Used for conformance with BuildKit's own parser test files.
/// </summary>
public static class SyntaxDump
{
    public static string Dump(DockerfileSyntax syntax)
    {
        var sb = new StringBuilder();
        foreach (var instruction in syntax.Instructions)
        {
            sb.Append('(').Append(Dump(instruction)).Append(")\n");
        }
        return sb.ToString();
    }

    public static string Dump(InstructionSyntax instruction)
    {
        var sb = new StringBuilder(instruction.Keyword.ToLowerInvariant());
        if (instruction.Flags.Count > 0)
        {
            sb.Append(" [").AppendJoin(' ', instruction.Flags.Select(f => GoText.Quote(f.Text))).Append(']');
        }
        if (instruction.Trigger is { } trigger)
        {
            sb.Append(" (").Append(Dump(trigger)).Append(')');
        }
        foreach (var argument in instruction.Arguments)
        {
            sb.Append(' ').Append(GoText.Quote(argument.Value));
        }
        return GoText.TrimSpace(sb.ToString());
    }
}
