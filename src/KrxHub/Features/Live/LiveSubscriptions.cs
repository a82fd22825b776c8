using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Rankings;

namespace KrxHub.Features.Live;

/// <summary>
/// The live hub's second part: the WebSocket request protocol. It keeps the connected clients, answers their requests
/// (acks and errors, subscription caps, unknown codes) and sends each new subscription its snapshot: the last live
/// message from <see cref="LiveBus"/>, the ranking from <see cref="RankingPublisher"/>, or the last stored values marked
/// stale. Depends on the bus and the rankings; nothing depends back on it but the pacer and the endpoints.
/// </summary>
public sealed class LiveSubscriptions(LiveBus bus, RankingPublisher rankings, StoredQuotes storedQuotes, TimeProvider time, LiveOptions options,
    ILogger<LiveSubscriptions> logger)
{
    private readonly LiveBus _bus = bus;
    private readonly RankingPublisher _rankings = rankings;
    private readonly StoredQuotes _storedQuotes = storedQuotes;
    private readonly TimeProvider _time = time;
    private readonly LiveOptions _options = options;
    private readonly ILogger<LiveSubscriptions> _logger = logger;
    private readonly ConcurrentDictionary<long, LiveClient> _clients = new();
    private long _nextClientId;
    private long _departedDelivered;
    private long _departedCoalesced;
    private long _disconnected;

    /// <summary>Busy clients whose writers wake at the next send round (see LiveOptions.SendInterval); the pacer runs the rounds.</summary>
    internal ConcurrentQueue<LiveClient> SendRound { get; } = new();

    /// <summary>The connected clients now.</summary>
    internal ICollection<LiveClient> Clients => _clients.Values;

    public LiveStats Stats
    {
        get
        {
            long delivered = Interlocked.Read(ref _departedDelivered), coalesced = Interlocked.Read(ref _departedCoalesced);
            var maxQueued = 0;
            foreach (var client in _clients.Values)
            {
                delivered += client.Sent;
                coalesced += client.Coalesced;
                maxQueued = Math.Max(maxQueued, client.Queued);
            }

            var events = _bus.EventCounters;
            return new LiveStats(_clients.Count, events.EventsIn, events.CoalescedIn, events.UnknownCode, delivered, coalesced,
                Interlocked.Read(ref _disconnected), maxQueued, events.DispatchBusySeconds);
        }
    }

    internal LiveClient Connect()
    {
        var client = new LiveClient(Interlocked.Increment(ref _nextClientId), _options.MaxSubscriptions, _options.MaxPendingReplies,
            _time, _options.SendInterval, SendRound.Enqueue);
        _clients[client.Id] = client;
        return client;
    }

    internal void Disconnect(LiveClient client)
    {
        lock (_bus.Registry)
        {
            foreach (var (key, slot) in client.Subscriptions)
            {
                _bus.RemoveSubscriber(key, client, slot);
            }

            client.Subscriptions.Clear();
        }

        if (_clients.TryRemove(client.Id, out _))
        {
            Interlocked.Add(ref _departedDelivered, client.Sent);
            Interlocked.Add(ref _departedCoalesced, client.Coalesced);
            Interlocked.Increment(ref _disconnected);
        }
    }

    /// <summary>
    /// The codes this node's clients follow (ticks or book) and a version that changes with them: the live source is
    /// asked for these and those of the other nodes (the Kiwoom feed registers them; the simulator drives every stock anyway).
    /// </summary>
    internal (long Version, IReadOnlyCollection<StockCode> Codes) SubscribedCodes()
    {
        lock (_bus.Registry)
        {
            var codes = _clients.Values.SelectMany(c => c.Subscriptions.Keys)
                .Where(k => k.Channel is LiveChannel.Ticks or LiveChannel.Book).Select(k => k.Code).ToHashSet();
            return (_bus.SubscribersVersion, codes);
        }
    }

    /// <summary>The version <see cref="SubscribedCodes"/> would give, without building the set.</summary>
    internal long SubscribedCodesVersion => _bus.SubscribersVersion;

    /// <summary>Handles one client request: replies (ack or error), then the snapshot.</summary>
    internal async Task HandleAsync(LiveClient client, LiveRequest request, CancellationToken ct)
    {
        if (request.Op == "ping")
        {
            client.Reply(LiveMessages.Pong(_time.GetUtcNow().ToOffset(KrxCalendar.KstOffset), request.Id));
            return;
        }

        var channel = request.Channel!.Value;
        if (request.Op == "unsubscribe")
        {
            Unsubscribe(client, request, channel);
            return;
        }

        var keys = channel switch
        {
            LiveChannel.Ticks or LiveChannel.Book => request.Codes!.Select(c => new SubscriptionKey(channel, c, default)).ToList(),
            LiveChannel.Rankings => [new SubscriptionKey(channel, default, request.Ranking!.Value)],
            _ => [new SubscriptionKey(channel, default, default)],
        };

        if (request.Codes is { } codes)
        {
            var unknown = codes.Where(c => !_bus.IsKnown(c)).ToList();
            if (unknown.Count > 0)
            {
                throw new LiveRequestException(LiveErrors.UnknownCode,
                    $"not in the stock master: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : string.Empty)}; nothing was subscribed",
                    request.Id);
            }
        }

        lock (_bus.Registry)
        {
            var fresh = keys.Where(k => !client.Subscriptions.ContainsKey(k)).ToList();
            if (client.Subscriptions.Count + fresh.Count > _options.MaxSubscriptions)
            {
                throw new LiveRequestException(LiveErrors.TooManySubscriptions,
                    $"this would make {client.Subscriptions.Count + fresh.Count} subscriptions; the limit is {_options.MaxSubscriptions} per connection (each code of ticks or book, each ranking, the session and the indices count one); nothing was subscribed",
                    request.Id);
            }

            client.Reply(LiveMessages.Ack("subscribed", channel, request.Codes, request.Ranking, request.Id));
            foreach (var key in fresh)
            {
                var subscriber = client.AllocateSlot();
                client.Subscriptions[key] = subscriber.Slot;
                _bus.AddSubscriber(key, subscriber);
            }
        }

        // Snapshots for every requested key (also those already held: asking again is how a client re-reads the state).
        // Each is offered only if no newer message reached the slot since the state was read.
        var stale = new List<(StockCode Code, Subscriber Subscriber, int Seen)>();
        foreach (var key in keys)
        {
            var subscriber = client.CurrentSubscriber(client.Subscriptions[key]);
            var seen = client.OfferCount(subscriber.Slot);
            byte[]? snapshot = key.Channel switch
            {
                LiveChannel.Ticks => _bus.TickMessage(key.Code),
                LiveChannel.Book => _bus.BookMessage(key.Code),
                LiveChannel.Rankings => _rankings.Snapshot(key.Ranking),
                LiveChannel.Indices => _bus.Indices.Message,
                LiveChannel.Alerts => null,
                _ => _bus.SessionMessage,
            };
            if (snapshot is not null)
            {
                client.OfferSnapshot(subscriber, seen, snapshot);
            }
            else if (key.Channel == LiveChannel.Ticks)
            {
                stale.Add((key.Code, subscriber, seen));
            }
        }

        if (stale.Count > 0)
        {
            // No live tick yet: the last stored values, marked stale. A store that fails costs the snapshot, not the connection.
            IReadOnlyDictionary<StockCode, StoredQuote> quotes;
            try
            {
                quotes = await _storedQuotes.GetAsync(stale.Select(s => s.Code).ToList(), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning("stored snapshot for {Count} codes failed: {Message}", stale.Count, e.Message);
                return;
            }

            foreach (var (code, subscriber, seen) in stale)
            {
                if (quotes.TryGetValue(code, out var quote))
                {
                    client.OfferSnapshot(subscriber, seen, LiveMessages.StaleTick(quote));
                }
            }
        }
    }

    private void Unsubscribe(LiveClient client, LiveRequest request, LiveChannel channel)
    {
        lock (_bus.Registry)
        {
            var keys = client.Subscriptions.Keys.Where(k => k.Channel == channel).ToList();
            if (request.Codes is { } codes)
            {
                keys = keys.Where(k => codes.Contains(k.Code)).ToList();
            }

            if (request.Ranking is { } ranking)
            {
                keys = keys.Where(k => k.Ranking == ranking).ToList();
            }

            foreach (var key in keys)
            {
                _bus.RemoveSubscriber(key, client, client.Subscriptions[key]);
                client.Subscriptions.Remove(key);
            }

            client.Reply(channel switch
            {
                LiveChannel.Ticks or LiveChannel.Book => LiveMessages.Ack("unsubscribed", channel, keys.Select(k => k.Code).ToList(), null, request.Id),
                LiveChannel.Rankings => LiveMessages.RankingsUnsubscribed(keys.Select(k => k.Ranking).ToList(), request.Id),
                _ => LiveMessages.Ack("unsubscribed", channel, null, null, request.Id),
            });
        }
    }
}
