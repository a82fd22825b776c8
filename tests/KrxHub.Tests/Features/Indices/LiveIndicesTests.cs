using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Features.Import;

namespace KrxHub.Tests;

/// <summary>The /ws indices channel with real WebSocket clients: levels from a replay feed (as Kiwoom 0J gives them) and from the simulator.</summary>
public class LiveIndicesTests
{
    private static string Op(JsonElement m) => m.GetProperty("op").GetString()!;

    // The real closes of 2026-03-20 (FinanceDataReader cache), sent as live levels.
    private static LiveIndexLevel Level(string code, decimal level, decimal change, DateTimeOffset at) =>
        new(code, at, "replay", level, change, Math.Round(change * 100 / (level - change), 2), null, null, null, null, null);

    [Fact]
    public async Task Subscribers_get_every_index_level_in_one_message_and_a_snapshot_on_subscribing()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        await using var early = await hub.ConnectAsync();
        await early.SendAsync("""{"op":"subscribe","channel":"indices","id":1}""");
        var ack = await early.ReceiveAsync();
        Assert.Equal(("subscribed", "indices", 1), (Op(ack), ack.GetProperty("channel").GetString(), ack.GetProperty("id").GetInt32()));

        var at = new DateTimeOffset(2026, 3, 20, 15, 30, 0, KrxCalendar.KstOffset);
        await hub.Feed.PushAsync(Level("1001", 5781.2m, 17.98m, at));
        var first = await early.ReceiveUntilAsync(m => Op(m) == "indices");
        await hub.Feed.PushAsync(Level("2001", 1161.52m, 18.04m, at));
        var second = await early.ReceiveUntilAsync(m => Op(m) == "indices" && m.GetProperty("levels").GetArrayLength() == 2);

        var kospi = Assert.Single(first.GetProperty("levels").EnumerateArray());
        Assert.Equal(("1001", "KOSPI", 5781.2m, 17.98m, 0.31m), (kospi.GetProperty("code").GetString(), kospi.GetProperty("name").GetString(),
            kospi.GetProperty("level").GetDecimal(), kospi.GetProperty("change").GetDecimal(), kospi.GetProperty("changePct").GetDecimal()));
        Assert.Equal(("replay", false, at), (kospi.GetProperty("source").GetString(), kospi.GetProperty("simulated").GetBoolean(), kospi.GetProperty("time").GetDateTimeOffset()));
        Assert.Equal(["1001", "2001"], second.GetProperty("levels").EnumerateArray().Select(l => l.GetProperty("code").GetString()));

        await using var late = await hub.ConnectAsync();
        await late.SendAsync("""{"op":"subscribe","channel":"indices"}""");
        Assert.Equal("subscribed", Op(await late.ReceiveAsync()));
        var snapshot = await late.ReceiveAsync();
        Assert.Equal(second.GetRawText(), snapshot.GetRawText());

        await early.SendAsync("""{"op":"unsubscribe","channel":"indices"}""");
        Assert.Equal("unsubscribed", Op(await early.ReceiveUntilAsync(m => Op(m) == "unsubscribed")));
        await hub.Feed.PushAsync(Level("1028", 862.5m, 0.13m, at));
        Assert.Equal(3, (await late.ReceiveUntilAsync(m => Op(m) == "indices")).GetProperty("levels").GetArrayLength());
        var list = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/indices", UriKind.Relative));
        Assert.Equal(JsonValueKind.Array, list.ValueKind); // the template store holds no index bars: the list is empty, live levels or not
    }

    [Fact]
    public async Task The_simulator_publishes_KOSPI_and_KOSDAQ_scaled_to_their_last_stored_closes_and_labelled_simulated()
    {
        // A Monday session after the bundled histories end (2026-03-20): the simulator's indices start from those closes.
        var start = new DateTimeOffset(2026, 3, 23, 10, 0, 0, KrxCalendar.KstOffset);
        await using var hub = await LiveHub.StartSimulatedAsync(new ShiftedTime(start - DateTimeOffset.UtcNow), store =>
            BundledLoader.LoadIndicesAsync(store, TestData.Calendar, HubServer.IndexLoadTime, new HashSet<string>(), false, CancellationToken.None));

        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"indices"}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));
        var message = await ws.ReceiveUntilAsync(m => Op(m) == "indices" && m.GetProperty("levels").GetArrayLength() == 2, TimeSpan.FromSeconds(30));

        foreach (var (level, close) in message.GetProperty("levels").EnumerateArray().Zip([5781.2m, 1161.52m]))
        {
            Assert.Equal(("simulated", true), (level.GetProperty("source").GetString(), level.GetProperty("simulated").GetBoolean()));
            Assert.Equal(level.GetProperty("level").GetDecimal() - close, level.GetProperty("change").GetDecimal());
            Assert.InRange(level.GetProperty("level").GetDecimal() / close, 0.95m, 1.05m);
            Assert.StartsWith("2026-03-23T10:", level.GetProperty("time").GetString(), StringComparison.Ordinal);
        }

        var list = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/indices", UriKind.Relative));
        var kospi = list.EnumerateArray().Single(i => i.GetProperty("code").GetString() == "1001");
        Assert.Equal(5781.2m, kospi.GetProperty("lastClose").GetDecimal());
        Assert.True(kospi.GetProperty("live").GetProperty("simulated").GetBoolean());
    }

    /// <summary>The real clock, moved by a fixed offset: timers and delays run in real time.</summary>
    private sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
