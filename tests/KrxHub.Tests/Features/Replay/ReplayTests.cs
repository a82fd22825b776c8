using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Replay;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests.Replay;

/// <summary>`serve --replay` and POST /api/conditions/{id}/replay over a day recorded from real bars (<see cref="RecordedDay"/>).</summary>
public class ReplayTests
{
    [Fact]
    public async Task Serve_replay_plays_a_recorded_day_through_the_live_path_labelled_replay()
    {
        // 09:00 to 15:25 of recorded time in about 12 s.
        string? recording = null;
        await using var hub = await LiveHub.StartReplayAsync(dir => [recording = RecordedDay.Write(dir)], speed: 2_000);
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["005930"]}""");
        var samsung = LiveTestData.Bar("005930", RecordedDay.Date);
        var recorded = RecordedDay.Ticks.Where(t => t.Code.Value == "005930").ToList();

        // The ticks arrive on /ws as recorded (time, price, totals), labelled replay, up to the close.
        var received = new List<JsonElement>();
        while (received.Count == 0 || received[^1].GetProperty("time").GetDateTimeOffset() != recorded[^1].Time)
        {
            var message = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "tick");
            received.Add(message);
        }

        Assert.All(received, m => Assert.Equal("replay", m.GetProperty("source").GetString()));
        var close = received[^1];
        Assert.Equal(samsung.Close, close.GetProperty("price").GetDecimal());
        Assert.Equal(samsung.Volume, close.GetProperty("accVolume").GetInt64());
        Assert.Equal(recorded[^1].Change, close.GetProperty("change").GetDecimal());
        Assert.Contains(received, m => m.GetProperty("time").GetDateTimeOffset() == recorded[2].Time); // streamed, not only the last state

        // The source shows as replay everywhere; the phase is the recording's; the replay is not recorded again.
        var status = await hub.StatusAsync();
        Assert.Equal(("replay", true, true), (status.GetProperty("source").GetString(), status.GetProperty("sourceUp").GetBoolean(), status.GetProperty("runsHere").GetBoolean()));
        Assert.Equal("closing-auction", status.GetProperty("session").GetProperty("phase").GetString());
        Assert.Equal(RecordedDay.ClosingAuction.At, status.GetProperty("session").GetProperty("at").GetDateTimeOffset());
        Assert.False(status.GetProperty("recording").GetProperty("active").GetBoolean());
        var health = JsonDocument.Parse(await hub.Client.GetStringAsync(new Uri("/health/ready", UriKind.Relative))).RootElement;
        var live = health.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "live");
        Assert.Equal(("healthy", "replay runs on this node"), (live.GetProperty("status").GetString(), live.GetProperty("description").GetString()));
        var quote = JsonDocument.Parse(await hub.Client.GetStringAsync(new Uri("/api/quotes/005930", UriKind.Relative))).RootElement;
        Assert.Equal(("replay", samsung.Close), (quote.GetProperty("source").GetString(), quote.GetProperty("price").GetDecimal()));
        var recordings = hub.Services.GetRequiredService<EventRecorder>().Directory;
        Assert.Equal([recording!], Directory.GetFiles(recordings));
        Assert.Empty(await hub.Store.GetMinuteBarsAsync(samsung.Code, RecordedDay.At(9, 0, 0), RecordedDay.At(16, 0, 0), CancellationToken.None));
    }

    [Fact]
    public async Task Krxhub_serve_replay_plays_the_days_recording_as_its_live_source()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        RecordedDay.Write(test.DataDirectory);
        using var process = HubProcess.Start(test.CliArgs, ["--replay", "2024-02-13", "--speed", "1000000"]);
        using var client = new HttpClient { BaseAddress = await process.AddressAsync() };
        JsonElement status = default;
        await LiveHub.EventuallyAsync(async () =>
        {
            status = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/live/status", UriKind.Relative));
            return status.GetProperty("eventsIn").GetInt64() == RecordedDay.Ticks.Count && process.Output().Contains("replay finished", StringComparison.Ordinal);
        }, "every recorded trade published");
        Assert.Equal("replay", status.GetProperty("source").GetString());
        Assert.Equal("closing-auction", status.GetProperty("session").GetProperty("phase").GetString());
        Assert.False(status.GetProperty("recording").GetProperty("active").GetBoolean());
        Assert.Single(Directory.GetFiles(RecordingFiles.DirectoryFor(test.DataDirectory))); // the replay is not recorded again
    }

    [Fact]
    public async Task Serve_refuses_a_replay_of_nothing_with_one_line()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var (exit, _, stderr) = await CliProcess.RunAsync(["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", "--replay", "2024-02-13", .. test.CliArgs]);
        Assert.Equal(1, exit);
        Assert.Equal($"error: --replay 2024-02-13: no recording of that day in {RecordingFiles.DirectoryFor(test.DataDirectory)}", stderr.Trim());

        var file = RecordedDay.Write(test.DataDirectory);
        (exit, _, stderr) = await CliProcess.RunAsync(["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", "--replay", file, "--speed", "0", .. test.CliArgs]);
        Assert.Equal((1, "error: --speed must be above 0 and at most 1000000, not 0"), (exit, stderr.Trim()));
    }

    [Fact]
    public async Task A_condition_replayed_over_a_recorded_day_returns_the_entries_and_exits_a_brute_force_finds_and_writes_nothing()
    {
        await using var hub = await LiveHub.StartAsync();
        RecordedDay.Write(Path.GetDirectoryName(hub.Services.GetRequiredService<EventRecorder>().Directory)!);
        using var created = await hub.Client.PostAsJsonAsync(new Uri("/api/conditions", UriKind.Relative),
            new { name = "3% above yesterday", expression = "close > 1.03 * ref(close, 1)", market = "KOSDAQ" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var response = await hub.Client.PostAsJsonAsync(new Uri($"/api/conditions/{id}/replay?every=30s", UriKind.Relative), new { date = "2024-02-13" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var replay = await response.Content.ReadFromJsonAsync<JsonElement>();
        var events = replay.GetProperty("events").EnumerateArray()
            .Select(e => (Time: e.GetProperty("time").GetDateTimeOffset(), Code: e.GetProperty("code").GetString()!, Event: e.GetProperty("event").GetString()!)).ToList();

        // Brute force: a stock of the master listed on KOSDAQ that day matches while its last trade is above 1.03 × its close of
        // the session before; it is evaluated at the first 30 s instant of the KST clock at or after each of its trades.
        var kosdaq = (await hub.Store.GetAllStocksAsync(CancellationToken.None)).Where(s => s.Market == Market.Kosdaq && s.IsListedOn(RecordedDay.Date)).Select(s => s.Code).ToHashSet();
        var previousSession = TestData.Calendar.PreviousSession(RecordedDay.Date)!.Value;
        var previousClose = LiveTestData.On(previousSession).ToDictionary(b => b.Code, b => b.Close);
        var instants = Enumerable.Range(0, 2 * 60 * 24).Select(k => RecordedDay.At(0, 0, 0).AddSeconds(30 * k)).ToList();
        var expected = new List<(DateTimeOffset Time, string Code, string Event)>();
        foreach (var stock in RecordedDay.Ticks.Where(t => kosdaq.Contains(t.Code) && previousClose.ContainsKey(t.Code)).GroupBy(t => t.Code))
        {
            var matching = false;
            foreach (var tick in stock)
            {
                if (tick.Price > 1.03m * previousClose[stock.Key] != matching)
                {
                    matching = !matching;
                    expected.Add((instants.First(i => i >= tick.Time), stock.Key.Value, matching ? "entry" : "exit"));
                }
            }
        }

        Assert.Contains(expected, e => e.Event == "entry");
        Assert.Contains(expected, e => e.Event == "exit");
        Assert.Equal(expected.OrderBy(e => e.Time).ThenBy(e => e.Code, StringComparer.Ordinal), events.OrderBy(e => e.Time).ThenBy(e => e.Code, StringComparer.Ordinal));
        Assert.Equal(RecordedDay.Ticks.Count, replay.GetProperty("ticks").GetInt64());
        Assert.Equal(("2024-02-13", "raw", 30), (replay.GetProperty("date").GetString(), replay.GetProperty("basis").GetString(), replay.GetProperty("everySeconds").GetInt32()));
        var first = replay.GetProperty("events")[0];
        Assert.Equal(first.GetProperty("price").GetDecimal(), first.GetProperty("values").GetProperty("close").GetDecimal());
        Assert.Equal("KOSDAQ", first.GetProperty("market").GetString());

        // The same by the file's name; nothing was written: no matches, no history, no alerts.
        using var byFile = await hub.Client.PostAsJsonAsync(new Uri($"/api/conditions/{id}/replay", UriKind.Relative), new { file = "events-2024-02-13.jsonl.gz" });
        Assert.Equal(events.Count, (await byFile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("events").GetArrayLength());
        var results = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri($"/api/conditions/{id}/results", UriKind.Relative));
        Assert.Equal((0, 0), (results.GetProperty("matching").GetArrayLength(), results.GetProperty("events").GetArrayLength()));
        Assert.Equal(0, (await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/alerts", UriKind.Relative))).GetArrayLength());

        // Coarser instants find the same stocks, never more evaluations; bad requests are named.
        using var hourly = await hub.Client.PostAsJsonAsync(new Uri($"/api/conditions/{id}/replay?every=1h", UriKind.Relative), new { date = "2024-02-13" });
        var coarse = await hourly.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(coarse.GetProperty("evaluations").GetInt32() < replay.GetProperty("evaluations").GetInt32());
        Assert.Equal(expected.Where(e => e.Event == "entry").Select(e => e.Code).ToHashSet(),
            coarse.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("event").GetString() == "entry").Select(e => e.GetProperty("code").GetString()!).ToHashSet());
        async Task<HttpStatusCode> StatusOf(string query, object body)
        {
            using var r = await hub.Client.PostAsJsonAsync(new Uri($"/api/conditions/{query}", UriKind.Relative), body);
            return r.StatusCode;
        }

        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf($"{id}/replay?every=0s", new { date = "2024-02-13" }));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusOf($"{id}/replay", new { date = "2024-02-13", file = "events-2024-02-13.jsonl.gz" }));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"{id}/replay", new { file = "../krxhub.db" }));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"{id}/replay", new { date = "2024-02-14" }));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOf($"{id + 1}/replay", new { date = "2024-02-13" }));
    }
}
