using System.Net;
using Builder.Oci.Content;

namespace Builder.Registry.Tests;

public sealed class RegistryRetryTests
{
    private static readonly RegistryOptions Fast = new() { MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(1) };

    [Fact]
    public async Task Transient_failures_are_retried_until_the_operation_succeeds()
    {
        var attempts = 0;
        var retry = new RegistryRetry(Fast);

        var result = await retry.ExecuteAsync(_ => ++attempts switch
        {
            1 => throw new HttpRequestException("connection reset"),
            2 => throw new RegistryException("r", "app", "get", HttpStatusCode.ServiceUnavailable, ""),
            3 => throw new RegistryException("r", "app", "get", HttpStatusCode.TooManyRequests, "") { RetryAfter = TimeSpan.FromMilliseconds(5) },
            _ => ValueTask.FromResult("done"),
        }, CancellationToken.None);

        Assert.Equal("done", result);
        Assert.Equal(4, attempts);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_failure_is_reported()
    {
        var attempts = 0;
        var retry = new RegistryRetry(Fast);

        var error = await Assert.ThrowsAsync<RegistryException>(() => retry.ExecuteAsync<int>(_ =>
        {
            attempts++;
            throw new RegistryException("r", "app", "get manifest 1 from", HttpStatusCode.BadGateway, "");
        }, CancellationToken.None).AsTask());

        Assert.Equal(4, attempts);
        Assert.Equal("get manifest 1 from r/app: 502 BadGateway", error.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task Refusals_are_not_retried(HttpStatusCode status)
    {
        var attempts = 0;
        var retry = new RegistryRetry(Fast);

        await Assert.ThrowsAsync<RegistryException>(() => retry.ExecuteAsync<int>(_ =>
        {
            attempts++;
            throw new RegistryException("r", "app", "get", status, "");
        }, CancellationToken.None).AsTask());

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Digest_mismatches_are_not_retried()
    {
        var attempts = 0;
        var retry = new RegistryRetry(Fast);

        await Assert.ThrowsAsync<ContentVerificationException>(() => retry.ExecuteAsync<int>(_ =>
        {
            attempts++;
            throw new ContentVerificationException("content digest mismatch");
        }, CancellationToken.None).AsTask());

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Registry_error_documents_become_the_message()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("""{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"""),
        };

        var error = await RegistryException.FromResponseAsync("127.0.0.1:5000", "app", "push", response, CancellationToken.None);

        Assert.Equal("push 127.0.0.1:5000/app: 401 unauthorized: authentication required", error.Message);
    }
}
