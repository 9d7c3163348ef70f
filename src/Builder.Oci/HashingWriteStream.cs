using System.Security.Cryptography;

namespace Builder.Oci;

/// <summary>
/// A write-only stream that hashes (unless <c>hash</c> is null) and counts what passes through to <c>inner</c>. Its
/// owner keeps <c>inner</c> and the hash: disposing this stream closes neither, so it cannot end a blob early.
/// </summary>
internal sealed class HashingWriteStream(Stream inner, IncrementalHash? hash) : WriteOnlyStream
{
    private bool _discard;

    /// <summary>Drops further writes: once the output failed, nothing more reaches the destination.</summary>
    public void Discard() => _discard = true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_discard)
        {
            return;
        }
        inner.Write(buffer);
        hash?.AppendData(buffer);
        Written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_discard)
        {
            return;
        }
        // Hashed while the write runs: a file's asynchronous write is a pwrite on a thread-pool thread, so the two
        // take two cores (both only read the buffer).
        var write = inner.WriteAsync(buffer, cancellationToken);
        hash?.AppendData(buffer.Span);
        await write.ConfigureAwait(false);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        if (!_discard)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _discard ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
    }
}
