namespace Builder.Lint;

/// <summary>Where a <c># hadolint … ignore=</c> pragma applies.</summary>
public enum PragmaScope
{
    /// <summary><c># hadolint ignore=…</c>: the instruction on the next line.</summary>
    Line,

    /// <summary><c># hadolint stage ignore=…</c>: the stage whose FROM is on the next line.</summary>
    Stage,

    /// <summary><c># hadolint global ignore=…</c>: the whole Dockerfile.</summary>
    Global,
}

/// <summary>
/// An ignore pragma as hadolint reads one from a comment: <c>hadolint [global|stage] ignore = ID[, ID…] [# note]</c>,
/// blanks allowed around <c>=</c> and the commas, ids made of <c>D L S C</c> and digits. Anything else is not a pragma,
/// and a pragma with one malformed id ignores nothing.
/// </summary>
public sealed record HadolintPragma(PragmaScope Scope, IReadOnlyList<string> Ids)
{
    /// <summary>Reads the text of a comment (what follows its <c>#</c>); null when it is not an ignore pragma.</summary>
    public static HadolintPragma? Parse(string comment)
    {
        var reader = new Reader(comment);
        reader.Blanks();
        if (!reader.Word("hadolint") || reader.Blanks() == 0)
        {
            return null;
        }
        var scope = PragmaScope.Line;
        if (reader.Word("global"))
        {
            scope = PragmaScope.Global;
        }
        else if (reader.Word("stage"))
        {
            scope = PragmaScope.Stage;
        }
        if (scope != PragmaScope.Line && reader.Blanks() == 0)
        {
            return null;
        }
        if (!reader.Word("ignore"))
        {
            return null;
        }
        reader.Blanks();
        if (!reader.Word("="))
        {
            return null;
        }
        var ids = new List<string>();
        while (true)
        {
            reader.Blanks();
            var id = reader.While(c => c is 'D' or 'L' or 'S' or 'C' or (>= '0' and <= '9'));
            if (id.Length == 0)
            {
                return null;
            }
            ids.Add(id);
            reader.Blanks();
            if (reader.AtEnd || reader.Word("#"))
            {
                return new HadolintPragma(scope, ids);
            }
            if (!reader.Word(","))
            {
                return null;
            }
        }
    }

    private sealed class Reader(string text)
    {
        private int _position;

        public bool AtEnd => _position >= text.Length;

        public int Blanks() => While(c => c is ' ' or '\t').Length;

        public bool Word(string word)
        {
            if (string.CompareOrdinal(text, _position, word, 0, word.Length) != 0)
            {
                return false;
            }
            _position += word.Length;
            return true;
        }

        public string While(Func<char, bool> accept)
        {
            var start = _position;
            while (_position < text.Length && accept(text[_position]))
            {
                _position++;
            }
            return text[start.._position];
        }
    }
}
