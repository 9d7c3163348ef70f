using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;

namespace Builder.Signing.Cms;

/// <summary>An RFC 3161 time-stamping authority reached over HTTP (RFC 3161 section 3.4: POST of a TimeStampReq).</summary>
public sealed class TimestampAuthority(HttpClient http, Uri url)
{
    private const string QueryMediaType = "application/timestamp-query";

    // A token is a few kilobytes; a reply far bigger is not one.
    private const int MaxReplySize = 1 << 20;

    public Uri Url { get; } = url;

    /// <summary>Asks for a token over <paramref name="request"/>, checked against it (imprint, nonce, status).</summary>
    public async Task<Rfc3161TimestampToken> TimestampAsync(Rfc3161TimestampRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new ByteArrayContent(request.Encode()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(QueryMediaType);
        byte[] reply;
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SigningException($"the timestamp authority {Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            if (response.Content.Headers.ContentLength > MaxReplySize)
            {
                throw new SigningException($"the timestamp authority {Url} sent {response.Content.Headers.ContentLength} bytes, not a timestamp reply");
            }
            reply = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SigningException($"the timestamp authority {Url} cannot be reached: {e.Message}", e);
        }
        try
        {
            return request.ProcessResponse(reply, out _);
        }
        catch (CryptographicException e)
        {
            throw new SigningException($"the timestamp authority {Url} did not grant a valid timestamp: {e.Message}", e);
        }
    }
}
