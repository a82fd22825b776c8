using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Conditions;
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

namespace KrxHub.Bench;

/// <summary>
/// On-tick latency: a trade that makes 005930 enter (or leave) an on-tick condition, handed to the hub's live bus, until
/// the signed webhook POST reaches a receiver on loopback: evaluation, the event, entry and outbox written in one
/// transaction, the sender woken, the HTTP POST. Every other listed stock trades at --rate ticks/s meanwhile (the on-tick
/// passes evaluate them too). The hub runs in this process on the bundled store, its clock set to 10:00 KST of the session
/// after the stored history and running from there. Baseline in the same run: the same POST sent straight to the receiver.
/// </summary>
internal static class OnTickBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var flips = BenchSupport.IntOption(args, "--flips", 200);
        var rate = BenchSupport.IntOption(args, "--rate", 20_000);
        var dataDir = BenchSupport.StringOption(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "krxhub-bench-backtest");
        var calendar = BundledData.LoadCalendar();
        var store = MarketStore.Open(null, dataDir);
        await store.MigrateAsync(CancellationToken.None);
        await BundledLoader.LoadMissingAsync(store, calendar, TimeProvider.System, showProgress: false, CancellationToken.None);
        foreach (var c in await store.GetConditionsAsync(CancellationToken.None))
        {
            await store.DeleteConditionAsync(c.Id, CancellationToken.None);
        }

        var samsung = StockCode.Parse("005930");
        var lastStored = (await store.GetLatestDateWithBarsAsync(PriceBasis.Adjusted, DateOnly.MaxValue, CancellationToken.None))!.Value;
        var today = calendar.NextSession(lastStored)!.Value;
        var previousClose = (await store.GetBarsAsync(samsung, lastStored, lastStored, PriceBasis.Adjusted, CancellationToken.None))[0].Close;
        var clock = new ShiftedTime(new DateTimeOffset(today.ToDateTime(new TimeOnly(10, 0)), KrxCalendar.KstOffset) - DateTimeOffset.UtcNow);

        await using var receiver = await Receiver.StartAsync();
        var feed = await WsBench.BenchFeed.CreateAsync(store, rate, TimeSpan.FromHours(1), clock, samsung);
        var settings = HubSettings.None with { Alerts = new AlertSettings { WebhookUrl = receiver.Url, WebhookSecret = "bench", DedupeWindowSeconds = 0 } };
        var app = HubApp.Build(new HubOptions(new StoreLocation(dataDir, null), "http://127.0.0.1:0", false)
        {
            ShowProgress = false, LiveFeed = feed, Time = clock, Settings = settings,
            // --no-minute-bars: without the minute-bar recorder's flush each minute (a diagnostic of the store's write contention).
            Live = new LiveOptions { RecordMinuteBars = !args.Contains("--no-minute-bars") },
            ConfigureLogging = logging => logging.SetMinimumLevel(LogLevel.Warning),
        }, store, calendar);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        using (var created = await http.PostAsJsonAsync("/api/conditions", new
        {
            name = "bench on-tick",
            expression = "code == \"005930\" and close > ref(close, 1)",
            schedule = "on-tick",
            channels = new[] { "webhook" },
        }))
        {
            created.EnsureSuccessStatusCode();
        }

        var bus = app.Services.GetRequiredService<LiveBus>();
        feed.Start();
        while (!bus.Ticked.Enabled || !feed.Publish(Tick(samsung, previousClose, clock)))
        {
            await Task.Delay(100);
        }

        // Each flip crosses the previous close, so each makes one event: entry, exit, entry… The first ones warm the day's history.
        var latencies = new List<double>();
        var (pauseBefore, gen2Before, gen1Before) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2), GC.CollectionCount(1));
        for (var i = 0; i < flips + 10; i++)
        {
            await Task.Delay(300); // more than the 250 ms gap: every flip is evaluated at once
            var price = previousClose + (i % 2 == 0 ? 100m : -100m);
            var expected = receiver.Count + 1;
            var sent = Stopwatch.GetTimestamp();
            feed.Publish(Tick(samsung, price, clock));
            var arrived = await receiver.WaitAsync(expected, TimeSpan.FromSeconds(10));
            if (i >= 10)
            {
                latencies.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
            }
        }

        var (gcPause, gen2, gen1) = (GC.GetTotalPauseDuration() - pauseBefore, GC.CollectionCount(2) - gen2Before, GC.CollectionCount(1) - gen1Before);
        var baseline = new List<double>();
        using var direct = new HttpClient();
        for (var i = 0; i < 50; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            var expected = receiver.Count + 1;
            using var response = await direct.PostAsync(receiver.Url, new StringContent("{\"event\":\"baseline\"}"));
            baseline.Add(Stopwatch.GetElapsedTime(sent, await receiver.WaitAsync(expected, TimeSpan.FromSeconds(10))).TotalMilliseconds);
        }

        var events = app.Services.GetRequiredService<LiveSubscriptions>().Stats.EventsIn;
        await app.StopAsync();
        await app.DisposeAsync();
        BenchSupport.Print(new
        {
            benchmark = "on-tick-webhook",
            flips,
            minuteBars = !args.Contains("--no-minute-bars"),
            backgroundTicksPerSecond = rate,
            hubEventsIn = events,
            p50Ms = Math.Round(BenchSupport.Percentile(latencies, 0.5), 1),
            p99Ms = Math.Round(BenchSupport.Percentile(latencies, 0.99), 1),
            maxMs = Math.Round(latencies.Max(), 1),
            baselinePostP50Ms = Math.Round(BenchSupport.Percentile(baseline, 0.5), 2),
            baselinePostP99Ms = Math.Round(BenchSupport.Percentile(baseline, 0.99), 2),
            gcPauseMsDuringFlips = Math.Round(gcPause.TotalMilliseconds),
            gen1CollectionsDuringFlips = gen1,
            gen2CollectionsDuringFlips = gen2,
            targetP99Ms = 100,
        });
        return 0;
    }

    private static LiveTick Tick(StockCode code, decimal price, TimeProvider clock) =>
        new(code, clock.GetUtcNow().ToOffset(KrxCalendar.KstOffset), "bench", price, 0m, 0m, 1, 1_000, price * 1_000, price, price + 500m, price - 500m);

    private sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    /// <summary>A webhook receiver on loopback that stamps each POST's arrival.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly ConcurrentQueue<long> _arrivals = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private WebApplication? _app;

        public string Url { get; private set; } = "";

        public int Count => _arrivals.Count;

        public static async Task<Receiver> StartAsync()
        {
            var receiver = new Receiver();
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            app.Run(async context =>
            {
                var at = Stopwatch.GetTimestamp();
                await context.Request.Body.CopyToAsync(Stream.Null);
                receiver._arrivals.Enqueue(at);
                receiver._arrived.Release();
                context.Response.StatusCode = 200;
            });
            await app.StartAsync();
            receiver._app = app;
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
            return receiver;
        }

        /// <summary>The arrival time of the <paramref name="count"/>-th POST.</summary>
        public async Task<long> WaitAsync(int count, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (_arrivals.Count < count)
            {
                await _arrived.WaitAsync(cts.Token);
            }

            return _arrivals.ElementAt(count - 1);
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }
    }
}
