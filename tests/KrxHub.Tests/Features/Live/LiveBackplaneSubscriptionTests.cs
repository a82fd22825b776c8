using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Testing;
using Npgsql;
using static KrxHub.Tests.LiveTestData;

namespace KrxHub.Tests;

/// <summary>
/// Subscriptions across nodes: the clients of every node on one PostgreSQL reach the node that runs the live source, so
/// that its feed (the Kiwoom client registers only what it is asked for) follows their codes too.
/// </summary>
public class LiveBackplaneSubscriptionTests
{
    private static readonly DateOnly Jan2 = new(2024, 1, 2);

    private static readonly LiveOptions Source = new()
    {
        LeaseRetryInterval = TimeSpan.FromMilliseconds(200),
        BackplaneHeartbeatInterval = TimeSpan.FromMilliseconds(500),
    };

    // Never runs the source: node A is the one that does, whatever the election timing.
    private static readonly LiveOptions Follower = Source with { RunSource = false, MaxSubscriptions = 2_000 };

    private static bool Follows(ReplayFeed feed, string code) => feed.Codes.Contains(StockCode.Parse(code));

    /// <summary>A PostgreSQL test database holding the bundled master, for the hubs of one test.</summary>
    private static async Task<TestStore> CreateStoreAsync()
    {
        var test = await TestStore.CreateAsync("postgresql");
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        return test;
    }

    [PostgresFact]
    public async Task A_client_of_another_node_makes_the_source_node_follow_its_code_gets_its_ticks_and_the_code_drops_out_when_it_leaves_or_its_node_falls_silent()
    {
        await using var test = await CreateStoreAsync();
        var location = new StoreLocation(test.DataDirectory, test.Database);
        var feed = new ReplayFeed();
        await using var a = await LiveHub.StartAsync(location, Source, feed);
        await feed.Running.WaitAsync(TimeSpan.FromSeconds(30));
        await using var b = await LiveHub.StartAsync(location, Follower, null);

        // A's own client: its code is followed as before.
        await using var onA = await a.ConnectAsync();
        await onA.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["005930"]}""");
        Assert.Equal("subscribed", (await onA.ReceiveAsync()).GetProperty("op").GetString());
        await LiveHub.EventuallyAsync(() => Task.FromResult(Follows(feed, "005930")), "A's feed follows its own client's code");
        Assert.False(Follows(feed, "000660"));

        // A client of B asks for codes nobody on A follows: A's feed is asked for them too.
        await using var onB = await b.ConnectAsync();
        await onB.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["000660","000270"]}""");
        Assert.Equal("subscribed", (await onB.ReceiveAsync()).GetProperty("op").GetString());
        await LiveHub.EventuallyAsync(() => Task.FromResult(Follows(feed, "005930") && Follows(feed, "000660") && Follows(feed, "000270")),
            "A's feed follows B's codes as well");
        Assert.Equal(3, feed.Codes.Count);
        var statusA = await a.StatusAsync();
        Assert.Equal(3, statusA.GetProperty("followedCodes").GetInt32());
        Assert.Equal(1, statusA.GetProperty("remoteNodes").GetInt32());
        await LiveHub.EventuallyAsync(async () => (await b.StatusAsync()).GetProperty("followedCodes").GetInt32() == 3, "B sees the same union");

        // A trade the feed then sends for B's code reaches B's client over the backplane.
        var skHynix = Bar("000660", Jan2);
        await feed.PushAsync(TickOf(skHynix, TodayAt(10, 0, 2, 500)));
        var tick = await onB.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "tick" && !m.TryGetProperty("stale", out _));
        Assert.Equal("000660", tick.GetProperty("code").GetString());
        Assert.Equal(skHynix.Close, tick.GetProperty("price").GetDecimal());
        Assert.Equal(skHynix.Volume, tick.GetProperty("accVolume").GetInt64());
        Assert.Equal(TodayAt(10, 0, 2, 500), tick.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("replay", tick.GetProperty("source").GetString());

        // B's client unsubscribes one code: it drops out of A's set, the other stays (B is still heard).
        await onB.SendAsync("""{"op":"unsubscribe","channel":"ticks","codes":["000660"]}""");
        await onB.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "unsubscribed");
        await LiveHub.EventuallyAsync(() => Task.FromResult(!Follows(feed, "000660") && Follows(feed, "000270") && Follows(feed, "005930")),
            "000660 drops out of A's set after the unsubscribe");

        // A book subscription counts too; the client disconnecting takes its code out.
        await using var bookClient = await b.ConnectAsync();
        await bookClient.SendAsync("""{"op":"subscribe","channel":"book","codes":["035420"]}""");
        Assert.Equal("subscribed", (await bookClient.ReceiveAsync()).GetProperty("op").GetString());
        await LiveHub.EventuallyAsync(() => Task.FromResult(Follows(feed, "035420")), "A's feed follows B's book code");
        await bookClient.DisposeAsync();
        await LiveHub.EventuallyAsync(() => Task.FromResult(!Follows(feed, "035420") && Follows(feed, "000270")),
            "035420 drops out when B's book client disconnects");

        // A node that falls silent (gone without a word) is forgotten after three missed heartbeats, with its codes. It is
        // played here by the test itself on the channel: it announces 035720 like a node would, until A follows it, then stops.
        await using var silent = new NpgsqlConnection(test.Database);
        await silent.OpenAsync();
        var announcements = 0;
        while (!Follows(feed, "035720") || (await a.StatusAsync()).GetProperty("remoteNodes").GetInt32() != 2)
        {
            Assert.True(announcements++ < 150, "A's feed never followed the silent node's code");
            foreach (var payload in SubscriptionPart.Payloads("test:silent-node", 1, [StockCode.Parse("035720")], PostgresBackplane.MaxPayloadBytes))
            {
                await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", silent);
                notify.Parameters.AddWithValue("channel", PostgresBackplane.Channel);
                notify.Parameters.AddWithValue("payload", payload);
                await notify.ExecuteNonQueryAsync();
            }

            await Task.Delay(200);
        }

        await LiveHub.EventuallyAsync(async () => !Follows(feed, "035720") && (await a.StatusAsync()).GetProperty("remoteNodes").GetInt32() == 1,
            "the silent node's code drops out");
        Assert.Equal(["000270", "005930"], feed.Codes.Select(c => c.Value).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(2, (await a.StatusAsync()).GetProperty("followedCodes").GetInt32());
    }

    [PostgresFact]
    public async Task A_set_of_2000_master_codes_travels_in_several_NOTIFY_payloads_and_reaches_the_source_node_whole()
    {
        await using var test = await CreateStoreAsync();
        var location = new StoreLocation(test.DataDirectory, test.Database);
        var feed = new ReplayFeed();
        await using var a = await LiveHub.StartAsync(location, Source, feed);
        await feed.Running.WaitAsync(TimeSpan.FromSeconds(30));
        await using var b = await LiveHub.StartAsync(location, Follower, null);
        var nodeB = (await b.StatusAsync()).GetProperty("node").GetString();

        // A third listener on the channel sees what travels between the nodes.
        var payloads = new ConcurrentQueue<string>();
        await using var listener = new NpgsqlConnection(test.Database);
        await listener.OpenAsync();
        listener.Notification += (_, e) => payloads.Enqueue(e.Payload);
        await using (var listen = new NpgsqlCommand($"LISTEN {PostgresBackplane.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        using var stopListening = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await listener.WaitAsync(stopListening.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var codes = RemoteSubscriptionsTests.MasterCodes(2_000);
        await using var onB = await b.ConnectAsync();
        await onB.SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes = codes.Select(c => c.Value) }));
        Assert.Equal("subscribed", (await onB.ReceiveAsync()).GetProperty("op").GetString());

        await LiveHub.EventuallyAsync(() => Task.FromResult(feed.Codes.Count == 2_000), "A's feed is asked for 2,000 codes");
        Assert.True(feed.Codes.ToHashSet().SetEquals(codes));
        var statusA = await a.StatusAsync();
        Assert.Equal(2_000, statusA.GetProperty("followedCodes").GetInt32());
        Assert.Equal(1, statusA.GetProperty("remoteNodes").GetInt32());

        await stopListening.CancelAsync();
        await listening;
        var parts = new List<(SubscriptionPart Part, int Bytes)>();
        foreach (var payload in payloads)
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.GetProperty("n").GetString() == nodeB && document.RootElement.TryGetProperty("subs", out var subs))
            {
                parts.Add((SubscriptionPart.Read(subs), Encoding.UTF8.GetByteCount(payload)));
            }
        }

        // The set of 2,000 went out in three parts, each under PostgreSQL's 8,000-byte limit, together exactly the codes.
        var full = parts.Where(p => p.Part.Parts > 1).ToList();
        Assert.NotEmpty(full);
        Assert.All(full, p => Assert.Equal(3, p.Part.Parts));
        Assert.All(full, p => Assert.True(p.Bytes < 8_000, $"{p.Bytes} bytes"));
        var oneSet = full.GroupBy(p => (p.Part.Version, p.Part.Part)).Select(g => g.First().Part).GroupBy(p => p.Version).Single().ToList();
        Assert.Equal(3, oneSet.Count);
        Assert.True(oneSet.SelectMany(p => p.Codes).ToHashSet().SetEquals(codes));
    }
}
