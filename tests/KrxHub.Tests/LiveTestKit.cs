using System.Globalization;
using System.IO.Compression;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>
/// The live feed the hub's tests inject: it replays the events a test pushes (built from real KRX bars), through the
/// same <see cref="ILiveFeed"/> seam as the simulator and the Kiwoom client.
/// </summary>
internal sealed class ReplayFeed(string source = "replay") : ILiveFeed
{
    private readonly Channel<LiveEvent> _queue = Channel.CreateUnbounded<LiveEvent>();
    private readonly TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runs;
    private bool _failing;
    private CancellationTokenSource _failure = new();

    public string Source { get; } = source;

    /// <summary>Completes when the hub first runs this feed (it won the live-source election).</summary>
    public Task Running => _running.Task;

    public bool HasRun => Volatile.Read(ref _runs) > 0;

    public IReadOnlyCollection<StockCode> Codes { get; private set; } = [];

    public ValueTask PushAsync(LiveEvent e) => _queue.Writer.WriteAsync(e);

    public Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct)
    {
        Codes = codes;
        return Task.CompletedTask;
    }

    /// <summary>Makes the feed fail now and on every restart until <see cref="Recover"/>: the live source is down.</summary>
    public void Fail()
    {
        lock (_queue)
        {
            _failing = true;
            _failure.Cancel();
        }
    }

    public void Recover()
    {
        lock (_queue)
        {
            _failing = false;
            _failure = new CancellationTokenSource();
        }
    }

    public async Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
    {
        CancellationToken failure;
        lock (_queue)
        {
            if (_failing)
            {
                throw new InvalidOperationException("the replay feed is failing (test)");
            }

            failure = _failure.Token;
        }

        Interlocked.Increment(ref _runs);
        _running.TrySetResult();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, failure);
        try
        {
            await foreach (var e in _queue.Reader.ReadAllAsync(both.Token))
            {
                publish(e);
            }
        }
        catch (OperationCanceledException) when (failure.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException("the replay feed failed (test)");
        }
    }
}

/// <summary>One real raw KRX bar of the bundled window (marcap file), with KRX's own change figures.</summary>
internal sealed record RawBar(StockCode Code, string Name, string FileMarket, DateOnly Date, decimal Open, decimal High, decimal Low,
    decimal Close, long Volume, decimal Amount, decimal Changes, decimal ChangePct);

internal static class LiveTestData
{
    /// <summary>"Today" of the tests' fixed clock in Seoul (FixedTime.Default is 2025-06-30 09:00 UTC = 18:00 KST).</summary>
    public static readonly DateOnly Today = KrxCalendar.KstDate(FixedTime.Default.GetUtcNow());

    private static readonly Lazy<List<RawBar>> Bars = new(() =>
    {
        var bars = new List<RawBar>();
        using var gz = new GZipStream(File.OpenRead(BundledData.RawWindow), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var header = reader.ReadLine()!.Split(',').Select(h => h.Trim('"')).ToList();
        int I(string name) => header.IndexOf(name);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',').Select(x => x.Trim('"')).ToArray();
            decimal D(string name) => decimal.Parse(f[I(name)], CultureInfo.InvariantCulture);
            bars.Add(new RawBar(StockCode.Parse(f[I("Code")]), f[I("Name")], f[I("Market")], DateOnly.Parse(f[I("Date")], CultureInfo.InvariantCulture),
                D("Open"), D("High"), D("Low"), D("Close"), (long)D("Volume"), D("Amount"), D("Changes"), D("ChagesRatio")));
        }

        return bars;
    });

    /// <summary>The master's market of every code, read straight from the bundled CSVs: the listed file, else the delisted one.</summary>
    public static readonly Lazy<Dictionary<StockCode, Market>> MasterMarkets = new(() =>
    {
        var markets = new Dictionary<StockCode, Market>();
        foreach (var f in ReadCsv(BundledData.Delisted).Skip(1))
        {
            if (StockCode.TryParse(f[1], out var code) && Markets.TryParse(f[3], out var m))
            {
                markets[code] = m;
            }
        }

        var listed = ReadCsv(BundledData.Master).ToList();
        var codeIndex = Array.IndexOf(listed[0], "code");
        var marketIndex = Array.IndexOf(listed[0], "market");
        foreach (var f in listed.Skip(1))
        {
            markets[StockCode.Parse(f[codeIndex])] = Markets.TryParse(f[marketIndex], out var m) ? m : throw new InvalidDataException(f[marketIndex]);
        }

        return markets;
    });

    public static IEnumerable<RawBar> On(DateOnly date) => Bars.Value.Where(b => b.Date == date);

    public static RawBar Bar(string code, DateOnly date) => Bars.Value.Single(b => b.Code.Value == code && b.Date == date);

    /// <summary>
    /// A trade at the bar's close with the day's totals, stamped <paramref name="at"/> (today, so that it ranks live).
    /// </summary>
    public static LiveTick TickOf(RawBar bar, DateTimeOffset at, string source = "replay", long volume = 100) =>
        new(bar.Code, at, source, bar.Close, bar.Changes, bar.ChangePct, volume, bar.Volume, bar.Amount, bar.Open, bar.High, bar.Low);

    public static DateTimeOffset TodayAt(int hour, int minute, int second = 0, int millisecond = 0) =>
        new(Today.ToDateTime(new TimeOnly(hour, minute, second, millisecond)), KrxCalendar.KstOffset);

    /// <summary>A minimal RFC 4180 reader for the master files: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    private static IEnumerable<string[]> ReadCsv(string path)
    {
        var text = File.ReadAllText(path).TrimStart('\uFEFF');
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (ch == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                yield return [.. fields];
                fields.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return [.. fields];
        }
    }
}

/// <summary>
/// A real hub on a loopback port with a <see cref="ReplayFeed"/>: over a private copy of a SQLite store that holds the
/// bundled master and raw window (loaded once per test run), or over a given PostgreSQL database.
/// </summary>
internal sealed class LiveHub : IAsyncDisposable
{
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    private readonly WebApplication _app;
    private readonly string? _ownedDirectory;
    private bool _stopped;

    private LiveHub(WebApplication app, MarketStore store, Uri address, ReplayFeed? feed, string? ownedDirectory)
    {
        _app = app;
        Store = store;
        Address = address;
        Feed = feed;
        _ownedDirectory = ownedDirectory;
        Client = new HttpClient { BaseAddress = address };
    }

    public MarketStore Store { get; }

    public Uri Address { get; }

    public ReplayFeed? Feed { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>A hub over a fresh copy of the template SQLite store.</summary>
    public static async Task<LiveHub> StartAsync(LiveOptions? live = null, ReplayFeed? feed = null, TimeProvider? time = null, HubSettings? settings = null)
    {
        var dir = await CopyTemplateAsync();
        return await StartAsync(new StoreLocation(dir, null), live, feed ?? new ReplayFeed(), dir, time, settings);
    }

    /// <summary>
    /// A hub whose live source is a recording (`serve --replay`), over a fresh copy of the template SQLite store:
    /// <paramref name="record"/> writes the recording into the copy's data directory and returns its files.
    /// </summary>
    public static async Task<LiveHub> StartReplayAsync(Func<string, IReadOnlyList<string>> record, double speed)
    {
        var dir = await CopyTemplateAsync();
        return await StartAsync(new StoreLocation(dir, null), null, null, dir, replay: new KrxHub.Features.Replay.ReplayOptions(record(dir), speed));
    }

    /// <summary>A fresh copy of the template SQLite store (the master and the raw window) in a new temporary directory.</summary>
    public static async Task<string> CopyTemplateAsync()
    {
        var template = await Template.Value;
        var dir = Directory.CreateTempSubdirectory("krxhub-live-").FullName;
        foreach (var file in Directory.GetFiles(template))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }

        return dir;
    }

    /// <summary>
    /// A hub whose live source is the default one without broker keys, the simulated exchange following the KRX calendar,
    /// on <paramref name="time"/>, over a fresh copy of the template SQLite store.
    /// </summary>
    /// <param name="prepare">Loads more into the copy before the hub starts (the simulator reads the store when it starts).</param>
    public static async Task<LiveHub> StartSimulatedAsync(TimeProvider time, Func<MarketStore, Task>? prepare = null)
    {
        var dir = await CopyTemplateAsync();

        if (prepare is not null)
        {
            await using var store = MarketStore.Open(null, dir);
            await store.MigrateAsync(CancellationToken.None);
            await prepare(store);
        }

        return await StartAsync(new StoreLocation(dir, null), null, null, dir, time);
    }

    /// <summary>A hub over an existing store location (e.g. a PostgreSQL database shared with another hub); a null feed is the simulator.</summary>
    public static async Task<LiveHub> StartAsync(StoreLocation location, LiveOptions? live, ReplayFeed? feed, string? ownedDirectory = null, TimeProvider? time = null,
        HubSettings? settings = null, KrxHub.Features.Replay.ReplayOptions? replay = null)
    {
        var store = MarketStore.Open(location.Database, location.DataDirectory);
        await store.MigrateAsync(CancellationToken.None);
        var options = new HubOptions(location, "http://127.0.0.1:0", false)
        {
            Time = time ?? FixedTime.Default,
            ShowProgress = false,
            Live = live ?? new LiveOptions(),
            LiveFeed = feed,
            Settings = settings ?? HubSettings.None,
            Replay = replay,
        };
        var app = HubApp.Build(options, store, TestData.Calendar);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LiveHub(app, store, new Uri(address), feed, ownedDirectory);
    }

    public Task<WsClient> ConnectAsync() => WsClient.ConnectAsync(Address);

    public async Task<JsonElement> StatusAsync()
    {
        using var response = await Client.GetAsync(new Uri("/api/live/status", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Polls until <paramref name="condition"/> holds (the hub works asynchronously); fails after 30 s.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<string> CreateTemplateAsync()
    {
        var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        }

        // Closing the store checkpoints the WAL: the directory now holds one self-contained database file.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return test.DataDirectory;
    }

    /// <summary>Stops the host (the live source's run ends) but keeps the store open for inspection.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
        if (_ownedDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>A real WebSocket client of /ws that reads messages as JSON.</summary>
internal sealed class WsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private WsClient(ClientWebSocket socket) => _socket = socket;

    public WebSocketState State => _socket.State;

    public static async Task<WsClient> ConnectAsync(Uri httpAddress)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(httpAddress) { Scheme = httpAddress.Scheme == "https" ? "wss" : "ws", Path = "/ws" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        return new WsClient(socket);
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) => _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    /// <summary>The next message other than a heartbeat.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var message = await ReceiveAnyAsync(timeout ?? TimeSpan.FromSeconds(30));
            if (message.GetProperty("op").GetString() != "heartbeat")
            {
                return message;
            }
        }
    }

    /// <summary>Messages are skipped until one matches.</summary>
    public async Task<JsonElement> ReceiveUntilAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("no matching message");
            }

            var message = await ReceiveAnyAsync(left);
            if (match(message))
            {
                return message;
            }
        }
    }

    public async Task<JsonElement> ReceiveAnyAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var count = 0;
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(_buffer.AsMemory(count), cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                // A cancelled receive aborts a ClientWebSocket: the connection is unusable after a timeout.
                throw new TimeoutException($"no message within {timeout.TotalSeconds:F1} s");
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"the server closed the connection: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(_buffer.AsMemory(0, count)).RootElement.Clone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
    }
}
