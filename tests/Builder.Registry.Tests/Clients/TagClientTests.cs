using System.Net;
using System.Text;

namespace Builder.Registry.Tests.Clients;

public sealed class TagClientTests
{
    private static HttpResponseMessage Json(string body, string? link = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (link is not null)
        {
            response.Headers.TryAddWithoutValidation("Link", link);
        }
        return response;
    }

    private static async Task<List<string>> ListAsync(FakeHttp server)
    {
        var tags = new List<string>();
        await foreach (var tag in server.Repository().Tags.ListAsync(CancellationToken.None))
        {
            tags.Add(tag);
        }
        return tags;
    }

    [Fact]
    public async Task Pages_are_followed_through_the_Link_header()
    {
        var server = new FakeHttp(request => request.RequestUri!.Query.Contains("last=b", StringComparison.Ordinal)
            ? Json("""{"name":"app","tags":["c"]}""")
            : Json("""{"name":"app","tags":["a","b"]}""", """</v2/app/tags/list?n=1000&last=b>; rel="next" """));

        var tags = await ListAsync(server);

        Assert.Equal(["a", "b", "c"], tags);
        Assert.Equal(["/v2/app/tags/list?n=1000", "/v2/app/tags/list?n=1000&last=b"], server.Requests.Select(r => r.Uri.PathAndQuery));
    }

    [Fact]
    public async Task A_repository_nobody_pushed_to_has_no_tags()
    {
        var server = new FakeHttp(_ => new HttpResponseMessage(HttpStatusCode.NotFound)
        {
            Content = new StringContent("""{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"""),
        });

        Assert.Empty(await ListAsync(server));
    }

    [Theory]
    [InlineData("""{"name":"app","tags":null}""")]
    [InlineData("""{"name":"app"}""")]
    public async Task A_list_without_tags_is_empty(string body) =>
        Assert.Empty(await ListAsync(new FakeHttp(_ => Json(body))));

    [Theory]
    [InlineData("""not json""", "not valid JSON")]
    [InlineData("""["a"]""", "not a JSON object")]
    [InlineData("""{"tags":"a"}""", "not an array")]
    [InlineData("""{"tags":["../../blobs/x"]}""", "invalid tag")]
    [InlineData("""{"tags":[7]}""", "invalid tag")]
    public async Task A_list_that_is_not_one_is_a_registry_error(string body, string reason)
    {
        var error = await Assert.ThrowsAsync<RegistryException>(() => ListAsync(new FakeHttp(_ => Json(body))));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("list tags of registry.example/app", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_next_page_on_another_host_is_refused()
    {
        var server = new FakeHttp(_ => Json("""{"tags":["a"]}""", """<https://elsewhere.example/v2/app/tags/list?last=a>; rel="next" """));

        var error = await Assert.ThrowsAsync<RegistryException>(() => ListAsync(server));

        Assert.Contains("points elsewhere", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Pagination_that_loops_is_refused()
    {
        var server = new FakeHttp(_ => Json("""{"tags":["a"]}""", """</v2/app/tags/list?n=1000>; rel="next" """));

        var error = await Assert.ThrowsAsync<RegistryException>(() => ListAsync(server));

        Assert.Contains("does not end", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_page_is_refused_even_without_a_Content_Length()
    {
        var huge = "{\"tags\":[" + string.Join(',', Enumerable.Repeat("\"" + new string('a', 120) + "\"", 40_000)) + "]}";
        var server = new FakeHttp(_ =>
        {
            var response = Json(huge);
            response.Content.Headers.ContentLength = null; // as a chunked response has none
            return response;
        });

        var error = await Assert.ThrowsAsync<RegistryException>(() => ListAsync(server));

        Assert.Contains("more than the 4194304 bytes allowed", error.Message, StringComparison.Ordinal);
    }
}
