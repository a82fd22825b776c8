using System.Buffers;

namespace KrxHub.Features.Live;

/// <summary>
/// The transport under a server WebSocket, writing a batch of frames with one write (and one flush, one send call)
/// instead of one per frame: between <see cref="BeginBatch"/> and <see cref="EndBatchAsync"/> writes are collected in a
/// pooled buffer. Outside a batch, writes (the WebSocket's own pongs, pings and close frames) go straight through.
/// Writes to the inner stream are serialized, since the WebSocket's keep-alive timer may write while a batch is flushed.
/// </summary>
internal sealed class BatchingStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _bufferGate = new();
    private byte[]? _buffer;
    private int _buffered;
    private bool _batching;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public void BeginBatch()
    {
        lock (_bufferGate)
        {
            _batching = true;
        }
    }

    /// <summary>Writes everything collected since <see cref="BeginBatch"/> in one write, and leaves batch mode.</summary>
    public async Task EndBatchAsync(CancellationToken ct)
    {
        byte[]? buffer;
        int count;
        lock (_bufferGate)
        {
            _batching = false;
            (buffer, count) = (_buffer, _buffered);
            (_buffer, _buffered) = (null, 0);
        }

        if (buffer is null)
        {
            return;
        }

        try
        {
            await WriteInnerAsync(buffer.AsMemory(0, count), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_bufferGate)
        {
            if (_batching)
            {
                Append(buffer.Span);
                return;
            }
        }

        await WriteInnerAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
            lock (_bufferGate)
            {
                if (_buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = null;
                }
            }

            _writeGate.Dispose();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer is null || _buffered + data.Length > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(16 * 1024, (_buffered + data.Length) * 2));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _buffered).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }

        data.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += data.Length;
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
