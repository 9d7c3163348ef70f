using Builder.Oci;

namespace Builder.Engine.Context;

/// <summary>An ADD source that is an http(s) URL: one file, downloaded with a client of its own.</summary>
internal static class HttpSource
{
    public static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>ADD's download: the file is named after the URL's last path segment; --checksum is verified before use.</summary>
    public static async Task<string> DownloadAsync(string url, string directory, string? checksum, CancellationToken cancellationToken)
    {
        // The URL and --checksum are the user's text: both are checked before anything is downloaded.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new BuildException($"ADD {url}: not a valid URL");
        }
        Digest? expected = null;
        if (checksum is not null)
        {
            expected = Digest.TryParse(checksum, out var parsed) ? parsed : throw new BuildException($"ADD --checksum={checksum}: not a digest (sha256:…)");
        }
        var name = Path.GetFileName(uri.AbsolutePath.TrimEnd('/'));
        if (string.IsNullOrEmpty(name))
        {
            name = "index.html";
        }
        var path = Path.Combine(directory, name);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BuildException($"ADD {url}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildException($"ADD {url}: no answer within {http.Timeout.TotalMinutes} minutes", e);
        }
        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            throw new BuildException($"ADD {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        await using (var file = File.Create(path))
        {
            await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        if (expected is { } digest)
        {
            await using var read = File.OpenRead(path);
            using var hash = digest.CreateHash();
            var buffer = new byte[1 << 16];
            int count;
            while ((count = await read.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, count);
            }
            var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
            if (actual != digest)
            {
                throw new BuildException($"ADD {url}: digest mismatch: --checksum says {digest}, the download is {actual}");
            }
        }
        if (response.Content.Headers.LastModified is { } modified)
        {
            File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }
        return name;
    }
}
