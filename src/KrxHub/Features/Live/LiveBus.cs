// Over 400 lines on purpose: the inbox, the dispatcher thread and the state it owns (last tick and book per stock,
// subscriber lists, ranking board, session) change together; the protocol and the pacing are apart
// (LiveSubscriptions.cs, LiveSendPacer.cs).
using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Core.Live;
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
/// The in-process live hub, first of three parts: the inbox, the dispatcher and the live state. Events from the live source
/// (on the node that runs it) or from the backplane (on the others) go through one dispatcher: it serializes each event
/// once, keeps the last state per stock, updates the ranking board and offers the bytes to the subscribers of that stock.
/// It never waits for a client. The subscriber lists are state it reads without locks; <see cref="LiveSubscriptions"/>
/// (the WebSocket protocol, snapshots and caps) changes them under <see cref="Registry"/>, and <see cref="LiveSendPacer"/>
/// paces the writes (heartbeats, send rounds).
/// </summary>
public sealed class LiveBus : BackgroundService
{
    private readonly MarketStore _store;
    private readonly TimeProvider _time;
    private readonly LiveOptions _options;
    private readonly ILogger<LiveBus> _logger;
    // The inbox: per stock at most one undispatched trade and one book; a newer one replaces it (counted).
    private readonly Lock _inboxGate = new();
    private readonly Queue<CodeState> _inbox = new();
    private readonly SemaphoreSlim _inboxSignal = new(0);

    /// <summary>Guards the subscriber lists (and each client's subscription table) against concurrent changes.</summary>
    internal readonly Lock Registry = new();
    private readonly Lock _boardGate = new();
    private readonly RankingBoard _board = new();
    private readonly Dictionary<RankingKey, Subscriber[]> _rankingSubscribers = [];
    private volatile FrozenCodes _codes = new([]);
    private Subscriber[] _sessionSubscribers = [];
    private SessionState? _session;
    private byte[]? _sessionMessage;
    private DateOnly _boardDate;
    private long _codesVersion;
    private long _eventsIn;
    private long _coalescedIn;
    private long _dispatchTimestampTicks;
    private long _unknownCodeEvents;

    // Set by the live source runner (this node) and the backplane (other nodes).
    private volatile string? _localSource;
    private volatile string? _remoteSource;
    private long _remoteHeardAtTicks;

    public LiveBus(MarketStore store, TimeProvider time, LiveOptions options, ILogger<LiveBus> logger)
    {
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>This process's name on the backplane.</summary>
    /// <summary>The live index levels and the indices channel (they bypass the per-stock inbox).</summary>
    public LiveIndices Indices { get; } = new();

    /// <summary>The <c>alerts</c> channel: condition entries and exits as they are written (fed by the conditions' alert feed).</summary>
    public LiveAlerts Alerts { get; } = new();

    /// <summary>The stocks that traded since on-tick conditions last looked (recorded only while such conditions exist).</summary>
    public TickedCodes Ticked { get; } = new();

    public string Node { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public LiveOptions Options => _options;


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

    /// <summary>Events in, coalesced in the inbox, dropped for an unknown code, and the dispatcher's busy time.</summary>
    internal (long EventsIn, long CoalescedIn, long UnknownCode, double DispatchBusySeconds) EventCounters =>
        (Interlocked.Read(ref _eventsIn), Interlocked.Read(ref _coalescedIn), Interlocked.Read(ref _unknownCodeEvents),
            Math.Round(Interlocked.Read(ref _dispatchTimestampTicks) / (double)System.Diagnostics.Stopwatch.Frequency, 3));

    /// <summary>Changes with every subscriber added or removed.</summary>
    internal long SubscribersVersion => Interlocked.Read(ref _codesVersion);

    /// <summary>The last tick and book messages of a stock (snapshots), and whether the master knows it.</summary>
    internal bool IsKnown(StockCode code) => _codes.Get(code) is not null;

    internal byte[]? TickMessage(StockCode code) => _codes.Get(code)?.Tick?.Message;

    internal byte[]? BookMessage(StockCode code) => _codes.Get(code)?.Book?.Message;

    internal byte[]? SessionMessage => Volatile.Read(ref _sessionMessage);

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
        lock (Registry)
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
        if (e is Core.Indices.LiveIndexLevel level)
        {
            Indices.Publish(level);
            return;
        }

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

    /// <summary>The ranking subscriptions now, for the rankings publisher.</summary>
    internal List<(RankingKey Key, Subscriber[] Subscribers)> RankingSubscriptions()
    {
        lock (Registry)
        {
            return _rankingSubscribers.Select(kv => (kv.Key, kv.Value)).ToList();
        }
    }

    /// <summary>Pushes a new session phase to every session subscriber.</summary>
    internal void SetSession(SessionState state)
    {
        var message = LiveMessages.Session(state);
        Subscriber[] subscribers;
        lock (Registry)
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
            lock (Registry)
            {
                return _session;
            }
        }
    }

    // Both under Registry. Subscriber arrays are copied on write, so the dispatcher reads them without a lock.
    internal void AddSubscriber(SubscriptionKey key, Subscriber subscriber)
    {
        Interlocked.Increment(ref _codesVersion);
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
            case LiveChannel.Indices:
                Indices.Add(subscriber);
                break;
            case LiveChannel.Alerts:
                Alerts.Add(subscriber);
                break;
            default:
                _sessionSubscribers = [.. _sessionSubscribers, subscriber];
                break;
        }
    }

    internal void RemoveSubscriber(SubscriptionKey key, LiveClient client, int slot)
    {
        static Subscriber[] Without(Subscriber[] list, LiveClient client) => [.. list.Where(s => s.Client != client)];
        Interlocked.Increment(ref _codesVersion);
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
            case LiveChannel.Indices:
                Indices.Remove(client);
                break;
            case LiveChannel.Alerts:
                Alerts.Remove(client);
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
            Ticked.Add(tick.Code);
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
