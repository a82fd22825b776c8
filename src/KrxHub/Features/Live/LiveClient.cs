using System.Net.WebSockets;
using System.Threading.Channels;

namespace KrxHub.Features.Live;

/// <summary>Where a subscriber's messages go: a slot of one client's outbox, valid while its generation matches.</summary>
internal readonly record struct Subscriber(LiveClient Client, int Slot, int Generation)
{
    public void Offer(byte[] message) => Client.Offer(Slot, Generation, message);
}

/// <summary>
/// One WebSocket client's outbox. Every subscription owns a slot holding at most one unsent message: a newer message
/// for the same slot replaces the unsent one (counted as coalesced), so a slow client costs at most one message per
/// subscription however far behind it is, and the publisher never waits for it. Replies to the client's own requests
/// are kept in order in a separate bounded queue. Messages are shared, already-encoded WebSocket text frames
/// (<see cref="LiveMessages"/>): offering one allocates nothing, sending one copies it.
/// Subscription messages for a client that was sent something less than the bus's send interval ago are not sent at
/// once: the client is handed to the bus's send round (<paramref name="deferSend"/>), which wakes its writer at the
/// next round, so that a busy client gets one write per interval instead of one per message. Replies always leave at once.
/// </summary>
internal sealed class LiveClient(long id, int maxSubscriptions, int maxReplies, TimeProvider time, TimeSpan sendInterval, Action<LiveClient> deferSend)
{
    public const int HeartbeatSlot = 0;

    private readonly Lock _gate = new();
    private readonly byte[]?[] _pending = new byte[]?[maxSubscriptions + 1];
    private readonly int[] _generations = new int[maxSubscriptions + 1];
    private readonly int[] _offers = new int[maxSubscriptions + 1];
    private readonly bool[] _queued = new bool[maxSubscriptions + 1];
    private readonly int[] _ring = new int[maxSubscriptions + 1];
    private readonly Stack<int> _freeSlots = new(Enumerable.Range(1, maxSubscriptions).Reverse());
    private readonly Queue<byte[]> _replies = new();
    private long _lastSendTimestamp;
    private int _ringHead;
    private int _ringCount;
    private long _coalesced;
    private long _sent;
    private bool _overflowed;

    // Rung when the outbox goes from empty to non-empty; capacity 1, so extra rings are dropped.
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public long Id { get; } = id;

    /// <summary>The client's subscriptions and their slots; used only by the client's own request loop and on disconnect.</summary>
    public Dictionary<SubscriptionKey, int> Subscriptions { get; } = [];

    public int FreeSlots
    {
        get
        {
            lock (_gate)
            {
                return _freeSlots.Count;
            }
        }
    }

    /// <summary>Messages replaced by a newer one for the same subscription before they were sent.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Messages waiting to be sent: at most one per subscription plus unread replies, however slow the client is.</summary>
    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _ringCount + _replies.Count;
            }
        }
    }

    /// <summary>True once the client left too many replies unread; it is then disconnected.</summary>
    public bool Overflowed
    {
        get
        {
            lock (_gate)
            {
                return _overflowed;
            }
        }
    }

    public Subscriber AllocateSlot()
    {
        lock (_gate)
        {
            var slot = _freeSlots.Pop();
            return new Subscriber(this, slot, _generations[slot]);
        }
    }

    /// <summary>Frees a slot: its unsent message is dropped and late offers to its old generation are ignored.</summary>
    public void FreeSlot(int slot)
    {
        lock (_gate)
        {
            _pending[slot] = null;
            _generations[slot]++;
            _freeSlots.Push(slot);
        }
    }

    /// <summary>The subscriber that owns <paramref name="slot"/> now.</summary>
    public Subscriber CurrentSubscriber(int slot)
    {
        lock (_gate)
        {
            return new Subscriber(this, slot, _generations[slot]);
        }
    }

    /// <summary>How many messages were offered to the slot so far: read before a snapshot is taken, see <see cref="OfferSnapshot"/>.</summary>
    public int OfferCount(int slot)
    {
        lock (_gate)
        {
            return _offers[slot];
        }
    }

    /// <summary>
    /// Offers a snapshot unless the slot got a message since <paramref name="seenOffers"/> was read: that message is
    /// newer than the snapshot, which must not replace it.
    /// </summary>
    public void OfferSnapshot(Subscriber subscriber, int seenOffers, byte[] message)
    {
        Offer(subscriber.Slot, subscriber.Generation, message, seenOffers);
    }

    public void Offer(int slot, int generation, byte[] message) => Offer(slot, generation, message, -1);

    private void Offer(int slot, int generation, byte[] message, int onlyIfOffers)
    {
        var ring = false;
        lock (_gate)
        {
            if (_generations[slot] != generation || (onlyIfOffers >= 0 && _offers[slot] != onlyIfOffers))
            {
                return;
            }

            _offers[slot]++;

            if (_pending[slot] is not null)
            {
                _coalesced++;
            }

            _pending[slot] = message;
            if (!_queued[slot])
            {
                _queued[slot] = true;
                _ring[(_ringHead + _ringCount) % _ring.Length] = slot;
                _ringCount++;
                ring = _ringCount == 1 && _replies.Count == 0;
            }
        }

        if (!ring)
        {
            return;
        }

        if (sendInterval > TimeSpan.Zero && time.GetElapsedTime(Interlocked.Read(ref _lastSendTimestamp)) < sendInterval)
        {
            deferSend(this);
        }
        else
        {
            WakeWriter();
        }
    }

    /// <summary>True when the last send is at least <paramref name="early"/> short of the send interval ago.</summary>
    public bool DueForSend(TimeSpan early) => time.GetElapsedTime(Interlocked.Read(ref _lastSendTimestamp)) >= sendInterval - early;

    /// <summary>Wakes the writer (the bus's send round calls this for deferred clients).</summary>
    public void WakeWriter() => _doorbell.Writer.TryWrite(true);

    /// <summary>Queues a reply in order. False when the client already has too many unread replies.</summary>
    public bool Reply(byte[] message)
    {
        bool ring;
        lock (_gate)
        {
            if (_replies.Count >= maxReplies)
            {
                _overflowed = true;
                return false;
            }

            _replies.Enqueue(message);
            // Also when subscription messages are queued: they may be waiting for a send round, a reply never does.
            ring = _replies.Count == 1;
        }

        if (ring)
        {
            _doorbell.Writer.TryWrite(true);
        }

        return true;
    }

    /// <summary>
    /// Sends queued messages until cancelled or the socket fails: replies first, then subscription slots in arrival order.
    /// Over a <see cref="FrameStream"/> a batch leaves in one write; otherwise message by message.
    /// </summary>
    public async Task RunWriterAsync(WebSocket socket, FrameStream? frames, CancellationToken ct)
    {
        var batch = new byte[64][];
        while (true)
        {
            var count = Take(batch);
            if (count == 0)
            {
                await _doorbell.Reader.ReadAsync(ct);
                continue;
            }

            if (frames is not null)
            {
                await frames.WriteFramesAsync(batch, count, ct);
            }
            else
            {
                for (var i = 0; i < count; i++)
                {
                    await socket.SendAsync(LiveMessages.Payload(batch[i]), WebSocketMessageType.Text, endOfMessage: true, ct);
                }
            }

            Array.Clear(batch, 0, count);
            Interlocked.Add(ref _sent, count);
            Interlocked.Exchange(ref _lastSendTimestamp, time.GetTimestamp());
        }
    }

    private int Take(byte[][] batch)
    {
        lock (_gate)
        {
            var count = 0;
            while (count < batch.Length && _replies.TryDequeue(out var reply))
            {
                batch[count++] = reply;
            }

            while (count < batch.Length && _ringCount > 0)
            {
                var slot = _ring[_ringHead];
                _ringHead = (_ringHead + 1) % _ring.Length;
                _ringCount--;
                _queued[slot] = false;
                if (_pending[slot] is { } message)
                {
                    _pending[slot] = null;
                    batch[count++] = message;
                }
            }

            return count;
        }
    }
}
