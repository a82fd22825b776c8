using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using KrxHub.Core;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;
using Xunit.Abstractions;

namespace KrxHub.Tests;

/// <summary>
/// Three `krxhub serve` processes on one PostgreSQL database, with the product's default election and backplane settings:
/// shared data, one live source, ticks on every node, failover after a SIGKILL, and each condition evaluated and each alert
/// sent once.
/// </summary>
public partial class ScaleOutTests(ITestOutputHelper output)
{
    private static readonly string[] Followed = ["005930", "000660", "035420"];
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [PostgresFact]
    public async Task Three_hub_processes_on_one_PostgreSQL_share_data_run_one_source_fail_over_within_15_s_and_alert_once()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            // Three sessions of the whole market (02-08 → 02-13 spans the Lunar New Year holidays): a broad session to evaluate.
            await TestData.LoadMasterAsync(store);
            var csv = TestData.TempFile(test.DataDirectory, "closes.csv",
                ["code,date,open,high,low,close,volume,change_pct", .. TestData.RealRawRows(null, new DateOnly(2024, 2, 7), new DateOnly(2024, 2, 13))]);
            await TestData.ImportAsync(store, csv, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);
        }

        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        var environment = new Dictionary<string, string?> { ["KRXHUB_ALERTS__WEBHOOKURL"] = receiver.Url("/hook") };
        var nodes = Enumerable.Range(0, 3).Select(_ => HubProcess.Start(test.Database!, environment)).ToList();
        var clients = new List<TickWatch>();
        var clock = Stopwatch.StartNew();
        try
        {
            var urls = await Task.WhenAll(nodes.Select(n => n.AddressAsync()));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

            // Exactly one node runs the simulator; every node sees it up.
            await PollAsync(async () =>
            {
                var statuses = await Task.WhenAll(urls.Select(u => StatusAsync(http, u)));
                return statuses.Count(s => s.GetProperty("runsHere").GetBoolean()) == 1 && statuses.All(s => s.GetProperty("sourceUp").GetBoolean());
            }, TimeSpan.FromSeconds(45), "one node runs the live source and all three see it up");
            var runsHere = (await Task.WhenAll(urls.Select(u => StatusAsync(http, u)))).Select(s => s.GetProperty("runsHere").GetBoolean()).ToList();
            Assert.Equal(1, runsHere.Count(r => r));
            var owner = runsHere.IndexOf(true);

            // Ticks reach a WebSocket client of every node (two of them over the backplane).
            foreach (var url in urls)
            {
                clients.Add(await TickWatch.StartAsync(url, Followed, clock));
            }

            await PollAsync(() => Task.FromResult(clients.All(c => c.Count > 0)), TimeSpan.FromSeconds(30), "a tick on a client of every node");

            // Shared data: a condition saved through one node is read through the others.
            using var created = await http.PostAsJsonAsync(new Uri(urls[0], "/api/conditions"), new
            {
                name = "5% 이상 상승",
                expression = "change_pct > 5",
                schedule = "eod",
                channels = new[] { "webhook" },
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            foreach (var url in urls.Skip(1))
            {
                var listed = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "/api/conditions"))).RootElement;
                Assert.Contains(listed.EnumerateArray(), c => c.GetProperty("id").GetInt64() == id && c.GetProperty("expression").GetString() == "change_pct > 5");
            }

            // The three schedulers evaluate it once for 2024-02-13; the three senders deliver each alert once.
            await using var store = await test.OpenAsync();
            var session = new DateOnly(2024, 2, 13);
            await PollAsync(async () =>
            {
                var alerts = await store.GetAlertsAsync(null, 100_000, CancellationToken.None);
                return alerts.Count > 0 && alerts.All(a => a.Status == OutboxStatus.Sent) && receiver.Requests("/hook").Count >= alerts.Count;
            }, TimeSpan.FromSeconds(30), "every alert sent");
            var condition = JsonDocument.Parse(await http.GetStringAsync(new Uri(urls[2], $"/api/conditions/{id}"))).RootElement;
            Assert.Equal("2024-02-13", condition.GetProperty("lastSession").GetString());

            var events = await store.GetConditionEventsAsync(id, session, session, CancellationToken.None);
            var outbox = await store.GetAlertsAsync(null, 100_000, CancellationToken.None);
            var received = receiver.Requests("/hook").Select(r => r.Key!).ToList();
            Assert.True(events.Count > 100, $"{events.Count} entries: the condition should match a few hundred stocks");
            Assert.All(events, e => Assert.Equal("entry", e.Event));
            Assert.Equal(events.Count, events.Select(e => e.Code).Distinct().Count());
            Assert.Equal(events.Select(e => e.Id).Order(), outbox.Select(a => a.EventId).Order());
            Assert.Equal(received.Count, received.Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(outbox.Select(a => a.IdempotencyKey).Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));

            // One evaluation in all: the job's run count summed over the three nodes' /metrics.
            var runs = await Task.WhenAll(urls.Select(u => ConditionRunsAsync(http, u)));
            output.WriteLine($"condition runs per node: {string.Join(", ", runs)}; {events.Count} entries, {received.Count} webhook deliveries");
            Assert.Equal(1, runs.Sum());

            // SIGKILL the source's owner: a surviving node takes the source over, and the survivors' clients keep receiving.
            var survivors = Enumerable.Range(0, 3).Where(i => i != owner).ToList();
            var killedAt = clock.Elapsed;
            nodes[owner].Kill();
            var takeover = TimeSpan.Zero;
            await PollAsync(async () =>
            {
                var statuses = await Task.WhenAll(survivors.Select(i => StatusAsync(http, urls[i])));
                takeover = clock.Elapsed;
                return statuses.Count(s => s.GetProperty("runsHere").GetBoolean()) == 1;
            }, TimeSpan.FromSeconds(30), "a surviving node runs the live source");
            await PollAsync(() => Task.FromResult(survivors.All(i => clients[i].LastArrival > takeover)), TimeSpan.FromSeconds(30),
                "a tick after the takeover on a client of each surviving node");

            var gaps = survivors.Select(i => clients[i].LongestGapAround(killedAt, takeover)).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"takeover: {(takeover - killedAt).TotalSeconds:0.00} s after the SIGKILL; longest gap between ticks on the survivors' clients: {string.Join(", ", gaps.Select(g => $"{g.TotalSeconds:0.00} s"))}"));
            Assert.True(takeover - killedAt < Deadline, $"takeover took {takeover - killedAt}");
            Assert.All(gaps, g => Assert.True(g < Deadline, $"a client went {g} without a tick"));
            var after = await Task.WhenAll(survivors.Select(i => StatusAsync(http, urls[i])));
            Assert.Equal(1, after.Count(s => s.GetProperty("runsHere").GetBoolean()));
            Assert.All(after, s => Assert.Equal("simulated", s.GetProperty("source").GetString()));
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }

            foreach (var n in nodes)
            {
                n.Dispose();
            }
        }
    }

    private static async Task<JsonElement> StatusAsync(HttpClient http, Uri url) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "/api/live/status"))).RootElement.Clone();

    /// <summary>How many condition passes this node ran (the `conditions` job's count in its /metrics).</summary>
    private static async Task<long> ConditionRunsAsync(HttpClient http, Uri url)
    {
        var text = await http.GetStringAsync(new Uri(url, "/metrics"));
        return JobCount().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^krxhub_job_duration_seconds_count\{[^}]*job="conditions"[^}]*\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex JobCount();

    private static async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds} s waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A WebSocket client that follows ticks of some codes and notes when each fresh (not stale) tick arrived.</summary>
    private sealed class TickWatch : IAsyncDisposable
    {
        private readonly WsClient _socket;
        private readonly Stopwatch _clock;
        private readonly List<TimeSpan> _arrivals = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        private TickWatch(WsClient socket, Stopwatch clock) => (_socket, _clock) = (socket, clock);

        public int Count
        {
            get
            {
                lock (_arrivals)
                {
                    return _arrivals.Count;
                }
            }
        }

        public TimeSpan LastArrival
        {
            get
            {
                lock (_arrivals)
                {
                    return _arrivals.Count == 0 ? TimeSpan.MinValue : _arrivals[^1];
                }
            }
        }

        /// <summary>Arrivals are noted on <paramref name="clock"/>, the test's own, so that they compare with its instants.</summary>
        public static async Task<TickWatch> StartAsync(Uri url, string[] codes, Stopwatch clock)
        {
            var watch = new TickWatch(await WsClient.ConnectAsync(url), clock);
            await watch._socket.SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes }));
            Assert.Equal("subscribed", (await watch._socket.ReceiveAsync()).GetProperty("op").GetString());
            watch._loop = watch.ReadAsync(watch._stop.Token);
            return watch;
        }

        /// <summary>
        /// The longest time without a tick from the last one before <paramref name="from"/> to the first one after
        /// <paramref name="to"/>: how long this client went dark around the failover.
        /// </summary>
        public TimeSpan LongestGapAround(TimeSpan from, TimeSpan to)
        {
            lock (_arrivals)
            {
                var start = _arrivals.FindLastIndex(a => a <= from);
                var end = _arrivals.FindIndex(a => a > to);
                Assert.True(start >= 0 && end > start, $"ticks before the kill ({start}) and after the takeover ({end})");
                return Enumerable.Range(start, end - start).Max(i => _arrivals[i + 1] - _arrivals[i]);
            }
        }

        private async Task ReadAsync(CancellationToken ct)
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var message = await _socket.ReceiveAnyAsync(TimeSpan.FromMinutes(5));
                    if (message.GetProperty("op").GetString() == "tick" && !message.TryGetProperty("stale", out _))
                    {
                        lock (_arrivals)
                        {
                            _arrivals.Add(_clock.Elapsed);
                        }
                    }
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _socket.DisposeAsync();
            try
            {
                await _loop;
            }
            catch (Exception)
            {
                // The socket closed under the read: the end of the watch, not a failure.
            }

            _stop.Dispose();
        }
    }
}
