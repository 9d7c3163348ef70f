namespace Builder.Oci.Layers;

/// <summary>Writes go to both streams, in order; disposing closes neither (their owners do).</summary>
internal sealed class TeeWriteStream(Stream first, Stream second) : WriteOnlyStream
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        first.Write(buffer);
        second.Write(buffer);
        Written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await first.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        await second.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        first.Flush();
        second.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await first.FlushAsync(cancellationToken).ConfigureAwait(false);
        await second.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
