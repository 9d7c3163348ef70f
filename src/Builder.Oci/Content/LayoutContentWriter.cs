using System.Security.Cryptography;
using Builder.Posix;

namespace Builder.Oci.Content;

/// <summary>
/// Writes one blob to a temp file in the layout's ingest directory. The temp file is held with a shared lock from
/// creation until after the rename, which is how <see cref="OciLayoutStore.PruneAsync"/> (taking an exclusive lock)
/// tells a live writer's file from one a crashed process left behind.
/// </summary>
internal sealed class LayoutContentWriter : IContentWriter
{
    private readonly OciLayoutStore _store;
    private readonly string _algorithm;
    private readonly string _tempPath;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash;
    private readonly Stream _output;
    private readonly HashingWriteStream _stream;
    private State _state;

    private LayoutContentWriter(OciLayoutStore store, string algorithm, string tempPath, FileStream file)
    {
        _store = store;
        _algorithm = algorithm;
        _tempPath = tempPath;
        _file = file;
        _hash = Digest.CreateHash(algorithm);
        _output = (Stream?)DirectWriteStream.TryCreate(file) ?? new WritebackStream(file);
        _stream = new HashingWriteStream(_output, _hash);
    }

    private enum State
    {
        Open,
        Committed,
        Failed,
        Disposed,
    }

    public Stream Stream => _state == State.Open ? _stream : throw new InvalidOperationException("the content writer is no longer open");

    public long Written => _stream.Written;

    internal static LayoutContentWriter Create(OciLayoutStore store, string algorithm)
    {
        Digest.CreateHash(algorithm).Dispose(); // rejects unsupported algorithms before touching the disk
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(store.IngestDirectory, $"{Guid.NewGuid():N}{OciLayoutStore.IngestSuffix}");
            FileStream? file = null;
            try
            {
                // FileShare.Read takes a shared flock: readers and this writer coexist, prune's exclusive probe fails.
                file = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    Share = FileShare.Read,
                    BufferSize = 1 << 16,
                });
                // A prune may have taken the file between its creation and our lock; then it is gone: start again.
                if (File.Exists(path))
                {
                    return new LayoutContentWriter(store, algorithm, path, file);
                }
            }
            catch (IOException) when (attempt < 8)
            {
            }
            file?.Dispose();
        }
    }

    public async Task<Descriptor> CommitAsync(string mediaType, Digest? expected, long? expectedSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        if (_state != State.Open)
        {
            throw new InvalidOperationException($"the content writer cannot commit: it is {_state.ToString().ToLowerInvariant()}");
        }
        if (expected is { } wanted && wanted.Algorithm != _algorithm)
        {
            throw new ArgumentException($"expected digest {wanted} does not use this writer's algorithm {_algorithm}", nameof(expected));
        }
        cancellationToken.ThrowIfCancellationRequested();
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        var size = _stream.Written;
        var actual = Digest.FromHash(_algorithm, _hash.GetHashAndReset());
        if (expectedSize is { } wantedSize && wantedSize != size)
        {
            Fail();
            throw ContentVerificationException.SizeMismatch(wantedSize, size, actual);
        }
        if (expected is { } wantedDigest && wantedDigest != actual)
        {
            Fail();
            throw ContentVerificationException.DigestMismatch(wantedDigest, actual, size);
        }

        var target = _store.BlobPath(actual);
        // Held before it is visible, so a prune that runs between this commit and the tag keeps it.
        _store.Lease?.Hold(actual);
        try
        {
            if (File.Exists(target))
            {
                // Same digest, same bytes: the blob is already there.
                Discard();
            }
            else
            {
                _file.Flush(flushToDisk: true);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                // rename(2): atomic, and a concurrent writer of the same digest replaces identical bytes.
                File.Move(_tempPath, target, overwrite: true);
                _file.Dispose();
            }
        }
        catch
        {
            Fail();
            throw;
        }
        _state = State.Committed;
        return new Descriptor(mediaType, actual, size);
    }

    private void Fail()
    {
        Discard();
        _state = State.Failed;
    }

    private void Discard()
    {
        // Delete while still holding the lock, so no prune can mistake the file for an abandoned one meanwhile.
        try
        {
            File.Delete(_tempPath);
        }
        finally
        {
            _output.Dispose(); // waits for a write still in flight
            _file.Dispose();
        }
    }

    public void Dispose()
    {
        if (_state == State.Open)
        {
            Discard();
        }
        if (_state != State.Disposed)
        {
            _hash.Dispose();
            _state = State.Disposed;
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Passes writes to a file and hands every <see cref="Window"/> written to the kernel's writeback at once: a large
/// blob then reaches the disk while it is still being produced, and the fsync before its rename waits only for
/// the last window.
/// </summary>
internal sealed class WritebackStream(FileStream file) : WriteOnlyStream
{
    private const long Window = 8 << 20;
    private long _handedOver;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        Advance(buffer.Length);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Advance(buffer.Length);
    }

    private void Advance(int count)
    {
        Written += count;
        if (Written - _handedOver >= Window)
        {
            file.Flush();
            LibC.StartWriteback(file.SafeFileHandle, _handedOver, Written - _handedOver);
            _handedOver = Written;
        }
    }

    public override void Flush() => file.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => file.FlushAsync(cancellationToken);
}
