using System.Text;
using Builder.Dockerfile.Text;

namespace Builder.Dockerfile.Shell;

/// <summary>
/// Collects the words of an expansion: unquoted white space (typed or coming from a variable) ends a word,
/// while quoted text and escaped characters never split. An empty quoted string alone does not make a word,
/// as in BuildKit.
/// </summary>
internal sealed class WordSplitter
{
    private readonly StringBuilder current = new();
    private readonly List<string> words = [];
    private bool inWord;

    public void AddUnquoted(int codePoint)
    {
        if (!CodePoints.IsWhiteSpace(codePoint))
        {
            AddVerbatim(codePoint);
        }
        else if (inWord && current.Length > 0)
        {
            Flush();
        }
    }

    public void AddUnquoted(string text)
    {
        foreach (var codePoint in CodePoints.Decode(text))
        {
            AddUnquoted(codePoint);
        }
    }

    public void AddVerbatim(int codePoint)
    {
        CodePoints.Append(current, codePoint);
        inWord = true;
    }

    public void AddVerbatim(string text)
    {
        current.Append(text);
        inWord = true;
    }

    public List<string> Finish()
    {
        if (current.Length > 0)
        {
            Flush();
        }

        return words;
    }

    private void Flush()
    {
        words.Add(current.ToString());
        current.Clear();
        inWord = false;
    }
}
