using System.Net;
using System.Text.Json;

namespace Builder.Registry;

/// <summary>
/// A registry operation failed for good. The message names the registry, the repository, the operation and the
/// HTTP status, plus the registry's own error text when it sent one.
/// </summary>
public sealed class RegistryException : Exception
{
    public RegistryException(string registry, string? repository, string operation, HttpStatusCode? status, string detail, Exception? inner = null)
        : base(Format(registry, repository, operation, status, detail), inner)
    {
        Registry = registry;
        Repository = repository;
        Operation = operation;
        StatusCode = status;
    }

    public string Registry { get; }

    public string? Repository { get; }

    public string Operation { get; }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>How long the registry asked us to wait (429/503 with Retry-After).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Worth trying again: the registry is overloaded or failing, not refusing.</summary>
    public bool IsTransient => StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int?)StatusCode >= 500;

    public bool IsUnauthorized => StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    /// <summary>The exception for an unexpected response; reads the registry's error document when there is one.</summary>
    public static async Task<RegistryException> FromResponseAsync(
        string registry, string? repository, string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var detail = "";
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            detail = ErrorText(body);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The status says enough when the body cannot be read.
        }
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        return new RegistryException(registry, repository, operation, response.StatusCode, detail) { RetryAfter = retryAfter };
    }

    private static string Format(string registry, string? repository, string operation, HttpStatusCode? status, string detail)
    {
        var where = repository is null ? registry : $"{registry}/{repository}";
        var what = status is { } s ? $"{(int)s} {ReasonPhrase(s)}" : "";
        var parts = new[] { what, detail }.Where(p => p.Length > 0);
        return $"{operation} {where}: {string.Join(": ", parts)}";
    }

    private static string ReasonPhrase(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "unauthorized",
        HttpStatusCode.Forbidden => "forbidden",
        HttpStatusCode.NotFound => "not found",
        HttpStatusCode.TooManyRequests => "too many requests",
        HttpStatusCode.ServiceUnavailable => "service unavailable",
        _ => status.ToString(),
    };

    // The distribution spec's {"errors":[{"code","message","detail"}]}; anything else is shown trimmed.
    private static string ErrorText(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "";
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                return string.Join("; ", errors.EnumerateArray().Select(e =>
                    e.TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } message ? message
                    : e.TryGetProperty("code", out var c) ? c.GetString() ?? "" : ""));
            }
        }
        catch (JsonException)
        {
        }
        var text = body.Trim().ReplaceLineEndings(" ");
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}
