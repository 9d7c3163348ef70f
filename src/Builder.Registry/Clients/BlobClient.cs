using System.Net;
using System.Net.Http.Headers;
using Builder.Oci;

namespace Builder.Registry.Clients;

/// <summary>The blob half of the distribution API.</summary>
public interface IBlobClient
{
    /// <summary>The blob's size when the repository has it, else null.</summary>
    Task<long?> ExistsAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>
    /// The blob's bytes from <paramref name="offset"/> on (a Range request when the offset is not 0).
    /// </summary>
    /// <exception cref="RangeNotSatisfiedException">The registry answered a ranged request with the whole blob.</exception>
    Task<Stream> OpenReadAsync(Digest digest, long offset, CancellationToken cancellationToken);

    /// <summary>Mounts the blob from another repository of the same registry; false when the registry did not.</summary>
    Task<bool> TryMountAsync(Digest digest, string fromRepository, CancellationToken cancellationToken);

    /// <summary>Uploads the blob (monolithic PUT, or PATCH chunks when the registry refuses that); the registry checks the digest.</summary>
    Task PushAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken);
}

/// <summary>A ranged read came back whole: the registry does not resume, so the caller must start over.</summary>
public sealed class RangeNotSatisfiedException(Digest digest) : IOException($"the registry does not resume downloads of {digest}");

internal sealed class BlobClient(RegistryRepository repository) : IBlobClient
{
    public Task<long?> ExistsAsync(Digest digest, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Head, repository.Api($"blobs/{digest}"));
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.OK => response.Content.Headers.ContentLength ?? 0,
                HttpStatusCode.NotFound => (long?)null,
                _ => throw await repository.FailureAsync($"check blob {digest} in", response, ct).ConfigureAwait(false),
            };
        }, cancellationToken).AsTask();

    public Task<Stream> OpenReadAsync(Digest digest, long offset, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Get, repository.Api($"blobs/{digest}"));
            if (offset > 0)
            {
                request.Headers.Range = new RangeHeaderValue(offset, null);
            }
            var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                using (response)
                {
                    throw await repository.FailureAsync($"fetch blob {digest} from", response, ct).ConfigureAwait(false);
                }
            }
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                response.Dispose();
                throw new RangeNotSatisfiedException(digest);
            }
            return (Stream)new ResponseStream(response, await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        }, cancellationToken).AsTask();

    public Task<bool> TryMountAsync(Digest digest, string fromRepository, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            var uri = repository.Api($"blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}");
            // A mount needs pull rights on the source repository too.
            using var request = repository.Request(HttpMethod.Post, uri, [.. repository.Scopes, Auth.RegistryScope.Repository(fromRepository, push: false)]);
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            switch (response.StatusCode)
            {
                case HttpStatusCode.Created:
                    return true;
                case HttpStatusCode.Accepted:
                    // Not mounted; the registry opened an upload session instead, which we do not need.
                    await CancelUploadAsync(UploadLocation(response, uri), ct).ConfigureAwait(false);
                    return false;
                case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound:
                    return false;
                default:
                    throw await repository.FailureAsync($"mount blob {digest} from {fromRepository} into", response, ct).ConfigureAwait(false);
            }
        }, cancellationToken).AsTask();

    public Task PushAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            // An earlier attempt may have finished on the registry even though its answer was lost.
            if (await ExistsOnceAsync(blob.Digest, ct).ConfigureAwait(false))
            {
                return true;
            }
            var chunked = repository.Connection.Options.ChunkedUploads;
            if (!chunked && await PutMonolithicAsync(blob, open, ct).ConfigureAwait(false))
            {
                return true;
            }
            await PutChunkedAsync(blob, open, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).AsTask();

    private async Task<bool> ExistsOnceAsync(Digest digest, CancellationToken cancellationToken)
    {
        using var request = repository.Request(HttpMethod.Head, repository.Api($"blobs/{digest}"));
        using var response = await repository.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await repository.FailureAsync($"check blob {digest} in", response, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>POST then one PUT with the whole body. False when the registry refuses monolithic uploads.</summary>
    private async Task<bool> PutMonolithicAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var location = await StartUploadAsync(blob.Digest, cancellationToken).ConfigureAwait(false);
        await using var content = await open(cancellationToken).ConfigureAwait(false);
        using var request = repository.Request(HttpMethod.Put, WithDigest(location, blob.Digest));
        request.Content = new StreamContent(content);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentLength = blob.Size;
        using var response = await repository.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created)
        {
            return true;
        }
        if (response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            await CancelUploadAsync(location, cancellationToken).ConfigureAwait(false);
            return false;
        }
        throw await repository.FailureAsync($"upload blob {blob.Digest} to", response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST, PATCH chunks with Content-Range, then PUT with the digest.</summary>
    private async Task PutChunkedAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        var location = await StartUploadAsync(blob.Digest, cancellationToken).ConfigureAwait(false);
        await using var content = await open(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Min(repository.Connection.Options.ChunkSize, Math.Max(blob.Size, 1))];
        long sent = 0;
        while (sent < blob.Size)
        {
            var length = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (length == 0)
            {
                throw new InvalidDataException($"blob {blob.Digest} ended after {sent} of {blob.Size} bytes");
            }
            using var patch = repository.Request(HttpMethod.Patch, location);
            patch.Content = new ByteArrayContent(buffer, 0, length);
            patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            patch.Content.Headers.TryAddWithoutValidation("Content-Range", $"{sent}-{sent + length - 1}");
            using var response = await repository.SendAsync(patch, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw await repository.FailureAsync($"upload a chunk of blob {blob.Digest} to", response, cancellationToken).ConfigureAwait(false);
            }
            location = UploadLocation(response, location);
            sent += length;
        }
        using var put = repository.Request(HttpMethod.Put, WithDigest(location, blob.Digest));
        put.Content = new ByteArrayContent([]);
        using var done = await repository.SendAsync(put, cancellationToken).ConfigureAwait(false);
        if (done.StatusCode != HttpStatusCode.Created)
        {
            throw await repository.FailureAsync($"finish the upload of blob {blob.Digest} to", done, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Uri> StartUploadAsync(Digest digest, CancellationToken cancellationToken)
    {
        var uri = repository.Api("blobs/uploads/");
        using var request = repository.Request(HttpMethod.Post, uri);
        using var response = await repository.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw await repository.FailureAsync($"start uploading blob {digest} to", response, cancellationToken).ConfigureAwait(false);
        }
        return UploadLocation(response, uri);
    }

    private async Task CancelUploadAsync(Uri location, CancellationToken cancellationToken)
    {
        using var request = repository.Request(HttpMethod.Delete, location);
        using var response = await repository.SendAsync(request, cancellationToken).ConfigureAwait(false);
        // Best effort: an abandoned session expires on the registry anyway.
    }

    private Uri UploadLocation(HttpResponseMessage response, Uri requestUri) =>
        response.Headers.Location is { } location
            ? new Uri(requestUri, location)
            : throw new RegistryException(repository.Registry, repository.Name, "upload to", response.StatusCode, "the registry sent no upload Location");

    private static Uri WithDigest(Uri location, Digest digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length > 0 ? query + "&" : "") + "digest=" + Uri.EscapeDataString(digest.ToString());
        return builder.Uri;
    }
}

/// <summary>A response body that disposes its response when it is disposed.</summary>
internal sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            response.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Small blobs (configs, signatures, documents) read whole from a registry.</summary>
public static class BlobClientExtensions
{
    /// <summary>
    /// The blob's bytes, read whole and checked: exactly its size, hashing to its digest. An <see cref="InvalidDataException"/>
    /// says when they do not; the caller bounds the size it accepts before asking.
    /// </summary>
    public static async Task<byte[]> ReadVerifiedAsync(this IBlobClient blobs, Descriptor blob, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenReadAsync(blob.Digest, 0, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[blob.Size];
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var extra = read == buffer.Length ? await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) : 0;
        return read == buffer.Length && extra == 0 && Digest.Of(buffer, blob.Digest.Algorithm) == blob.Digest
            ? buffer
            : throw new InvalidDataException($"blob {blob.Digest} does not match its digest and size");
    }
}
