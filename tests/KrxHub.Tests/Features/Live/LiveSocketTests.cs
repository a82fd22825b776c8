using System.Net.WebSockets;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Live;
using static KrxHub.Tests.LiveTestData;

namespace KrxHub.Tests;

/// <summary>The /ws API against a real hub on Kestrel with real ClientWebSockets, fed real KRX prices by a replay feed.</summary>
public class LiveSocketTests
{
    private static readonly DateOnly Jan2 = new(2024, 1, 2);

    private static string Op(JsonElement m) => m.GetProperty("op").GetString()!;

    private static async Task WaitForEventsAsync(LiveHub hub, long count) =>
        await LiveHub.EventuallyAsync(async () => (await hub.StatusAsync()).GetProperty("eventsIn").GetInt64() >= count, $"{count} events dispatched");

    [Fact]
    public async Task Subscribing_gives_an_ack_then_a_snapshot_of_every_code_then_updates()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        var samsung = Bar("005930", Jan2);
        await hub.Feed.PushAsync(TickOf(samsung, TodayAt(10, 0, 1)));
        await WaitForEventsAsync(hub, 1);

        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["005930","000660"],"id":7}""");

        var ack = await ws.ReceiveAsync();
        Assert.Equal("subscribed", Op(ack));
        Assert.Equal("ticks", ack.GetProperty("channel").GetString());
        Assert.Equal(["005930", "000660"], ack.GetProperty("codes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(7, ack.GetProperty("id").GetInt32());

        // 005930 has traded live: its last tick, exactly as the feed sent it (real 2024-01-02 values).
        var live = await ws.ReceiveAsync();
        Assert.Equal("tick", Op(live));
        Assert.Equal("005930", live.GetProperty("code").GetString());
        Assert.Equal(79_600m, live.GetProperty("price").GetDecimal());
        Assert.Equal(1_100m, live.GetProperty("change").GetDecimal());
        Assert.Equal(1.4m, live.GetProperty("changePct").GetDecimal());
        Assert.Equal(17_142_847, live.GetProperty("accVolume").GetInt64());
        Assert.Equal(1_356_958_225_913m, live.GetProperty("accValue").GetDecimal());
        Assert.Equal(TodayAt(10, 0, 1), live.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("replay", live.GetProperty("source").GetString());
        Assert.False(live.TryGetProperty("stale", out _));

        // 000660 has not: the last stored raw close (2024-02-13, the end of the bundled window), marked stale.
        var last = On(new DateOnly(2024, 2, 13)).Single(b => b.Code.Value == "000660");
        var before = On(new DateOnly(2024, 2, 8)).Single(b => b.Code.Value == "000660");
        var stale = await ws.ReceiveAsync();
        Assert.Equal("tick", Op(stale));
        Assert.Equal("000660", stale.GetProperty("code").GetString());
        Assert.True(stale.GetProperty("stale").GetBoolean());
        Assert.Equal(last.Close, stale.GetProperty("price").GetDecimal());
        Assert.Equal(last.Close - before.Close, stale.GetProperty("change").GetDecimal());
        Assert.Equal(last.ChangePct, stale.GetProperty("changePct").GetDecimal());
        Assert.Equal(last.Volume, stale.GetProperty("accVolume").GetInt64());
        Assert.Equal(new DateTimeOffset(2024, 2, 13, 15, 30, 0, KrxCalendar.KstOffset), stale.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("marcap-csv", stale.GetProperty("source").GetString()); // the source the test store imported it under

        // Then updates, one per trade.
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_700m }, TodayAt(10, 0, 2), volume: 321));
        var update = await ws.ReceiveAsync();
        Assert.Equal(("tick", "005930", 79_700m, 321L), (Op(update), update.GetProperty("code").GetString(),
            update.GetProperty("price").GetDecimal(), update.GetProperty("volume").GetInt64()));
    }

    [Fact]
    public async Task Bad_messages_get_an_error_each_and_the_connection_survives()
    {
        await using var hub = await LiveHub.StartAsync();
        await using var ws = await hub.ConnectAsync();
        (string Message, string Code)[] cases =
        [
            ("not json", "bad_json"),
            ("[1,2]", "bad_message"),
            ("""{"channel":"ticks"}""", "bad_message"),
            ("""{"op":"dance"}""", "unknown_op"),
            ("""{"op":"subscribe","channel":"trades","codes":["005930"]}""", "unknown_channel"),
            ("""{"op":"subscribe","channel":"ticks"}""", "bad_message"),
            ("""{"op":"subscribe","channel":"ticks","codes":"005930"}""", "bad_message"),
            ("""{"op":"subscribe","channel":"ticks","codes":[5930]}""", "bad_message"),
            ("""{"op":"subscribe","channel":"ticks","codes":["5930"]}""", "bad_code"),
            ("""{"op":"subscribe","channel":"rankings","market":"NYSE"}""", "bad_market"),
            ("""{"op":"subscribe","channel":"rankings","metric":"beauty"}""", "bad_metric"),
            ("""{"op":"subscribe","channel":"rankings","n":0}""", "bad_n"),
            ("""{"op":"subscribe","channel":"rankings","n":101}""", "bad_n"),
            ("""{"op":"subscribe","channel":"rankings","n":"20"}""", "bad_n"),
            ("{\"op\":\"subscribe\",\"channel\":\"ticks\",\"codes\":[\"" + new string('0', 70_000) + "\"]}", "message_too_large"),
        ];

        foreach (var (message, code) in cases)
        {
            await ws.SendAsync(message);
            var error = await ws.ReceiveAsync();
            Assert.True(Op(error) == "error", $"{message[..Math.Min(60, message.Length)]}: got {error}");
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        }

        await ws.SendBinaryAsync([1, 2, 3]);
        Assert.Equal("bad_message", (await ws.ReceiveAsync()).GetProperty("code").GetString());

        // The id of a bad request comes back, so a client can tell which request failed.
        await ws.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["12"],"id":"req-1"}""");
        Assert.Equal("req-1", (await ws.ReceiveAsync()).GetProperty("id").GetString());

        // Still connected and working.
        await ws.SendAsync("""{"op":"ping","id":42}""");
        var pong = await ws.ReceiveAsync();
        Assert.Equal(("pong", 42), (Op(pong), pong.GetProperty("id").GetInt32()));
        await ws.SendAsync("""{"op":"subscribe","channel":"session"}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task Unknown_codes_are_refused_and_nothing_of_that_request_is_subscribed()
    {
        await using var hub = await LiveHub.StartAsync();
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"ticks","codes":["005930","999999"]}""");
        var error = await ws.ReceiveAsync();
        Assert.Equal("unknown_code", error.GetProperty("code").GetString());
        Assert.Contains("999999", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("005930", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        await ws.SendAsync("""{"op":"unsubscribe","channel":"ticks"}""");
        var removed = await ws.ReceiveAsync();
        Assert.Equal("unsubscribed", Op(removed));
        Assert.Empty(removed.GetProperty("codes").EnumerateArray());
    }

    [Fact]
    public async Task More_subscriptions_than_the_cap_are_refused_until_some_are_dropped()
    {
        await using var hub = await LiveHub.StartAsync(new LiveOptions { MaxSubscriptions = 5 });
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"book","codes":["005930","000660","035420","035720","051910","006400"]}""");
        var error = await ws.ReceiveAsync();
        Assert.Equal("too_many_subscriptions", error.GetProperty("code").GetString());
        Assert.Contains("limit is 5", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        await ws.SendAsync("""{"op":"subscribe","channel":"book","codes":["005930","000660","035420","035720"]}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));
        await ws.SendAsync("""{"op":"subscribe","channel":"session"}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));
        Assert.Equal("session", Op(await ws.ReceiveAsync()));

        await ws.SendAsync("""{"op":"subscribe","channel":"rankings","market":"KOSPI","metric":"volume","n":20}""");
        Assert.Equal("too_many_subscriptions", (await ws.ReceiveAsync()).GetProperty("code").GetString());

        await ws.SendAsync("""{"op":"unsubscribe","channel":"book","codes":["035720"]}""");
        var removed = await ws.ReceiveAsync();
        Assert.Equal(["035720"], removed.GetProperty("codes").EnumerateArray().Select(c => c.GetString()));
        await ws.SendAsync("""{"op":"subscribe","channel":"rankings","market":"KOSPI","metric":"volume","n":20}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));
    }

    [Fact]
    public async Task A_client_that_never_reads_does_not_delay_a_fast_one_and_costs_at_most_one_message_per_subscription()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        var bars = On(Jan2).Where(b => MasterMarkets.Value.ContainsKey(b.Code)).Take(100).ToList();
        var subscribe = JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes = bars.Select(b => b.Code.Value) });

        // The slow client subscribes to 100 stocks and then never reads a byte.
        await using var slow = await hub.ConnectAsync();
        await slow.SendAsync(subscribe);
        await using var fast = await hub.ConnectAsync();
        await fast.SendAsync(subscribe);
        Assert.Equal("subscribed", Op(await fast.ReceiveAsync()));

        // Rounds of one trade per stock; the next round starts when the fast client has the last trade of this one, so
        // every trade is dispatched (none is merged upstream) and the fast client is never behind by more than a round.
        var round = 0;
        async Task RoundsAsync(int count)
        {
            for (var end = round + count; round < end; round++)
            {
                for (var i = 0; i < bars.Count; i++)
                {
                    await hub.Feed.PushAsync(TickOf(bars[i], TodayAt(10, 0).AddMilliseconds(round), volume: round * 1_000L + i));
                }

                var last = round * 1_000L + bars.Count - 1;
                await fast.ReceiveUntilAsync(m => Op(m) == "tick" && m.GetProperty("volume").GetInt64() == last);
            }
        }

        // ~25 MB for the slow client: far more than its socket buffers hold, so its outbox backs up.
        await RoundsAsync(1_000);
        var status = await hub.StatusAsync();
        Assert.Equal(2, status.GetProperty("clients").GetInt32());
        var queued = status.GetProperty("maxQueued").GetInt32();
        Assert.True(queued > 50 && queued <= bars.Count + 1, $"the slow client has {queued} queued messages (at most one per subscription + heartbeat)");
        var coalesced = status.GetProperty("coalesced").GetInt64();
        Assert.True(coalesced > 0, "nothing was coalesced for the slow client");

        // Another 50 rounds: the slow client's unsent trades are replaced, not added to.
        await RoundsAsync(50);
        status = await hub.StatusAsync();
        Assert.True(status.GetProperty("maxQueued").GetInt32() <= bars.Count + 1);
        var more = status.GetProperty("coalesced").GetInt64() - coalesced;
        Assert.True(more >= 50 * bars.Count / 2, $"only {more} more coalesced in 50 rounds of {bars.Count}");
    }

    [Fact]
    public async Task Session_subscribers_get_the_current_phase_from_the_calendar()
    {
        await using var hub = await LiveHub.StartAsync();
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"session"}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));

        // The fixed clock is Monday 2025-06-30 18:00 KST: after-hours just ended; Tuesday's auction opens at 08:30.
        var session = await ws.ReceiveAsync();
        Assert.Equal("session", Op(session));
        Assert.Equal("closed", session.GetProperty("phase").GetString());
        Assert.Equal(new DateTimeOffset(2025, 6, 30, 18, 0, 0, KrxCalendar.KstOffset), session.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("pre-open", session.GetProperty("next").GetProperty("phase").GetString());
        Assert.Equal(new DateTimeOffset(2025, 7, 1, 8, 30, 0, KrxCalendar.KstOffset), session.GetProperty("next").GetProperty("at").GetDateTimeOffset());
        Assert.False(session.GetProperty("alwaysOpen").GetBoolean());
    }

    [Fact]
    public async Task Order_books_are_pushed_with_their_levels_and_source()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"book","codes":["005930"]}""");
        Assert.Equal("subscribed", Op(await ws.ReceiveAsync()));

        var book = new Core.Live.OrderBook(StockCode.Parse("005930"), TodayAt(10, 0, 3), "replay",
            [new(79_700m, 1_200), new(79_800m, 3_400)], [new(79_600m, 900), new(79_500m, 2_000)], 4_600, 2_900);
        await hub.Feed.PushAsync(book);
        var message = await ws.ReceiveAsync();
        Assert.Equal("book", Op(message));
        Assert.Equal([79_700m, 79_800m], message.GetProperty("asks").EnumerateArray().Select(l => l.GetProperty("price").GetDecimal()));
        Assert.Equal([900L, 2_000L], message.GetProperty("bids").EnumerateArray().Select(l => l.GetProperty("qty").GetInt64()));
        Assert.Equal("replay", message.GetProperty("source").GetString());
        Assert.Equal(TodayAt(10, 0, 3), message.GetProperty("time").GetDateTimeOffset());
    }
}
