using Builder.Oci.Images;

namespace Builder.Engine;

/// <summary>
/// The times of an image's history entries as BuildKit's exporter fills them (normalizeLayersAndHistory): entries the
/// build left without one (its config steps, and layers from another machine's cache) take the time of the first new
/// layer after a missing one, later the latest time seen since; an image with no time at all (scratch and config
/// instructions only) keeps none, as BuildKit writes it. Every time so derives from when layers were made, never from
/// when the image is written.
/// </summary>
public static class HistoryTimes
{
    public static IReadOnlyList<HistoryEntry> Fill(IReadOnlyList<HistoryEntry> history)
    {
        Timestamp? current = null;
        var missingSeen = false;
        foreach (var entry in history)
        {
            if (entry.Created is { } created)
            {
                current = created;
                if (missingSeen)
                {
                    break;
                }
            }
            else
            {
                missingSeen = true;
            }
        }
        missingSeen = false;
        var filled = new List<HistoryEntry>(history.Count);
        foreach (var entry in history)
        {
            if (entry.Created is { } created)
            {
                current = missingSeen ? created : current;
                filled.Add(entry);
            }
            else
            {
                missingSeen = true;
                filled.Add(entry with { Created = current });
            }
        }
        return filled;
    }
}
