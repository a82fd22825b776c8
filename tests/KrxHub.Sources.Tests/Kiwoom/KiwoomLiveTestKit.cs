using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Sources.Kiwoom;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>
/// Reports the time the test sets; timers (Task.Delay, timeouts) run on real time, so reconnect backoff and timeouts
/// work while the date the feed stamps on events stays under the test's control.
/// </summary>
internal sealed class SettableClock(DateTimeOffset now) : TimeProvider
{
    private long _utcTicks = now.UtcTicks;

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _utcTicks, value.UtcTicks);
    }

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>One real daily bar of the bundled raw KRX history (marcap layout): what Kiwoom would show at that day's close.</summary>
internal sealed record RealBar(StockCode Code, DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, decimal Change, decimal ChangePct, long Volume, decimal Amount)
{
    public decimal PreviousClose => Close - Change;

    private static readonly Lazy<List<RealBar>> All = new(Load);

    /// <summary>Every bar of data/history/krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz that traded, in file order.</summary>
    public static IReadOnlyList<RealBar> Bars => All.Value;

    public static List<RealBar> Of(string code) => Bars.Where(b => b.Code.Value == code).OrderBy(b => b.Date).ToList();

    public static RealBar On(string code, DateOnly date) => Bars.Single(b => b.Code.Value == code && b.Date == date);

    private static List<RealBar> Load()
    {
        using var file = File.OpenRead(TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var header = Fields(reader.ReadLine()!);
        int Column(string name) => header.IndexOf(name);
        int code = Column("Code"), close = Column("Close"), changes = Column("Changes"), ratio = Column("ChagesRatio"), volume = Column("Volume"),
            amount = Column("Amount"), open = Column("Open"), high = Column("High"), low = Column("Low"), date = Column("Date");
        var bars = new List<RealBar>();
        while (reader.ReadLine() is { } line)
        {
            var f = Fields(line);
            var v = (long)Number(f[volume]);
            if (v == 0)
            {
                continue;
            }

            bars.Add(new RealBar(StockCode.Parse(f[code]), DateOnly.ParseExact(f[date], "yyyy-MM-dd", CultureInfo.InvariantCulture),
                Number(f[open]), Number(f[high]), Number(f[low]), Number(f[close]), Number(f[changes]), Number(f[ratio]), v, Number(f[amount])));
        }

        return bars;
    }

    private static decimal Number(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var i = 0;
        while (i <= line.Length)
        {
            if (i < line.Length && line[i] == '"')
            {
                var end = line.IndexOf('"', i + 1);
                fields.Add(line[(i + 1)..end]);
                i = end + 2;
            }
            else
            {
                var end = line.IndexOf(',', i);
                end = end < 0 ? line.Length : end;
                fields.Add(line[i..end]);
                i = end + 1;
            }
        }

        return fields;
    }
}

/// <summary>
/// One trade as a test means it; <see cref="Entry"/> writes it the way Kiwoom pushes a 0B entry (strings, prices signed
/// against the previous close, FID 25 the direction code) and <see cref="Expected"/> is the tick the client must deliver.
/// </summary>
internal sealed record TradeSpec(
    StockCode Code,
    TimeOnly Time,
    decimal PreviousClose,
    decimal Price,
    decimal Change,
    decimal ChangePct,
    long Qty,
    long AccVolume,
    long AccValueMillions,
    decimal Open,
    decimal High,
    decimal Low,
    decimal BestAsk,
    decimal BestBid)
{
    public const string Strength = "+103.52";
    public const string Session = "2";

    public JsonObject Entry() => new()
    {
        ["type"] = "0B",
        ["name"] = "주식체결",
        ["item"] = Code.Value,
        ["values"] = new JsonObject
        {
            ["20"] = Time.ToString("HHmmss", CultureInfo.InvariantCulture),
            ["10"] = Live.Signed(Price, PreviousClose),
            ["11"] = Live.SignedNumber(Change, "0"),
            ["12"] = Live.SignedNumber(ChangePct, "0.00"),
            ["27"] = Live.Signed(BestAsk, PreviousClose),
            ["28"] = Live.Signed(BestBid, PreviousClose),
            ["15"] = (AccVolume % 2 == 0 ? "+" : "-") + Qty.ToString(CultureInfo.InvariantCulture),
            ["13"] = AccVolume.ToString(CultureInfo.InvariantCulture),
            ["14"] = AccValueMillions.ToString(CultureInfo.InvariantCulture),
            ["16"] = Live.Signed(Open, PreviousClose),
            ["17"] = Live.Signed(High, PreviousClose),
            ["18"] = Live.Signed(Low, PreviousClose),
            ["25"] = Change > 0 ? "2" : Change < 0 ? "5" : "3",
            ["26"] = "-1234567",
            ["228"] = Strength,
            ["290"] = Session,
            ["9081"] = "1",
        },
    };

    public LiveTick Expected(DateOnly kstDate) =>
        new(Code, new DateTimeOffset(kstDate.ToDateTime(Time), TimeSpan.FromHours(9)), LiveSources.Kiwoom, Price, Change, ChangePct, Qty, AccVolume,
            AccValueMillions * 1_000_000m, Open, High, Low)
        {
            BestAsk = BestAsk,
            BestBid = BestBid,
            Strength = 103.52m,
            SessionCode = Session,
        };

    /// <summary>The closing trade of a real day: price, change, rate, volume, value and range exactly as KRX reported them.</summary>
    public static TradeSpec Close(RealBar bar)
    {
        var tick = Live.Tick(bar.Close, bar.Date);
        return new TradeSpec(bar.Code, new TimeOnly(15, 30, 0), bar.PreviousClose, bar.Close, bar.Change, bar.ChangePct, 1 + (bar.Volume % 997),
            bar.Volume, (long)Math.Floor(bar.Amount / 1_000_000m), bar.Open, bar.High, bar.Low, bar.Close + tick, bar.Close);
    }

    /// <summary>
    /// <paramref name="count"/> trades through a real day: prices on the tick grid within the day's real low and high, ending
    /// at the real close, the day's total volume and value shared out so they grow with every trade, 5 seconds apart from 09:00.
    /// </summary>
    public static List<TradeSpec> Day(RealBar bar, int count)
    {
        var tick = Live.Tick(bar.Low, bar.Date);
        var steps = (int)((bar.High - bar.Low) / tick);
        var trades = new List<TradeSpec>(count);
        var (high, low, acc) = (bar.Open, bar.Open, 0L);
        for (var i = 0; i < count; i++)
        {
            var price = i == count - 1 ? bar.Close : i == 0 ? bar.Open : bar.Low + (((i * 7) % (steps + 1)) * tick);
            high = Math.Max(high, price);
            low = Math.Min(low, price);
            var accVolume = bar.Volume * (i + 1) / count;
            var change = price - bar.PreviousClose;
            trades.Add(new TradeSpec(bar.Code, new TimeOnly(9, 0, 0).Add(TimeSpan.FromSeconds(5 * i)), bar.PreviousClose, price, change,
                Math.Round(change / bar.PreviousClose * 100m, 2), accVolume - acc, accVolume, (long)Math.Floor(bar.Amount * (i + 1) / count / 1_000_000m),
                bar.Open, high, low, price + Live.Tick(price, bar.Date), price));
            acc = accVolume;
        }

        return trades;
    }
}

/// <summary>A 10-level 0D entry around a real price; <see cref="Expected"/> is the book the client must deliver.</summary>
internal sealed record BookSpec(StockCode Code, TimeOnly Time, decimal PreviousClose, IReadOnlyList<BookLevel> Asks, IReadOnlyList<BookLevel> Bids)
{
    /// <summary>Best ask one tick above <paramref name="last"/>, best bid at it, 10 levels each side on the grid; quantities vary by level.</summary>
    public static BookSpec Around(StockCode code, TimeOnly time, decimal previousClose, decimal last, DateOnly date, int seed)
    {
        var asks = new List<BookLevel>();
        var bids = new List<BookLevel>();
        var ask = last;
        var bid = last;
        for (var i = 0; i < 10; i++)
        {
            ask += Live.Tick(ask, date);
            asks.Add(new BookLevel(ask, 1_000 + (((seed + i) * 7_919) % 50_000)));
            bids.Add(new BookLevel(bid, 2_000 + (((seed + i) * 6_983) % 40_000)));
            bid -= Live.Tick(bid - 1, date);
        }

        return new BookSpec(code, time, previousClose, asks, bids);
    }

    public JsonObject Entry()
    {
        var values = new JsonObject { ["21"] = Time.ToString("HHmmss", CultureInfo.InvariantCulture) };
        for (var i = 0; i < 10; i++)
        {
            var a = i < Asks.Count ? Asks[i] : new BookLevel(0, 0);
            var b = i < Bids.Count ? Bids[i] : new BookLevel(0, 0);
            values[(41 + i).ToString(CultureInfo.InvariantCulture)] = a.Price == 0 ? "0" : Live.Signed(a.Price, PreviousClose);
            values[(61 + i).ToString(CultureInfo.InvariantCulture)] = a.Qty.ToString(CultureInfo.InvariantCulture);
            values[(81 + i).ToString(CultureInfo.InvariantCulture)] = "-12";
            values[(51 + i).ToString(CultureInfo.InvariantCulture)] = b.Price == 0 ? "0" : Live.Signed(b.Price, PreviousClose);
            values[(71 + i).ToString(CultureInfo.InvariantCulture)] = b.Qty.ToString(CultureInfo.InvariantCulture);
            values[(91 + i).ToString(CultureInfo.InvariantCulture)] = "+34";
        }

        values["121"] = Asks.Sum(l => l.Qty).ToString(CultureInfo.InvariantCulture);
        values["122"] = "-1500";
        values["125"] = Bids.Sum(l => l.Qty).ToString(CultureInfo.InvariantCulture);
        values["126"] = "+2500";
        values["128"] = "+" + (Bids.Sum(l => l.Qty) - Asks.Sum(l => l.Qty)).ToString(CultureInfo.InvariantCulture);
        values["215"] = "2";
        return new JsonObject { ["type"] = "0D", ["name"] = "주식호가잔량", ["item"] = Code.Value, ["values"] = values };
    }
}

internal static class Live
{
    public static readonly TimeSpan Kst = TimeSpan.FromHours(9);

    public static JsonObject Real(params IEnumerable<JsonObject> entries) =>
        new() { ["trnm"] = "REAL", ["data"] = new JsonArray([.. entries]) };

    public static decimal Tick(decimal price, DateOnly date) => KrxRules.TickSize(price, Market.Kospi, date)!.Value;

    /// <summary>A price as Kiwoom writes it: "+" above the previous close, "-" below, bare when equal.</summary>
    public static string Signed(decimal price, decimal previousClose) =>
        (price > previousClose ? "+" : price < previousClose ? "-" : "") + price.ToString("0", CultureInfo.InvariantCulture);

    public static string SignedNumber(decimal value, string format) =>
        (value > 0 ? "+" : value < 0 ? "-" : "") + Math.Abs(value).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>KST wall-clock time on a date, as the clock's UTC instant.</summary>
    public static DateTimeOffset At(DateOnly date, int hour, int minute) => new DateTimeOffset(date.ToDateTime(new TimeOnly(hour, minute)), Kst).ToUniversalTime();
}

/// <summary>
/// The REST fake (token endpoint), the WebSocket fake, a real <see cref="KiwoomClient"/> for tokens and the feed under test
/// with its output drained into <see cref="Events"/>. Both loggers write into <see cref="Logs"/>.
/// </summary>
internal sealed class LiveHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _drain;

    private LiveHarness(SettableClock clock, FakeKiwoomServer rest, FakeKiwoomWebSocketServer ws, CapturingLoggerProvider logs, KiwoomOptions options)
    {
        Clock = clock;
        Rest = rest;
        Ws = ws;
        Logs = logs;
        Options = options;
        Client = KiwoomTestKit.Client(rest, clock, options, logs.CreateLogger<KiwoomClient>());
        Feed = new KiwoomLiveFeed(options, Client.GetAccessTokenAsync, clock, logs.CreateLogger<KiwoomLiveFeed>());
    }

    public SettableClock Clock { get; }

    public FakeKiwoomServer Rest { get; }

    public FakeKiwoomWebSocketServer Ws { get; }

    public CapturingLoggerProvider Logs { get; }

    public KiwoomOptions Options { get; }

    public KiwoomClient Client { get; }

    public KiwoomLiveFeed Feed { get; }

    public ConcurrentQueue<LiveEvent> Events { get; } = new();

    public Task? Run { get; private set; }

    public List<LiveTick> Ticks(string code) => Events.OfType<LiveTick>().Where(t => t.Code.Value == code).ToList();

    public List<OrderBook> Books => Events.OfType<OrderBook>().ToList();

    /// <summary>Starts both fakes. <paramref name="tokenValid"/> overrides the WebSocket server's token check.</summary>
    public static async Task<LiveHarness> StartAsync(DateTimeOffset now, Func<KiwoomOptions, KiwoomOptions>? configure = null, Func<string, bool>? tokenValid = null)
    {
        var clock = new SettableClock(now);
        var rest = await FakeKiwoomServer.StartAsync(clock);
        var ws = await FakeKiwoomWebSocketServer.StartAsync(tokenValid ?? rest.IsTokenValid);
        var options = KiwoomTestKit.Options(rest) with
        {
            WsUrl = ws.WsUrl,
            WsReconnectFirstDelay = TimeSpan.FromMilliseconds(50),
            WsReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        return new LiveHarness(clock, rest, ws, new CapturingLoggerProvider(), configure?.Invoke(options) ?? options);
    }

    public void Start()
    {
        var channel = Channel.CreateUnbounded<LiveEvent>();
        Run = Feed.RunAsync(e => channel.Writer.TryWrite(e), _stop.Token);
        _drain = Task.Run(async () =>
        {
            await foreach (var e in channel.Reader.ReadAllAsync(_stop.Token))
            {
                Events.Enqueue(e);
            }
        });
    }

    /// <summary>The session that logged in as number <paramref name="n"/> (1-based), once it has every wanted code registered.</summary>
    public async Task<FakeKiwoomSession> LoggedInAsync(int n, IReadOnlyCollection<StockCode> codes)
    {
        await Until(() => Ws.LoggedIn.Count >= n && Registered(Ws.LoggedIn[n - 1], codes), $"session {n} logged in with {codes.Count} codes registered");
        return Ws.LoggedIn[n - 1];
    }

    /// <summary>The stock registrations of the session: 0B/0D of exactly these codes (the 0J sector items aside).</summary>
    public static bool Registered(FakeKiwoomSession session, IReadOnlyCollection<StockCode> codes) =>
        session.Registered.Where(r => !r.EndsWith("/0J", StringComparison.Ordinal)).ToHashSet()
            .SetEquals(codes.SelectMany(c => new[] { c.Value + "/0B", c.Value + "/0D" }));

    /// <summary>The session's REG/REMOVE requests of stock codes, in order (the feed's one 0J REG per connection aside).</summary>
    public static List<System.Text.Json.Nodes.JsonObject> StockRegistrations(FakeKiwoomSession session) =>
        [.. session.Registrations.Where(r => r["data"]![0]!["type"]![0]!.GetValue<string>() != "0J")];

    /// <summary>Waits for a condition (polling), failing early if the feed stopped.</summary>
    public async Task Until(Func<bool> condition, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Run is { IsCompleted: true })
            {
                await Run;
                throw new InvalidOperationException($"the feed stopped while waiting for: {what}");
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"timed out waiting for: {what}; status {Feed.Status}");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var task in new[] { Run, _drain })
        {
            if (task is not null)
            {
                try
                {
                    await task;
                }
                catch (OperationCanceledException)
                {
                }
                catch (KiwoomException)
                {
                    // Asserted by the test that expects it.
                }
            }
        }

        await Ws.DisposeAsync();
        await Rest.DisposeAsync();
        _stop.Dispose();
    }
}
