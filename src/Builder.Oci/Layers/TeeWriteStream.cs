namespace Builder.Oci.Layers;

/// <summary>Writes go to both streams, each in order; disposing closes neither (their owners do).</summary>
internal sealed class TeeWriteStream(Stream first, Stream secondStream) : WriteOnlyStream
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        first.Write(buffer);
        secondStream.Write(buffer);
        Written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Both at once: the second (an extraction reading the tar, say) need not wait for the first (the store's
        // hash and write) to finish with the buffer; neither changes it.
        var second = Task.Run(async () => await secondStream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false), cancellationToken);
        try
        {
            await first.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Never return with the buffer still being read: the caller may reuse it.
            await second.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await second.ConfigureAwait(false);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        first.Flush();
        secondStream.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await first.FlushAsync(cancellationToken).ConfigureAwait(false);
        await secondStream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
