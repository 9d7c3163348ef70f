using System.Net;
using Builder.Oci;

namespace Builder.Registry.Tests.Clients;

public sealed class ManifestClientTests
{
    private static readonly Digest Manifest = Digest.Of("{}"u8);

    [Fact]
    public async Task Delete_sends_DELETE_by_digest_and_is_true_when_accepted()
    {
        var server = new FakeHttp(_ => new HttpResponseMessage(HttpStatusCode.Accepted));

        Assert.True(await server.Repository().Manifests.DeleteAsync(Manifest, CancellationToken.None));

        var request = Assert.Single(server.Requests);
        Assert.Equal(HttpMethod.Delete, request.Method);
        Assert.Equal($"/v2/app/manifests/{Manifest}", request.Uri.AbsolutePath);
    }

    [Fact]
    public async Task Delete_of_a_manifest_that_is_not_there_is_false()
    {
        var server = new FakeHttp(_ => new HttpResponseMessage(HttpStatusCode.NotFound));

        Assert.False(await server.Repository().Manifests.DeleteAsync(Manifest, CancellationToken.None));
    }

    [Fact]
    public async Task Delete_on_a_registry_with_deletes_disabled_says_so()
    {
        var server = new FakeHttp(_ => new HttpResponseMessage(HttpStatusCode.MethodNotAllowed)
        {
            Content = new StringContent("""{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}"""),
        });

        var error = await Assert.ThrowsAsync<RegistryException>(() => server.Repository().Manifests.DeleteAsync(Manifest, CancellationToken.None));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, error.StatusCode);
        Assert.Contains("deletes disabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_larger_than_allowed_is_refused_even_without_a_Content_Length()
    {
        var server = new FakeHttp(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[(4 << 20) + 1]) };
            response.Content.Headers.ContentLength = null;
            return response;
        });

        var error = await Assert.ThrowsAsync<RegistryException>(() => server.Repository().Manifests.GetAsync("latest", CancellationToken.None));

        Assert.Contains("more than the 4194304 bytes allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_within_the_bound_is_read_and_verified()
    {
        var bytes = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"""u8.ToArray();
        var server = new FakeHttp(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) };
            response.Content.Headers.ContentType = new(MediaTypes.OciManifest);
            response.Content.Headers.ContentLength = null;
            return response;
        });

        var manifest = await server.Repository().Manifests.GetAsync("latest", CancellationToken.None);

        Assert.Equal(bytes, manifest!.Bytes.ToArray());
        Assert.Equal(Digest.Of(bytes), manifest.Descriptor.Digest);
        Assert.Equal(MediaTypes.OciManifest, manifest.Descriptor.MediaType);
    }
}
