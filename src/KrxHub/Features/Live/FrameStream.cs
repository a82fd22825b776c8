using System.Buffers;

namespace KrxHub.Features.Live;

/// <summary>
/// The transport under a server WebSocket that also takes ready-made frames: <see cref="WriteFramesAsync"/> copies a
/// batch of complete, already-encoded text frames (shared by every client that gets them) into one pooled buffer and
/// writes it with one write — one flush, one send call — instead of a WebSocket send per message. The WebSocket's own
/// writes (pongs, pings, close) pass straight through. Writes are serialized, so frames never interleave.
/// </summary>
internal sealed class FrameStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Writes the first <paramref name="count"/> frames of <paramref name="frames"/> in one write.</summary>
    public async Task WriteFramesAsync(byte[][] frames, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            length += frames[i].Length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            for (var i = 0; i < count; i++)
            {
                frames[i].CopyTo(buffer, at);
                at += frames[i].Length;
            }

            await WriteInnerAsync(buffer.AsMemory(0, length), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(WriteInnerAsync(buffer, cancellationToken));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteInnerAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _writeGate.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task WriteInnerAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await inner.WriteAsync(data, ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }
}
