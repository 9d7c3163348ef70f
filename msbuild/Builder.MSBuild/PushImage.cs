using Builder.Oci;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Signing.Referrers;
using Microsoft.Build.Framework;

namespace Builder.MSBuild;

/// <summary>Pushes images from the local store to their registries (cross-repository mounts where it can).</summary>
public sealed class PushImage : AsyncTask
{
    /// <summary>Full image names (BuildImage's Images output).</summary>
    [Required]
    public ITaskItem[] Images { get; set; } = [];

    protected override async Task<bool> ExecuteAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await PushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException e)
        {
            Log.LogError(e.Message);
            return false;
        }
    }

    private async Task<bool> PushAsync(CancellationToken cancellationToken)
    {
        using var host = await ImageBuildHost.OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var item in Images)
        {
            var name = ImageReference.Parse(item.ItemSpec);
            var target = await host.Store.GetAsync(name, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{name} is not in the local store");
            var mounts = await MountSources.FindAsync(host.Store, host.Store, name, cancellationToken).ConfigureAwait(false);
            var compressed = await new ImageCompression(host.Store).CompressAsync(target, cancellationToken).ConfigureAwait(false);
            var pushed = await new ImagePusher(host.Registries, host.Store).PushAsync(compressed, name, mounts, null, cancellationToken).ConfigureAwait(false);
            Log.LogMessage(MessageImportance.High, $"Pushed {name}: digest: {pushed.Manifest.Digest} size: {pushed.Manifest.Size}");
            // Signatures (and any other referrers) go along, after the image they refer to.
            foreach (var referrer in await ReferrerPush.PushAsync(host.Registries, host.Store, pushed.Manifest, name, null, cancellationToken).ConfigureAwait(false))
            {
                Log.LogMessage(MessageImportance.High, $"Pushed {referrer.ArtifactType} {referrer.Digest} for {name}");
            }
        }
        return true;
    }
}
