using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Rankings;
using KrxHub.Storage;

namespace KrxHub.Features.Live;

/// <summary>
/// The session phase clients see: the calendar's phase, when it started, the next transition, and whether the simulator
/// trades around the clock anyway (its always-open demo session).
/// </summary>
public sealed record SessionState(SessionPhase Phase, DateTimeOffset At, PhaseTransition? Next, bool AlwaysOpen = false);

/// <summary>
/// Whether live data is flowing: <see cref="Source"/> is the feed's name (kiwoom, simulated); <see cref="Up"/> is true while
/// this node runs the feed or the node that does announced itself on the backplane recently.
/// </summary>
public sealed record LiveSourceStatus(string? Source, bool Up, bool RunsHere, string Node);

/// <summary>Counters of the bus since start (for /api/live/status and the benchmark).</summary>
public sealed record LiveStats(
    int Clients,
    long EventsIn,
    long CoalescedIn,
    long UnknownCodeEvents,
    long Delivered,
    long Coalesced,
    long Disconnected,
    int MaxQueued,
    double DispatchBusySeconds);

/// <summary>
/// The in-process live hub. Events from the live source (on the node that runs it) or from the backplane (on the others)
/// go through one dispatcher: it serializes each event once, keeps the last state per stock, updates the ranking board and
/// offers the bytes to the outboxes of the clients subscribed to that stock. It never waits for a client.
/// </summary>
public sealed class LiveBus : BackgroundService
{
    private readonly MarketStore _store;
    private readonly StoredQuotes _storedQuotes;
    private readonly TimeProvider _time;
    private readonly LiveOptions _options;
    private readonly ILogger<LiveBus> _logger;
    // The inbox: per stock at most one undispatched trade and one book; a newer one replaces it (counted).
    private readonly Lock _inboxGate = new();
    private readonly Queue<CodeState> _inbox = new();
    private readonly SemaphoreSlim _inboxSignal = new(0);

    private readonly Lock _registry = new();
    private readonly Lock _boardGate = new();
    private readonly RankingBoard _board = new();
    private readonly ConcurrentDictionary<long, LiveClient> _clients = new();
    // Busy clients whose writers wake at the next send round (see LiveOptions.SendInterval).
    private readonly ConcurrentQueue<LiveClient> _sendRound = new();
    private readonly Dictionary<RankingKey, Subscriber[]> _rankingSubscribers = [];
    private volatile FrozenCodes _codes = new([]);
    private Subscriber[] _sessionSubscribers = [];
    private SessionState? _session;
    private byte[]? _sessionMessage;
    private DateOnly _boardDate;
    private long _nextClientId;
    private long _codesVersion;
    private long _eventsIn;
    private long _coalescedIn;
    private long _dispatchTimestampTicks;
    private long _unknownCodeEvents;
    private long _departedDelivered;
    private long _departedCoalesced;
    private long _disconnected;

    // Set by the live source runner (this node) and the backplane (other nodes).
    private volatile string? _localSource;
    private volatile string? _remoteSource;
    private long _remoteHeardAtTicks;

    public LiveBus(MarketStore store, StoredQuotes storedQuotes, TimeProvider time, LiveOptions options, ILogger<LiveBus> logger)
    {
        _store = store;
        _storedQuotes = storedQuotes;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>This process's name on the backplane.</summary>
    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public LiveOptions Options => _options;

    /// <summary>Set once the rankings publisher exists (it needs the bus, and the bus asks it for ranking snapshots).</summary>
    internal RankingPublisher? Rankings { get; set; }

    public LiveSourceStatus SourceStatus
    {
        get
        {
            if (_localSource is { } local)
            {
                return new LiveSourceStatus(local, true, true, Node);
            }

            var heard = new DateTimeOffset(Interlocked.Read(ref _remoteHeardAtTicks), TimeSpan.Zero);
            var up = _remoteSource is not null && _time.GetUtcNow() - heard < 3 * _options.BackplaneHeartbeatInterval;
            return new LiveSourceStatus(_remoteSource, up, false, Node);
        }
    }

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

            return new LiveStats(_clients.Count, Interlocked.Read(ref _eventsIn), Interlocked.Read(ref _coalescedIn),
                Interlocked.Read(ref _unknownCodeEvents), delivered, coalesced, Interlocked.Read(ref _disconnected), maxQueued,
                Math.Round(Interlocked.Read(ref _dispatchTimestampTicks) / (double)System.Diagnostics.Stopwatch.Frequency, 3));
        }
    }

    /// <summary>The stock of the master, or null for a code it does not know.</summary>
    public Stock? FindStock(StockCode code) => _codes.Get(code)?.Stock;

    /// <summary>The last live tick of a stock, if one arrived since start.</summary>
    public LiveTick? LastTick(StockCode code) => _codes.Get(code)?.Tick?.Tick;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The master is in memory before the first client connects: subscriptions are checked against it.
        await ReloadMasterAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Re-reads the stock master (stocks listed after start become subscribable). Keeps live state and subscribers.</summary>
    public async Task ReloadMasterAsync(CancellationToken ct)
    {
        var stocks = await _store.GetAllStocksAsync(ct);
        lock (_registry)
        {
            var old = _codes;
            _codes = new FrozenCodes(stocks.Select(s => old.Get(s.Code) is { } existing ? existing.WithStock(s) : new CodeState(s)));
        }
    }

    /// <summary>
    /// Hands one event to the dispatcher without waiting. When the dispatcher is behind, a stock's undispatched trade
    /// (or book) is replaced by the newer one: memory stays bounded by the number of stocks and clients get the latest
    /// state, not a backlog. An event for a code the master does not know is counted and dropped.
    /// </summary>
    public void Publish(LiveEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Interlocked.Increment(ref _eventsIn);
        var state = _codes.Get(e.Code);
        if (state is null)
        {
            // No client can subscribe to it and its market is unknown, so it cannot be ranked either.
            Interlocked.Increment(ref _unknownCodeEvents);
            return;
        }

        bool signal;
        lock (_inboxGate)
        {
            if (e is LiveTick tick)
            {
                if (state.PendingTick is not null)
                {
                    _coalescedIn++;
                }

                state.PendingTick = tick;
            }
            else
            {
                if (state.PendingBook is not null)
                {
                    _coalescedIn++;
                }

                state.PendingBook = (OrderBook)e;
            }

            if (state.Queued)
            {
                return;
            }

            state.Queued = true;
            _inbox.Enqueue(state);
            signal = _inbox.Count == 1;
        }

        if (signal)
        {
            _inboxSignal.Release();
        }
    }

    internal void SetLocalSource(string? source) => _localSource = source;

    internal void HeardRemoteSource(string source)
    {
        _remoteSource = source;
        Interlocked.Exchange(ref _remoteHeardAtTicks, _time.GetUtcNow().UtcTicks);
    }

    /// <summary>Runs <paramref name="read"/> on the ranking board under its lock.</summary>
    internal T ReadBoard<T>(Func<RankingBoard, T> read)
    {
        lock (_boardGate)
        {
            return read(_board);
        }
    }

    internal LiveClient Connect()
    {
        var client = new LiveClient(Interlocked.Increment(ref _nextClientId), _options.MaxSubscriptions, _options.MaxPendingReplies,
            _time, _options.SendInterval, _sendRound.Enqueue);
        _clients[client.Id] = client;
        return client;
    }

    internal void Disconnect(LiveClient client)
    {
        lock (_registry)
        {
            foreach (var (key, slot) in client.Subscriptions)
            {
                RemoveSubscriber(key, client, slot);
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
        lock (_registry)
        {
            var codes = _clients.Values.SelectMany(c => c.Subscriptions.Keys)
                .Where(k => k.Channel is LiveChannel.Ticks or LiveChannel.Book).Select(k => k.Code).ToHashSet();
            return (_codesVersion, codes);
        }
    }

    /// <summary>The version <see cref="SubscribedCodes"/> would give, without building the set.</summary>
    internal long SubscribedCodesVersion => Interlocked.Read(ref _codesVersion);

    /// <summary>The ranking subscriptions now, for the rankings publisher.</summary>
    internal List<(RankingKey Key, Subscriber[] Subscribers)> RankingSubscriptions()
    {
        lock (_registry)
        {
            return _rankingSubscribers.Select(kv => (kv.Key, kv.Value)).ToList();
        }
    }

    /// <summary>Pushes a new session phase to every session subscriber.</summary>
    internal void SetSession(SessionState state)
    {
        var message = LiveMessages.Session(state);
        Subscriber[] subscribers;
        lock (_registry)
        {
            _session = state;
            _sessionMessage = message;
            subscribers = _sessionSubscribers;
        }

        foreach (var s in subscribers)
        {
            s.Offer(message);
        }
    }

    public SessionState? Session
    {
        get
        {
            lock (_registry)
            {
                return _session;
            }
        }
    }

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
            var unknown = codes.Where(c => _codes.Get(c) is null).ToList();
            if (unknown.Count > 0)
            {
                throw new LiveRequestException(LiveErrors.UnknownCode,
                    $"not in the stock master: {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? $" and {unknown.Count - 10} more" : string.Empty)}; nothing was subscribed",
                    request.Id);
            }
        }

        lock (_registry)
        {
            var fresh = keys.Where(k => !client.Subscriptions.ContainsKey(k)).ToList();
            if (client.Subscriptions.Count + fresh.Count > _options.MaxSubscriptions)
            {
                throw new LiveRequestException(LiveErrors.TooManySubscriptions,
                    $"this would make {client.Subscriptions.Count + fresh.Count} subscriptions; the limit is {_options.MaxSubscriptions} per connection (each code of ticks or book, each ranking and the session count one); nothing was subscribed",
                    request.Id);
            }

            client.Reply(LiveMessages.Ack("subscribed", channel, request.Codes, request.Ranking, request.Id));
            foreach (var key in fresh)
            {
                var subscriber = client.AllocateSlot();
                client.Subscriptions[key] = subscriber.Slot;
                AddSubscriber(key, subscriber);
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
                LiveChannel.Ticks => _codes.Get(key.Code)?.Tick?.Message,
                LiveChannel.Book => _codes.Get(key.Code)?.Book?.Message,
                LiveChannel.Rankings => Rankings?.Snapshot(key.Ranking),
                _ => Volatile.Read(ref _sessionMessage),
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
        lock (_registry)
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
                RemoveSubscriber(key, client, client.Subscriptions[key]);
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

    // Both under _registry. Subscriber arrays are copied on write, so the dispatcher reads them without a lock.
    private void AddSubscriber(SubscriptionKey key, Subscriber subscriber)
    {
        _codesVersion++;
        switch (key.Channel)
        {
            case LiveChannel.Ticks:
                var ticks = _codes.Get(key.Code)!;
                ticks.TickSubscribers = [.. ticks.TickSubscribers, subscriber];
                break;
            case LiveChannel.Book:
                var book = _codes.Get(key.Code)!;
                book.BookSubscribers = [.. book.BookSubscribers, subscriber];
                break;
            case LiveChannel.Rankings:
                _rankingSubscribers[key.Ranking] = [.. _rankingSubscribers.GetValueOrDefault(key.Ranking, []), subscriber];
                break;
            default:
                _sessionSubscribers = [.. _sessionSubscribers, subscriber];
                break;
        }
    }

    private void RemoveSubscriber(SubscriptionKey key, LiveClient client, int slot)
    {
        static Subscriber[] Without(Subscriber[] list, LiveClient client) => [.. list.Where(s => s.Client != client)];
        _codesVersion++;
        switch (key.Channel)
        {
            case LiveChannel.Ticks when _codes.Get(key.Code) is { } state:
                state.TickSubscribers = Without(state.TickSubscribers, client);
                break;
            case LiveChannel.Book when _codes.Get(key.Code) is { } state:
                state.BookSubscribers = Without(state.BookSubscribers, client);
                break;
            case LiveChannel.Rankings:
                var remaining = Without(_rankingSubscribers.GetValueOrDefault(key.Ranking, []), client);
                if (remaining.Length == 0)
                {
                    _rankingSubscribers.Remove(key.Ranking);
                }
                else
                {
                    _rankingSubscribers[key.Ranking] = remaining;
                }

                break;
            case LiveChannel.Session:
                _sessionSubscribers = Without(_sessionSubscribers, client);
                break;
        }

        client.FreeSlot(slot);
    }

    public override void Dispose()
    {
        _inboxSignal.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The dispatcher has a thread of its own: under load the thread pool is busy with client writers, and a
        // dispatcher waiting in its queue would let ticks age there, before coalescing can keep them fresh.
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                DispatchLoop(stoppingToken);
            }
            finally
            {
                dispatched.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "krxhub live dispatcher",
        };
        thread.Start();
        await Task.WhenAll(SendHeartbeatsAsync(stoppingToken), RunSendRoundsAsync(stoppingToken));
        await dispatched.Task;
    }

    private void DispatchLoop(CancellationToken ct)
    {
        var batch = new List<(CodeState State, LiveTick? Tick, OrderBook? Book)>(512);
        try
        {
            while (true)
            {
                batch.Clear();
                lock (_inboxGate)
                {
                    while (batch.Count < 512 && _inbox.TryDequeue(out var state))
                    {
                        batch.Add((state, state.PendingTick, state.PendingBook));
                        state.PendingTick = null;
                        state.PendingBook = null;
                        state.Queued = false;
                    }
                }

                if (batch.Count == 0)
                {
                    _inboxSignal.Wait(ct);
                    continue;
                }

                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                foreach (var (state, tick, book) in batch)
                {
                    try
                    {
                        Dispatch(state, tick, book);
                    }
                    catch (Exception e)
                    {
                        _logger.LogError(e, "dispatching an event of {Code} failed", state.Stock.Code);
                    }
                }

                Interlocked.Add(ref _dispatchTimestampTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Dispatch(CodeState state, LiveTick? tick, OrderBook? book)
    {
        if (tick is not null)
        {
            var message = LiveMessages.Tick(tick);
            state.Tick = new TickState(tick, message);
            UpdateBoard(state.Stock, tick);
            foreach (var s in state.TickSubscribers)
            {
                s.Offer(message);
            }
        }

        if (book is not null)
        {
            var message = LiveMessages.Book(book);
            state.Book = new BookState(book, message);
            foreach (var s in state.BookSubscribers)
            {
                s.Offer(message);
            }
        }
    }

    private void UpdateBoard(Stock stock, LiveTick tick)
    {
        var date = KrxCalendar.KstDate(tick.Time);
        lock (_boardGate)
        {
            if (date > _boardDate)
            {
                // A new trading day: yesterday's accumulated volumes no longer rank.
                _board.Clear();
                _boardDate = date;
            }
            else if (date < _boardDate)
            {
                return;
            }

            _board.Update(new RankingQuote(stock.Code, stock.Name, stock.Market, tick.Price, tick.ChangePct, tick.AccVolume, tick.AccValue, tick.Time));
        }
    }

    /// <summary>
    /// Wakes the writers of deferred clients once their send interval since their last send has passed. Rounds run four
    /// times per interval and wake only the clients that are due, so that the writes spread over the interval instead of
    /// all clients waking at once (a thousand writers woken together queue behind each other for milliseconds).
    /// </summary>
    private async Task RunSendRoundsAsync(CancellationToken ct)
    {
        if (_options.SendInterval <= TimeSpan.Zero)
        {
            return;
        }

        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, _options.SendInterval.Ticks / 4));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                // Each client queued before this round is looked at once: woken when due (or due before the next
                // round), otherwise queued again for a later round.
                for (var n = _sendRound.Count; n > 0 && _sendRound.TryDequeue(out var client); n--)
                {
                    if (client.DueForSend(early: period / 2))
                    {
                        client.WakeWriter();
                    }
                    else
                    {
                        _sendRound.Enqueue(client);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendHeartbeatsAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var message = LiveMessages.Heartbeat(_time.GetUtcNow().ToOffset(KrxCalendar.KstOffset), SourceStatus);
                foreach (var client in _clients.Values)
                {
                    client.Offer(LiveClient.HeartbeatSlot, 0, message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed record TickState(LiveTick Tick, byte[] Message);

    private sealed record BookState(OrderBook Book, byte[] Message);

    /// <summary>Live state and subscribers of one stock of the master.</summary>
    private sealed class CodeState(Stock stock)
    {
        public Stock Stock { get; private init; } = stock;

        public volatile Subscriber[] TickSubscribers = [];
        public volatile Subscriber[] BookSubscribers = [];
        public volatile TickState? Tick;
        public volatile BookState? Book;

        // The inbox, under the bus's inbox lock.
        public LiveTick? PendingTick;
        public OrderBook? PendingBook;
        public bool Queued;

        public CodeState WithStock(Stock stock) => new(stock)
        {
            TickSubscribers = TickSubscribers,
            BookSubscribers = BookSubscribers,
            Tick = Tick,
            Book = Book,
        };
    }

    /// <summary>The master's codes, read without locks by the dispatcher; replaced whole on reload.</summary>
    private sealed class FrozenCodes(IEnumerable<CodeState> states)
    {
        private readonly System.Collections.Frozen.FrozenDictionary<StockCode, CodeState> _states =
            System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(states, s => s.Stock.Code);

        public CodeState? Get(StockCode code) => _states.GetValueOrDefault(code);
    }
}
