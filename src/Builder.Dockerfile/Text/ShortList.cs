namespace Builder.Dockerfile.Text;

/// <summary>Lists user-controlled names in a message without letting a huge input make a huge message.</summary>
public static class ShortList
{
    /// <summary>At most <paramref name="max"/> items joined by <paramref name="separator"/>, then "and N more".</summary>
    public static string Join(string separator, IEnumerable<string> items, int max = 10)
    {
        var all = items.ToList();
        var shown = string.Join(separator, all.Take(max));
        return all.Count > max ? $"{shown}{separator}and {all.Count - max} more" : shown;
    }
}
