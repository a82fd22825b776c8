using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Testing;
using static KrxHub.Tests.LiveTestData;

namespace KrxHub.Tests;

/// <summary>Several hub nodes on one PostgreSQL: one live source, LISTEN/NOTIFY fan-out to the others.</summary>
public class LiveBackplaneTests
{
    private static readonly DateOnly Jan2 = new(2024, 1, 2);

    private static readonly LiveOptions FastElection = new()
    {
        // Apart from every other interval, so that the election rounds can be counted on the clock.
        LeaseRetryInterval = TimeSpan.FromMilliseconds(190),
        BackplaneHeartbeatInterval = TimeSpan.FromMilliseconds(200),
    };

    [PostgresFact]
    public async Task A_tick_of_the_node_running_the_live_source_reaches_a_WebSocket_client_of_the_other_node_and_only_one_node_runs_it()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var location = new StoreLocation(test.DataDirectory, test.Database);
        var feedA = new ReplayFeed();
        var feedB = new ReplayFeed();
        var clock = new FixedTime(FixedTime.Default.GetUtcNow());
        await using var a = await LiveHub.StartAsync(location, FastElection, feedA, time: clock);
        await using var b = await LiveHub.StartAsync(location, FastElection, feedB, time: clock);
        await Task.WhenAny(feedA.Running, feedB.Running);
        var (leader, follower) = feedA.HasRun ? (a, b) : (b, a);

        // Ten election rounds of the follower later (counted on the clock, not slept), still exactly one feed has run.
        var rounds = clock.TimersOf(FastElection.LeaseRetryInterval) + 10;
        await LiveHub.EventuallyAsync(() => Task.FromResult(clock.TimersOf(FastElection.LeaseRetryInterval) >= rounds), "ten more election rounds");
        Assert.True(feedA.HasRun ^ feedB.HasRun, "both nodes ran the live source");
        await LiveHub.EventuallyAsync(async () => (await follower.StatusAsync()).GetProperty("sourceUp").GetBoolean(), "the follower hears the leader");
        var followerStatus = await follower.StatusAsync();
        Assert.False(followerStatus.GetProperty("runsHere").GetBoolean());
        Assert.Equal("replay", followerStatus.GetProperty("source").GetString());
        Assert.True((await leader.StatusAsync()).GetProperty("runsHere").GetBoolean());

        await using var ws = await follower.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["005930"]}""");
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());

        await leader.Feed!.PushAsync(TickOf(Bar("005930", Jan2), TodayAt(10, 0, 1, 250)));
        var tick = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "tick" && !m.TryGetProperty("stale", out _));
        Assert.Equal(79_600m, tick.GetProperty("price").GetDecimal());
        Assert.Equal(17_142_847, tick.GetProperty("accVolume").GetInt64());
        Assert.Equal(TodayAt(10, 0, 1, 250), tick.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("replay", tick.GetProperty("source").GetString());

        // A burst far larger than one NOTIFY payload (8,000 bytes) arrives whole, in batches.
        var bars = On(Jan2).ToList();
        foreach (var (bar, i) in bars.Select((bar, i) => (bar, i)))
        {
            await leader.Feed.PushAsync(TickOf(bar, TodayAt(10, 1).AddMilliseconds(i)));
        }

        await LiveHub.EventuallyAsync(async () => (await follower.StatusAsync()).GetProperty("backplane").GetProperty("received").GetInt64() == 1 + bars.Count,
            $"{bars.Count} ticks over the backplane");
        var sent = (await leader.StatusAsync()).GetProperty("backplane");
        Assert.True(sent.GetProperty("sentPayloads").GetInt64() >= bars.Count * 150 / 8_000, $"{sent} payloads for {bars.Count} ticks");
        Assert.Equal(0, sent.GetProperty("dropped").GetInt64());
        Assert.Equal(0, (await follower.StatusAsync()).GetProperty("backplane").GetProperty("dropped").GetInt64());

        // The follower ranks the same ticks as the leader.
        using var leaderRanking = JsonDocument.Parse(await leader.Client.GetStringAsync(new Uri("/api/rankings?metric=value&n=30", UriKind.Relative)));
        using var followerRanking = JsonDocument.Parse(await follower.Client.GetStringAsync(new Uri("/api/rankings?metric=value&n=30", UriKind.Relative)));
        Assert.Equal(leaderRanking.RootElement.GetProperty("rows").GetRawText(), followerRanking.RootElement.GetProperty("rows").GetRawText());

        // When the leader goes away, the other node takes the live source over.
        var followerFeed = ReferenceEquals(follower, a) ? feedA : feedB;
        await leader.DisposeAsync();
        await followerFeed.Running.WaitAsync(TimeSpan.FromSeconds(30));
        await LiveHub.EventuallyAsync(async () => (await follower.StatusAsync()).GetProperty("runsHere").GetBoolean(), "the follower runs the source");
    }

    [PostgresFact]
    public async Task Two_hub_processes_on_one_PostgreSQL_run_one_simulator_and_a_client_of_the_other_process_gets_its_ticks()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        string[] codes = ["005930", "000660", "035420", "035720", "051910", "006400", "068270", "207940", "005380", "000270"];
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            var csv = TestData.TempFile(test.DataDirectory, "closes.csv",
                ["code,date,open,high,low,close,volume,change_pct", .. TestData.RealRawRows(codes, new DateOnly(2024, 2, 13), new DateOnly(2024, 2, 13))]);
            await TestData.ImportAsync(store, csv, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);
        }

        var fastElection = new Dictionary<string, string?>
        {
            ["KRXHUB_LIVE__LEASERETRYINTERVAL"] = "00:00:00.500",
            ["KRXHUB_LIVE__BACKPLANEHEARTBEATINTERVAL"] = "00:00:00.500",
        };
        using var a = HubProcess.Start(test.Database!, fastElection);
        using var b = HubProcess.Start(test.Database!, fastElection);
        var (urlA, urlB) = (await a.AddressAsync(), await b.AddressAsync());
        using var http = new HttpClient();
        async Task<JsonElement> Status(Uri url) =>
            JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "/api/live/status"))).RootElement.Clone();

        // One process wins the election and runs the simulator; the other hears it over the backplane.
        JsonElement sa = default, sb = default;
        await LiveHub.EventuallyAsync(async () =>
        {
            (sa, sb) = (await Status(urlA), await Status(urlB));
            return sa.GetProperty("runsHere").GetBoolean() != sb.GetProperty("runsHere").GetBoolean()
                && sa.GetProperty("sourceUp").GetBoolean() && sb.GetProperty("sourceUp").GetBoolean();
        }, "one process runs the simulator, both see it up");
        Assert.Equal("simulated", sa.GetProperty("source").GetString());
        Assert.Equal("simulated", sb.GetProperty("source").GetString());
        var follower = sa.GetProperty("runsHere").GetBoolean() ? urlB : urlA;

        await using var ws = await WsClient.ConnectAsync(follower);
        await ws.SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes }));
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());
        var tick = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "tick" && !m.TryGetProperty("stale", out _));
        Assert.Equal("simulated", tick.GetProperty("source").GetString());
        Assert.Contains(tick.GetProperty("code").GetString(), codes);
        var followerStatus = await Status(follower);
        Assert.False(followerStatus.GetProperty("runsHere").GetBoolean());
        Assert.True(followerStatus.GetProperty("backplane").GetProperty("received").GetInt64() > 0);
    }
}
