using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Import;
using KrxHub.Features.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>
/// The live fan-out under load: a server process (the hub, with an injected feed producing T ticks/s over every listed
/// stock) and N WebSocket clients in this process, each subscribed to 20 random codes and one ranking, for D seconds.
/// Each tick is stamped with the instant the feed hands it to the hub; a client's latency is its receive time minus that
/// stamp (same machine, same clock). The same-run baseline is a plain fan-out in the same server process shape: one
/// serialization per tick, one unbounded queue per client, one SendAsync per message, no coalescing, no rankings.
/// </summary>
internal static class WsBench
{
    private const string Ready = "listening ";

    public static async Task<int> RunAsync(string[] args)
    {
        var clients = IntOption(args, "--clients", 1_000);
        var ticksPerSecond = IntOption(args, "--ticks", 20_000);
        var seconds = IntOption(args, "--seconds", 60);
        var codesPerClient = IntOption(args, "--codes", 20);
        var runs = IntOption(args, "--runs", 1);
        var warmup = IntOption(args, "--warmup", 20);
        var withBaseline = !args.Contains("--no-baseline");
        var dir = StringOption(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "krxhub-bench-ws");
        var codes = await PrepareStoreAsync(dir);

        var results = new List<WsRun>();
        for (var run = 1; run <= runs; run++)
        {
            foreach (var mode in withBaseline ? new[] { "hub", "baseline" } : ["hub"])
            {
                var result = await RunOnceAsync(mode, run, dir, codes, clients, ticksPerSecond, warmup, seconds, codesPerClient);
                results.Add(result);
                Print(result);
            }
        }

        var hub = results.Where(r => r.Mode == "hub").ToList();
        var baseline = results.Where(r => r.Mode == "baseline").ToList();
        Print(new
        {
            bench = "ws",
            summary = true,
            clients,
            ticksPerSecond,
            seconds,
            warmupSeconds = warmup,
            runs,
            deliveredPerSecond = Median(hub.Select(r => r.ClientMessagesPerSecond)),
            p50Ms = Median(hub.Select(r => r.P50Ms)),
            p99Ms = Median(hub.Select(r => r.P99Ms)),
            maxMs = Median(hub.Select(r => r.MaxMs)),
            coalesced = Median(hub.Select(r => (double)r.Coalesced)),
            starvedClients = hub.Max(r => r.StarvedClients),
            serverCpuCores = Median(hub.Select(r => r.ServerCpuCores)),
            serverPeakRssMb = hub.Max(r => r.ServerPeakRssMb),
            serverRssFirstQuarterMb = Median(hub.Select(r => r.RssFirstQuarterMb)),
            serverRssLastQuarterMb = Median(hub.Select(r => r.RssLastQuarterMb)),
            baselineP50Ms = baseline.Count > 0 ? Median(baseline.Select(r => r.P50Ms)) : (double?)null,
            baselineP99Ms = baseline.Count > 0 ? Median(baseline.Select(r => r.P99Ms)) : (double?)null,
            baselineDeliveredPerSecond = baseline.Count > 0 ? Median(baseline.Select(r => r.ClientMessagesPerSecond)) : (double?)null,
            baselineServerCpuCores = baseline.Count > 0 ? Median(baseline.Select(r => r.ServerCpuCores)) : (double?)null,
            baselineServerPeakRssMb = baseline.Count > 0 ? baseline.Max(r => r.ServerPeakRssMb) : (double?)null,
            target = "p99 < 50 ms, no client starved, RSS < 400 MB and flat",
            met = Median(hub.Select(r => r.P99Ms)) < 50 && hub.Max(r => r.StarvedClients) == 0 && hub.Max(r => r.ServerPeakRssMb) < 400,
            note = "clients, server and feed share the machine's cores",
            cores = Environment.ProcessorCount,
        });
        return 0;
    }

    /// <summary>The store (master + bundled history, loaded once and kept in <paramref name="dir"/>); returns the listed codes with a close.</summary>
    private static async Task<StockCode[]> PrepareStoreAsync(string dir)
    {
        await using var store = MarketStore.Open(null, dir);
        await store.MigrateAsync(CancellationToken.None);
        await BundledLoader.LoadMissingAsync(store, BundledData.LoadCalendar(), TimeProvider.System, showProgress: false, CancellationToken.None);
        return [.. (await BenchFeed.LastClosesAsync(store)).Keys.OrderBy(c => c.Value, StringComparer.Ordinal)];
    }

    private static async Task<WsRun> RunOnceAsync(string mode, int run, string dir, StockCode[] codes, int clientCount, int ticksPerSecond, int warmup, int seconds, int codesPerClient)
    {
        // The feed runs warm-up + measured seconds; the first `warmup` seconds are not measured (JIT tiers, thread pool ramp-up).
        var server = StartServer(mode, dir, ticksPerSecond, warmup + seconds);
        try
        {
            var address = await server.AddressAsync();
            var random = new Random(run);
            var histogram = new LatencyHistogram();
            var clients = new List<BenchClient>(clientCount);
            string[] markets = ["KOSPI", "KOSDAQ", "KONEX", "ALL"];
            string[] metrics = ["volume", "value", "change"];
            for (var i = 0; i < clientCount; i++)
            {
                var picked = codes.OrderBy(_ => random.Next()).Take(codesPerClient).Select(c => c.Value).ToArray();
                var client = await BenchClient.ConnectAsync(address, histogram);
                await client.SubscribeAsync(picked, markets[random.Next(markets.Length)], metrics[random.Next(metrics.Length)]);
                clients.Add(client);
            }

            await Task.WhenAll(clients.Select(c => c.Acknowledged));
            await server.Process.StandardInput.WriteLineAsync("start");
            await Task.Delay(TimeSpan.FromSeconds(warmup));
            using var http = new HttpClient();
            var before = await StatsAsync(http, address, mode);
            var cpuBefore = ServerCpuSeconds(server.Process.Id);
            var ownCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

            // Go: the feed runs for `seconds`; RSS and CPU of the server are sampled every second.
            var started = Stopwatch.StartNew();
            histogram.Recording = true;
            foreach (var client in clients)
            {
                client.StartMeasuring();
            }

            var rss = new List<double>();
            while (started.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await Task.Delay(1_000);
                rss.Add(ServerRssMb(server.Process.Id));
            }

            var cpu = ServerCpuSeconds(server.Process.Id) - cpuBefore;
            var ownCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownCpuBefore).TotalSeconds;
            var elapsed = started.Elapsed.TotalSeconds;
            histogram.Recording = false;
            foreach (var client in clients)
            {
                client.StopMeasuring();
            }

            var after = await StatsAsync(http, address, mode);
            var peak = ServerPeakRssMb(server.Process.Id);
            await server.Process.StandardInput.WriteLineAsync("quit");
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            var received = clients.Sum(c => c.TicksMeasured + c.OthersMeasured);
            var perClient = clients.Select(c => (double)c.TicksMeasured).Order().ToList();
            var quarter = Math.Max(1, rss.Count / 4);
            return new WsRun(
                "ws", mode, run, clientCount, ticksPerSecond, seconds,
                ClientMessagesPerSecond: Math.Round(received / elapsed),
                ServerDeliveredPerSecond: after.Delivered is { } d && before.Delivered is { } b ? Math.Round((d - b) / elapsed) : null,
                ServerTicksInPerSecond: after.EventsIn is { } ei && before.EventsIn is { } bi ? Math.Round((ei - bi) / elapsed) : null,
                TicksPerClientMedian: Median(perClient),
                TicksPerClientMin: perClient[0],
                P50Ms: histogram.Percentile(0.50),
                P99Ms: histogram.Percentile(0.99),
                MaxMs: histogram.Max,
                LatencySamples: histogram.Count,
                Coalesced: (after.Coalesced ?? 0) - (before.Coalesced ?? 0),
                StarvedClients: clients.Count(c => c.Starved),
                LongestClientGapMs: Math.Round(clients.Max(c => c.LongestGap.TotalMilliseconds)),
                ServerCpuCores: Math.Round(cpu / elapsed, 2),
                ClientCpuCores: Math.Round(ownCpu / elapsed, 2),
                ServerPeakRssMb: Math.Round(peak),
                RssFirstQuarterMb: Math.Round(rss.Take(quarter).Average()),
                RssLastQuarterMb: Math.Round(rss.TakeLast(quarter).Average()),
                RssSamplesMb: [.. rss.Select(r => Math.Round(r))],
                MaxMsPerSecond: histogram.PerSecond(seconds).MaxMs,
                Over50MsPerSecond: histogram.PerSecond(seconds).Over50Ms);
        }
        finally
        {
            if (!server.Process.HasExited)
            {
                await server.Process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).ContinueWith(_ => { });
                if (!server.Process.HasExited)
                {
                    server.Process.Kill(entireProcessTree: true);
                }
            }

            server.Process.Dispose();
        }
    }

    private sealed record WsRun(
        string Bench, string Mode, int Run, int Clients, int TicksPerSecond, int Seconds,
        double ClientMessagesPerSecond, double? ServerDeliveredPerSecond, double? ServerTicksInPerSecond, double TicksPerClientMedian, double TicksPerClientMin,
        double P50Ms, double P99Ms, double MaxMs, long LatencySamples, long Coalesced, int StarvedClients, double LongestClientGapMs,
        double ServerCpuCores, double ClientCpuCores, double ServerPeakRssMb, double RssFirstQuarterMb, double RssLastQuarterMb,
        double[] RssSamplesMb, double[] MaxMsPerSecond, long[] Over50MsPerSecond);

    private static async Task<(long? Delivered, long? Coalesced, long? EventsIn)> StatsAsync(HttpClient http, Uri address, string mode)
    {
        if (mode != "hub")
        {
            return (null, null, null);
        }

        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(address, "/api/live/status")));
        var root = document.RootElement;
        return (root.GetProperty("delivered").GetInt64(), root.GetProperty("coalesced").GetInt64() + root.GetProperty("coalescedIn").GetInt64(),
            root.GetProperty("eventsIn").GetInt64());
    }

    // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    private static double ServerCpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static double ServerRssMb(int pid) => StatusKb(pid, "VmRSS:") / 1024.0;

    private static double ServerPeakRssMb(int pid) => StatusKb(pid, "VmHWM:") / 1024.0;

    private static long StatusKb(int pid, string key)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private sealed class ServerProcess(Process process)
    {
        private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Process Process { get; } = process;

        public Task<Uri> AddressAsync() => _address.Task.WaitAsync(TimeSpan.FromMinutes(2));

        public async Task ReadAsync()
        {
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith(Ready, StringComparison.Ordinal))
                {
                    _address.TrySetResult(new Uri(line[Ready.Length..]));
                }
                else
                {
                    Console.Error.WriteLine($"[server] {line}");
                }
            }

            _address.TrySetException(new InvalidOperationException("the server exited before listening"));
        }
    }

    private static ServerProcess StartServer(string mode, string dir, int ticksPerSecond, int seconds)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(WsBench).Assembly.Location);
        }

        foreach (var a in new[] { "ws-server", mode, dir, ticksPerSecond.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        var server = new ServerProcess(Process.Start(psi)!);
        _ = server.ReadAsync();
        return server;
    }

    /// <summary>The server side (a child process): `ws-server hub|baseline &lt;data-dir&gt; &lt;ticks/s&gt; &lt;seconds&gt;`; stdin "start" runs the feed, "quit" ends.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var (mode, dir) = (args[0], args[1]);
        var ticksPerSecond = int.Parse(args[2], CultureInfo.InvariantCulture);
        var seconds = int.Parse(args[3], CultureInfo.InvariantCulture);
        var store = MarketStore.Open(null, dir);
        await store.MigrateAsync(CancellationToken.None);
        var feed = await BenchFeed.CreateAsync(store, ticksPerSecond, TimeSpan.FromSeconds(seconds));
        WebApplication app;
        if (mode == "hub")
        {
            // Every client holds 21 subscriptions; the cap stays at its default.
            // KRXHUB_BENCH_SEND_INTERVAL_MS overrides LiveOptions.SendInterval, to compare send rounds with sending at once.
            var live = Environment.GetEnvironmentVariable("KRXHUB_BENCH_SEND_INTERVAL_MS") is { } ms
                ? new LiveOptions { SendInterval = TimeSpan.FromMilliseconds(int.Parse(ms, CultureInfo.InvariantCulture)) }
                : new LiveOptions();
            app = HubApp.Build(new HubOptions(new StoreLocation(dir, null), "http://127.0.0.1:0", false) { ShowProgress = false, LiveFeed = feed, Live = live },
                store, BundledData.LoadCalendar());
        }
        else
        {
            app = BaselineFanOut.Build(feed);
        }

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine(Ready + address);
        while (Console.ReadLine() is { } command && command != "quit")
        {
            if (command == "start")
            {
                feed.Start();
            }
        }

        await app.StopAsync();
        await app.DisposeAsync();
        if (mode != "hub")
        {
            await store.DisposeAsync();
        }

        return 0;
    }

    /// <summary>
    /// Ticks at a fixed rate over every listed stock with a stored close (codes uniformly at random), each stamped with the
    /// instant it is handed over; prices walk one tick of the KRX grid at a time around the last close.
    /// </summary>
    internal sealed class BenchFeed(StockCode[] codes, Market[] markets, decimal[] closes, int ticksPerSecond, TimeSpan duration, TimeProvider? time = null) : ILiveFeed
    {
        private readonly TimeProvider _time = time ?? TimeProvider.System;
        private Action<LiveEvent>? _publish;

        private readonly TaskCompletionSource _start = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Source => "bench";

        public static async Task<Dictionary<StockCode, decimal>> LastClosesAsync(MarketStore store)
        {
            var listed = (await store.GetAllStocksAsync(CancellationToken.None)).Where(s => s.DelistingDate is null).ToList();
            var closes = await store.GetLastRawClosesBeforeAsync(listed.ToDictionary(s => s.Code, _ => DateOnly.MaxValue), CancellationToken.None);
            return closes.ToDictionary(kv => kv.Key, kv => kv.Value.Close);
        }

        public static async Task<BenchFeed> CreateAsync(MarketStore store, int ticksPerSecond, TimeSpan duration, TimeProvider? time = null, StockCode? except = null)
        {
            var closes = await LastClosesAsync(store);
            if (except is { } left)
            {
                closes.Remove(left);
            }

            var master = (await store.GetAllStocksAsync(CancellationToken.None)).ToDictionary(s => s.Code);
            var codes = closes.Keys.OrderBy(c => c.Value, StringComparer.Ordinal).ToArray();
            return new BenchFeed(codes, [.. codes.Select(c => master[c].Market)], [.. codes.Select(c => closes[c])], ticksPerSecond, duration, time);
        }

        public void Start() => _start.TrySetResult();

        public Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct) => Task.CompletedTask;

        /// <summary>Ticks handed over since the start (fewer than asked when the hub pushes back).</summary>
        public long Produced => Interlocked.Read(ref _produced);

        private long _produced;

        /// <summary>Hands one more event to the hub beside the generated ticks (false until the hub runs the feed).</summary>
        public bool Publish(LiveEvent e)
        {
            if (Volatile.Read(ref _publish) is not { } publish)
            {
                return false;
            }

            publish(e);
            return true;
        }

        public async Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
        {
            Volatile.Write(ref _publish, publish);
            await _start.Task.WaitAsync(ct);
            // An outside source: its own thread, blocking when the hub pushes back (no tick is dropped here).
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    Produce(publish, ct);
                    done.TrySetResult();
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            })
            {
                IsBackground = true,
                Name = "bench feed",
            };
            thread.Start();
            await done.Task;
            await Task.Delay(Timeout.Infinite, ct);
        }

        private void Produce(Action<LiveEvent> publish, CancellationToken ct)
        {
            var random = new Random(7);
            var prices = (decimal[])closes.Clone();
            var accVolume = new long[codes.Length];
            var accValue = new decimal[codes.Length];
            // The day's limits once per stock: the feed runs in the hub's process, and what it spends is taken from the hub.
            var date = DateOnly.FromDateTime(_time.GetUtcNow().ToOffset(KrxCalendar.KstOffset).DateTime);
            var limits = closes.Select((close, i) => KrxRules.PriceLimits(close, markets[i], date)).ToArray();
            var clock = Stopwatch.StartNew();
            long produced = 0;
            while (clock.Elapsed < duration)
            {
                var due = (long)(clock.Elapsed.TotalSeconds * ticksPerSecond);
                for (; produced < due; produced++)
                {
                    var i = random.Next(codes.Length);
                    var now = _time.GetUtcNow().ToOffset(KrxCalendar.KstOffset);
                    var tick = KrxRules.TickSize(prices[i], markets[i], date) ?? 1m;
                    var price = Math.Max(tick, prices[i] + tick * random.Next(-1, 2));
                    prices[i] = Math.Clamp(price, limits[i].Lower, limits[i].Upper);
                    var volume = 1L + random.Next(1_000);
                    accVolume[i] += volume;
                    accValue[i] += prices[i] * volume;
                    var change = prices[i] - closes[i];
                    var e = new LiveTick(codes[i], now, Source, prices[i], change, Math.Round(change / closes[i] * 100m, 2), volume,
                        accVolume[i], accValue[i], closes[i], Math.Max(closes[i], prices[i]), Math.Min(closes[i], prices[i]));
                    publish(e);

                    Interlocked.Increment(ref _produced);
                }

                Thread.Sleep(1);
            }
        }
    }

    /// <summary>
    /// The baseline: a plain fan-out with the standard WebSocket API: tick JSON serialized once and queued, unbounded, to
    /// every subscriber's own writer loop, one SendAsync per message; no coalescing, rankings, heartbeats or minute bars.
    /// </summary>
    private static class BaselineFanOut
    {
        public static WebApplication Build(BenchFeed feed)
        {
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            app.UseWebSockets();
            var subscribers = new Dictionary<StockCode, List<Channel<byte[]>>>();
            var gate = new Lock();
            app.Map("/ws", async (HttpContext context) =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var queue = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
                var writer = Task.Run(async () =>
                {
                    await foreach (var message in queue.Reader.ReadAllAsync())
                    {
                        await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                });
                var buffer = new byte[64 * 1024];
                var mine = new List<StockCode>();
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    using var request = JsonDocument.Parse(buffer.AsMemory(0, result.Count));
                    if (request.RootElement.TryGetProperty("codes", out var codes))
                    {
                        lock (gate)
                        {
                            foreach (var code in codes.EnumerateArray().Select(c => StockCode.Parse(c.GetString())))
                            {
                                (subscribers.TryGetValue(code, out var list) ? list : subscribers[code] = []).Add(queue);
                                mine.Add(code);
                            }
                        }
                    }

                    queue.Writer.TryWrite("{\"op\":\"subscribed\"}"u8.ToArray());
                }

                lock (gate)
                {
                    foreach (var code in mine)
                    {
                        subscribers[code].Remove(queue);
                    }
                }

                queue.Writer.TryComplete();
                await writer;
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            });

            var lifetime = app.Lifetime.ApplicationStopping;
            _ = Task.Run(async () =>
            {
                var events = Channel.CreateUnbounded<LiveEvent>();
                _ = feed.RunAsync(e => events.Writer.TryWrite(e), lifetime);
                await foreach (var e in events.Reader.ReadAllAsync(lifetime))
                {
                    var message = LiveMessages.Payload(LiveMessages.Tick((LiveTick)e)).ToArray();
                    lock (gate)
                    {
                        if (subscribers.TryGetValue(e.Code, out var list))
                        {
                            foreach (var queue in list)
                            {
                                queue.Writer.TryWrite(message);
                            }
                        }
                    }
                }
            }, lifetime);
            return app;
        }
    }

    /// <summary>One /ws client: subscribes, then reads everything, timing ticks and watching for gaps.</summary>
    private sealed class BenchClient : IAsyncDisposable
    {
        private static readonly byte[] TickPrefix = "{\"op\":\"tick\""u8.ToArray();
        private static readonly byte[] TimeKey = "\"time\":\""u8.ToArray();

        private readonly ClientWebSocket _socket;
        private readonly LatencyHistogram _histogram;
        private readonly TaskCompletionSource _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private Task? _reading;
        private int _acks;
        private volatile bool _measuring;
        private long _lastMessageTimestamp;
        private long _ticks;
        private long _others;

        private BenchClient(ClientWebSocket socket, LatencyHistogram histogram)
        {
            _socket = socket;
            _histogram = histogram;
        }

        public Task Acknowledged => _acknowledged.Task;

        public long TicksMeasured => Interlocked.Read(ref _ticks);

        public long OthersMeasured => Interlocked.Read(ref _others);

        public TimeSpan LongestGap { get; private set; }

        /// <summary>No tick at all, or a stretch of more than 2 s without any message, while measuring.</summary>
        public bool Starved => TicksMeasured == 0 || LongestGap > TimeSpan.FromSeconds(2);

        public static async Task<BenchClient> ConnectAsync(Uri address, LatencyHistogram histogram)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new UriBuilder(address) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
            var client = new BenchClient(socket, histogram);
            client._reading = client.ReadAsync();
            return client;
        }

        public async Task SubscribeAsync(string[] codes, string market, string metric)
        {
            await SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes }));
            await SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "rankings", market, metric, n = 20 }));
        }

        public void StartMeasuring()
        {
            Volatile.Write(ref _lastMessageTimestamp, Stopwatch.GetTimestamp());
            _measuring = true;
        }

        public void StopMeasuring()
        {
            _measuring = false;
            var gap = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastMessageTimestamp));
            if (gap > LongestGap)
            {
                LongestGap = gap;
            }
        }

        private Task SendAsync(string json) => _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var count = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(count), _stop.Token);
                        count += result.Count;
                    }
                    while (!result.EndOfMessage);

                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var received = TimeProvider.System.GetUtcNow();
                    var message = buffer.AsSpan(0, count);
                    if (message.IndexOf("\"op\":\"subscribed\""u8) >= 0 && Interlocked.Increment(ref _acks) == 2)
                    {
                        _acknowledged.TrySetResult();
                    }

                    if (!_measuring)
                    {
                        continue;
                    }

                    var now = Stopwatch.GetTimestamp();
                    var gap = Stopwatch.GetElapsedTime(_lastMessageTimestamp, now);
                    if (gap > LongestGap)
                    {
                        LongestGap = gap;
                    }

                    Volatile.Write(ref _lastMessageTimestamp, now);
                    if (message.StartsWith(TickPrefix) && message.IndexOf("\"stale\""u8) < 0)
                    {
                        var at = message.IndexOf(TimeKey) + TimeKey.Length;
                        var end = message[at..].IndexOf((byte)'"');
                        if (TryParseTime(message.Slice(at, end), out var time))
                        {
                            _histogram.Record(received - time);
                        }

                        Interlocked.Increment(ref _ticks);
                    }
                    else
                    {
                        Interlocked.Increment(ref _others);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }

        /// <summary>
        /// Reads the ISO 8601 time System.Text.Json writes (yyyy-MM-ddTHH:mm:ss[.f…](Z|±HH:mm)) straight from the bytes:
        /// the general DateTimeOffset parser cost ~7% of the clients' CPU, which the hub under test then lacked.
        /// </summary>
        private static bool TryParseTime(ReadOnlySpan<byte> t, out DateTimeOffset time)
        {
            time = default;
            if (t.Length < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':')
            {
                return false;
            }

            static int Digits(ReadOnlySpan<byte> d)
            {
                var value = 0;
                foreach (var c in d)
                {
                    value = (value * 10) + (c - '0');
                }

                return value;
            }

            var at = 19;
            long fraction = 0;
            var scale = TimeSpan.TicksPerSecond;
            if (t[at] == '.')
            {
                at++;
                while (at < t.Length && char.IsAsciiDigit((char)t[at]))
                {
                    scale /= 10;
                    fraction += (t[at] - '0') * scale;
                    at++;
                }
            }

            var offset = TimeSpan.Zero;
            if (t[at] is (byte)'+' or (byte)'-')
            {
                offset = new TimeSpan(Digits(t.Slice(at + 1, 2)), Digits(t.Slice(at + 4, 2)), 0) * (t[at] == '-' ? -1 : 1);
            }

            var local = new DateTime(Digits(t[..4]), Digits(t.Slice(5, 2)), Digits(t.Slice(8, 2)), Digits(t.Slice(11, 2)), Digits(t.Slice(14, 2)), Digits(t.Slice(17, 2)), DateTimeKind.Unspecified);
            time = new DateTimeOffset(local.AddTicks(fraction), offset);
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_reading is not null)
            {
                await _reading;
            }

            _socket.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>Latencies in 0.1 ms buckets up to 60 s, recorded from many threads.</summary>
    private sealed class LatencyHistogram
    {
        private const int BucketsPerMs = 10;
        private readonly long[] _buckets = new long[60_000 * BucketsPerMs + 1];
        private readonly long[] _maxTicksPerSecond = new long[3_600];
        private readonly long[] _over50MsPerSecond = new long[3_600];
        private long _count;
        private long _maxTicks;
        private long _startedTimestamp;
        private volatile bool _recording;

        /// <summary>Starts or stops recording; starting also starts the per-second series (second 0 = now).</summary>
        public bool Recording
        {
            get => _recording;
            set
            {
                if (value)
                {
                    Interlocked.Exchange(ref _startedTimestamp, Stopwatch.GetTimestamp());
                }

                _recording = value;
            }
        }

        /// <summary>Per second of the run: the largest latency and how many ticks took over 50 ms (to see when stalls happen).</summary>
        public (double[] MaxMs, long[] Over50Ms) PerSecond(int seconds) =>
            ([.. _maxTicksPerSecond.Take(seconds).Select(t => Math.Round(TimeSpan.FromTicks(t).TotalMilliseconds))], [.. _over50MsPerSecond.Take(seconds)]);

        public long Count => Interlocked.Read(ref _count);

        public double Max => Math.Round(TimeSpan.FromTicks(Interlocked.Read(ref _maxTicks)).TotalMilliseconds, 2);

        public void Record(TimeSpan latency)
        {
            if (!Recording)
            {
                return;
            }

            var bucket = (int)Math.Clamp(latency.TotalMilliseconds * BucketsPerMs, 0, _buckets.Length - 1);
            Interlocked.Increment(ref _buckets[bucket]);
            Interlocked.Increment(ref _count);
            var ticks = latency.Ticks;
            RaiseTo(ref _maxTicks, ticks);
            var second = (int)Math.Min(Stopwatch.GetElapsedTime(Interlocked.Read(ref _startedTimestamp)).TotalSeconds, _maxTicksPerSecond.Length - 1);
            RaiseTo(ref _maxTicksPerSecond[second], ticks);
            if (latency.TotalMilliseconds > 50)
            {
                Interlocked.Increment(ref _over50MsPerSecond[second]);
            }
        }

        private static void RaiseTo(ref long target, long value)
        {
            long seen;
            while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }

        public double Percentile(double p)
        {
            var target = (long)Math.Ceiling(Count * p);
            long seen = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                seen += _buckets[i];
                if (seen >= target && target > 0)
                {
                    return Math.Round((i + 1) / (double)BucketsPerMs, 1);
                }
            }

            return double.NaN;
        }
    }
}
