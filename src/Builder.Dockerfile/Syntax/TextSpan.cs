namespace Builder.Dockerfile.Syntax;

/// <summary>A 1-based line and column in the Dockerfile text (columns count UTF-16 code units).</summary>
public readonly record struct TextPosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>A source range; <see cref="End"/> is exclusive (the position just after the last character).</summary>
public readonly record struct TextSpan(TextPosition Start, TextPosition End)
{
    public static TextSpan At(int line, int column) => new(new(line, column), new(line, column));

    public override string ToString() => Start.ToString();
}
