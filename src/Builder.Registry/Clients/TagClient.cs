using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Builder.Registry.Clients;

/// <summary>The tag listing of the distribution API.</summary>
public interface ITagClient
{
    /// <summary>
    /// Every tag of the repository, fetched page by page (<c>?n=</c>, then the registry's <c>Link: rel="next"</c>);
    /// none when the repository does not exist.
    /// </summary>
    /// <exception cref="RegistryException">The registry failed, or sent a list that is not one (bad JSON, an invalid tag, a page too large, a link elsewhere).</exception>
    IAsyncEnumerable<string> ListAsync(CancellationToken cancellationToken);
}

internal sealed partial class TagClient(RegistryRepository repository) : ITagClient
{
    /// <summary>Tags asked for per page: the largest page common registries (distribution, GHCR, ECR) serve.</summary>
    internal const int PageSize = 1000;

    // A page of 1000 tags of 128 characters is ~140 KiB; anything far larger is not a tag list.
    private const int MaxPageSize = 4 << 20;

    // A bound on a registry whose Link headers never end: ten million tags.
    private const int MaxPages = 10_000;

    public async IAsyncEnumerable<string> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Uri? page = repository.Api($"tags/list?n={PageSize}");
        var seen = new HashSet<Uri>();
        while (page is not null)
        {
            if (!seen.Add(page) || seen.Count > MaxPages)
            {
                throw Invalid(page, $"its pagination does not end (at {page.PathAndQuery})");
            }
            var (tags, next) = await ListPageAsync(page, cancellationToken).ConfigureAwait(false);
            foreach (var tag in tags)
            {
                yield return tag;
            }
            page = next;
        }
    }

    private Task<(IReadOnlyList<string> Tags, Uri? Next)> ListPageAsync(Uri page, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Get, page);
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                // NAME_UNKNOWN: a repository nobody pushed to yet has no tags.
                return ((IReadOnlyList<string>)[], (Uri?)null);
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await repository.FailureAsync("list tags of", response, ct).ConfigureAwait(false);
            }
            var body = await repository.ReadSmallBodyAsync("list tags of", response, MaxPageSize, ct).ConfigureAwait(false);
            return (ParseTags(page, body), NextPage(page, response));
        }, cancellationToken).AsTask();

    /// <summary><c>{"name":"…","tags":["…"]}</c>; <c>tags</c> may be null or absent when there are none.</summary>
    private IReadOnlyList<string> ParseTags(Uri page, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(page, "its tag list is not a JSON object");
            }
            if (!document.RootElement.TryGetProperty("tags", out var tags) || tags.ValueKind == JsonValueKind.Null)
            {
                return [];
            }
            if (tags.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(page, "its tag list's \"tags\" is not an array");
            }
            var result = new List<string>(tags.GetArrayLength());
            foreach (var tag in tags.EnumerateArray())
            {
                // Callers put listed tags into URLs: only what the tag grammar allows gets through.
                result.Add(tag.ValueKind == JsonValueKind.String && tag.GetString() is { } text && TagGrammar().IsMatch(text)
                    ? text
                    : throw Invalid(page, $"it listed an invalid tag ({Shorten(tag.GetRawText())})"));
            }
            return result;
        }
        catch (JsonException e)
        {
            throw Invalid(page, $"its tag list is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The <c>rel="next"</c> target of the Link header, on this registry only.</summary>
    private Uri? NextPage(Uri page, HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }
        foreach (Match link in LinkNext().Matches(string.Join(',', values)))
        {
            if (!Uri.TryCreate(page, link.Groups["target"].Value, out var next)
                || Uri.Compare(next, page, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                // The auth handler would not follow it anyway; a list continued elsewhere is not this repository's.
                throw Invalid(page, $"its next page link points elsewhere ({Shorten(link.Groups["target"].Value)})");
            }
            return next;
        }
        return null;
    }

    private RegistryException Invalid(Uri page, string detail, Exception? inner = null) =>
        new(repository.Registry, repository.Name, "list tags of", null, $"the registry's answer to {page.PathAndQuery} is unusable: {detail}", inner);

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    // The distribution spec's tag grammar; ImageReference keeps its own private copy.
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z")]
    private static partial Regex TagGrammar();

    // RFC 8288's <target>; rel="next" (rel may be unquoted); [^<]* keeps the match within one link of a list.
    [GeneratedRegex("""<(?<target>[^>]*)>[^<]*?;\s*rel\s*=\s*"?next\b""", RegexOptions.IgnoreCase)]
    private static partial Regex LinkNext();
}
