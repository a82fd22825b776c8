using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using KrxHub.Features.Live;

namespace KrxHub.Tests;

/// <summary>
/// Send rounds (<see cref="LiveOptions.SendInterval"/>): a client that was just sent something gets its next messages
/// at the next round, together in one write; a client that was idle gets a message at once; replies never wait.
/// </summary>
public class LiveSendRoundTests
{
    // Long enough that every offer below falls inside the interval even on a slow CI machine.
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_idle_client_is_sent_at_once_and_a_busy_one_waits_for_the_round_then_gets_everything_in_one_write()
    {
        var deferred = new ConcurrentQueue<LiveClient>();
        var client = new LiveClient(1, maxSubscriptions: 10, maxReplies: 10, TimeProvider.System, Interval, deferred.Enqueue);
        var (a, b) = (client.AllocateSlot(), client.AllocateSlot());
        var wire = new RecordingStream();
        using var frames = new FrameStream(wire);
        using var socket = WebSocket.CreateFromStream(frames, new WebSocketCreationOptions { IsServer = true });
        using var stop = new CancellationTokenSource();
        var writer = client.RunWriterAsync(socket, frames, stop.Token);

        // Nothing sent yet: the first message leaves at once, in a write of its own.
        a.Offer(LiveMessages.Pong(DateTimeOffset.UnixEpoch, id: null));
        await LiveHub.EventuallyAsync(() => Task.FromResult(wire.Writes.Count == 1), "the first message written");
        Assert.Empty(deferred);

        // Within the interval after that send: handed to the send round once, nothing written until the round comes.
        var first = LiveMessages.Error("x", "first", null);
        var second = LiveMessages.Error("x", "second", null);
        a.Offer(first);
        b.Offer(second);
        Assert.Single(deferred);
        Assert.Same(client, deferred.Single());
        await Task.Delay(200);
        Assert.Single(wire.Writes);

        // A reply does not wait for the round: it goes now, and takes the waiting messages with it.
        Assert.True(client.Reply(LiveMessages.Error("x", "reply", null)));
        await LiveHub.EventuallyAsync(() => Task.FromResult(wire.Writes.Count == 2), "the reply written");
        var secondWrite = Encoding.UTF8.GetString(wire.Writes[1]);
        Assert.Contains("\"reply\"", secondWrite, StringComparison.Ordinal);
        Assert.Contains("\"first\"", secondWrite, StringComparison.Ordinal);
        Assert.Contains("\"second\"", secondWrite, StringComparison.Ordinal);

        // Offered again inside the interval, then the round wakes the writer: both leave in one write.
        deferred.Clear();
        a.Offer(LiveMessages.Error("x", "third", null));
        b.Offer(LiveMessages.Error("x", "fourth", null));
        Assert.Single(deferred);
        Assert.Equal(2, wire.Writes.Count);
        deferred.Single().WakeWriter();
        await LiveHub.EventuallyAsync(() => Task.FromResult(wire.Writes.Count == 3), "the round's write");
        var thirdWrite = Encoding.UTF8.GetString(wire.Writes[2]);
        Assert.Contains("\"third\"", thirdWrite, StringComparison.Ordinal);
        Assert.Contains("\"fourth\"", thirdWrite, StringComparison.Ordinal);
        Assert.Equal(6, client.Sent);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
    }

    [Fact]
    public async Task With_a_zero_interval_every_message_leaves_at_once()
    {
        var deferred = new ConcurrentQueue<LiveClient>();
        var client = new LiveClient(1, maxSubscriptions: 10, maxReplies: 10, TimeProvider.System, TimeSpan.Zero, deferred.Enqueue);
        var slot = client.AllocateSlot();
        var wire = new RecordingStream();
        using var frames = new FrameStream(wire);
        using var socket = WebSocket.CreateFromStream(frames, new WebSocketCreationOptions { IsServer = true });
        using var stop = new CancellationTokenSource();
        var writer = client.RunWriterAsync(socket, frames, stop.Token);

        for (var i = 1; i <= 3; i++)
        {
            slot.Offer(LiveMessages.Error("x", $"message {i}", null));
            await LiveHub.EventuallyAsync(() => Task.FromResult(wire.Writes.Count == i), $"message {i} written");
        }

        Assert.Empty(deferred);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
    }

    /// <summary>The connection's transport: keeps every write as it reached the wire.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly List<byte[]> _writes = [];

        public IReadOnlyList<byte[]> Writes
        {
            get
            {
                lock (_writes)
                {
                    return [.. _writes];
                }
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_writes)
            {
                _writes.Add(buffer.ToArray());
            }

            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        // Nothing ever arrives from the client.
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
