using Sprache;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// Sprache input over a string that can also jump ahead by many characters at once (see <c>Grammar.Run</c>).
/// Line and column are not tracked: spans come from offsets into the logical line.
/// </summary>
internal sealed class SourceInput(string source, int position = 0) : IInput
{
    private Dictionary<object, object>? _memos;

    public string Source => source;

    public int Position => position;

    public char Current => source[position];

    public bool AtEnd => position >= source.Length;

    public int Line => 1;

    public int Column => position + 1;

    public IDictionary<object, object> Memos => _memos ??= [];

    public IInput Advance() =>
        AtEnd ? throw new InvalidOperationException("The input is already at the end of the source.") : new SourceInput(source, position + 1);

    public SourceInput AdvanceTo(int end) => end == position ? this : new SourceInput(source, end);

    public bool Equals(IInput? other) => other is not null && ReferenceEquals(other.Source, source) && other.Position == position;

    public override bool Equals(object? obj) => obj is IInput other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(source, position);
}
