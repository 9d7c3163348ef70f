using System.Text;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// An instruction's text after continuation lines are joined, remembering where each piece came from so that
/// any offset in the joined text maps back to a physical line and column.
/// </summary>
internal sealed class LogicalLine
{
    private readonly StringBuilder _text = new();
    private readonly List<(int Offset, int Line, int Column)> _segments = [];

    public int Length => _text.Length;

    public void Append(string piece, int line, int column)
    {
        if (piece.Length > 0 || _segments.Count == 0)
        {
            _segments.Add((_text.Length, line, column));
        }
        _text.Append(piece);
    }

    public override string ToString() => _text.ToString();

    /// <summary>The position of the character at <paramref name="offset"/>.</summary>
    public TextPosition PositionAt(int offset)
    {
        var index = _segments.Count - 1;
        while (index > 0 && _segments[index].Offset > offset)
        {
            index--;
        }
        var (start, line, column) = _segments[index];
        return new TextPosition(line, column + Math.Max(0, offset - start));
    }

    /// <summary>The span of <paramref name="length"/> characters at <paramref name="offset"/>; End is exclusive.</summary>
    public TextSpan SpanOf(int offset, int length)
    {
        var start = PositionAt(offset);
        if (length <= 0)
        {
            return new TextSpan(start, start);
        }
        var last = PositionAt(offset + length - 1);
        return new TextSpan(start, last with { Column = last.Column + 1 });
    }
}
