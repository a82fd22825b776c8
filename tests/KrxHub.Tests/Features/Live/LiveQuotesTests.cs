using System.Net;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Live;
using static KrxHub.Tests.LiveTestData;

namespace KrxHub.Tests;

/// <summary>Quotes with provenance (live, else stored and stale) and minute bars stored from live ticks.</summary>
public class LiveQuotesTests
{
    private static readonly DateOnly Jan2 = new(2024, 1, 2);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Without_a_live_source_quotes_are_the_last_stored_close_marked_stale()
    {
        await using var hub = await LiveHub.StartAsync(new LiveOptions { RunSource = false });
        var (status, quote) = await GetAsync(hub.Client, "/api/quotes/005930");
        Assert.Equal(HttpStatusCode.OK, status);
        var last = Bar("005930", new DateOnly(2024, 2, 13));
        Assert.True(quote.GetProperty("stale").GetBoolean());
        Assert.Equal(last.Close, quote.GetProperty("price").GetDecimal());
        Assert.Equal(last.ChangePct, quote.GetProperty("changePct").GetDecimal());
        Assert.Equal(last.Volume, quote.GetProperty("volume").GetInt64());
        Assert.Equal(new DateTimeOffset(2024, 2, 13, 15, 30, 0, KrxCalendar.KstOffset), quote.GetProperty("asOf").GetDateTimeOffset());
        Assert.Equal("marcap-csv", quote.GetProperty("source").GetString());
        Assert.Equal(("삼성전자", "KOSPI"), (quote.GetProperty("name").GetString(), quote.GetProperty("market").GetString()));

        var live = await hub.StatusAsync();
        Assert.False(live.GetProperty("sourceUp").GetBoolean());
        Assert.False(live.GetProperty("runsHere").GetBoolean());
        Assert.False(hub.Feed!.HasRun);
    }

    [Fact]
    public async Task When_the_live_source_goes_down_quotes_are_the_stored_minute_bars_of_its_last_trades_marked_stale()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        var samsung = Bar("005930", Jan2);
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_900m }, TodayAt(11, 30, 15)));
        await LiveHub.EventuallyAsync(async () => (await GetAsync(hub.Client, "/api/quotes/005930")).Body.GetProperty("price").GetDecimal() == 79_900m, "the live price");
        Assert.False((await GetAsync(hub.Client, "/api/quotes/005930")).Body.GetProperty("stale").GetBoolean());

        hub.Feed.Fail();
        await LiveHub.EventuallyAsync(async () => !(await hub.StatusAsync()).GetProperty("sourceUp").GetBoolean(), "the source is down");
        // The open minute was completed and stored when the feed stopped; that stored bar is what the hub serves now.
        await LiveHub.EventuallyAsync(async () => (await hub.Store.GetMinuteBarsAsync(samsung.Code, TodayAt(11, 30), TodayAt(11, 31), CancellationToken.None)).Count == 1,
            "the last minute stored");
        var (_, quote) = await GetAsync(hub.Client, "/api/quotes/005930");
        Assert.True(quote.GetProperty("stale").GetBoolean());
        Assert.Equal(79_900m, quote.GetProperty("price").GetDecimal());
        Assert.Equal(TodayAt(11, 31), quote.GetProperty("asOf").GetDateTimeOffset());
        Assert.Equal("replay", quote.GetProperty("source").GetString());
        // Change against the last stored raw daily close (2024-02-13), the previous close the store knows.
        var lastClose = Bar("005930", new DateOnly(2024, 2, 13)).Close;
        Assert.Equal(79_900m - lastClose, quote.GetProperty("change").GetDecimal());

        hub.Feed.Recover();
        await LiveHub.EventuallyAsync(async () => (await hub.StatusAsync()).GetProperty("sourceUp").GetBoolean(), "the source is back");
    }

    [Fact]
    public async Task While_the_live_source_is_up_quotes_are_its_last_trade()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        await hub.Feed.PushAsync(TickOf(Bar("005930", Jan2), TodayAt(10, 5, 7)));
        await LiveHub.EventuallyAsync(async () => (await hub.StatusAsync()).GetProperty("eventsIn").GetInt64() >= 1, "the tick");

        var (_, many) = await GetAsync(hub.Client, "/api/quotes?codes=005930,000660");
        Assert.Equal(2, many.GetArrayLength());
        var samsung = many[0];
        Assert.False(samsung.GetProperty("stale").GetBoolean());
        Assert.Equal(79_600m, samsung.GetProperty("price").GetDecimal());
        Assert.Equal("replay", samsung.GetProperty("source").GetString());
        Assert.Equal(TodayAt(10, 5, 7), samsung.GetProperty("asOf").GetDateTimeOffset());
        Assert.Equal(17_142_847, samsung.GetProperty("volume").GetInt64());
        // No live trade for 000660 yet: its stored close, stale.
        Assert.Equal("000660", many[1].GetProperty("code").GetString());
        Assert.True(many[1].GetProperty("stale").GetBoolean());

        var status = await hub.StatusAsync();
        Assert.True(status.GetProperty("sourceUp").GetBoolean());
        Assert.True(status.GetProperty("runsHere").GetBoolean());
        Assert.Equal("replay", status.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("/api/quotes/59", HttpStatusCode.BadRequest)]
    [InlineData("/api/quotes/999999", HttpStatusCode.NotFound)]
    [InlineData("/api/quotes?codes=", HttpStatusCode.BadRequest)]
    [InlineData("/api/quotes?codes=005930,abc", HttpStatusCode.BadRequest)]
    [InlineData("/api/quotes?codes=005930,999999", HttpStatusCode.NotFound)]
    public async Task Bad_quote_requests_are_refused(string url, HttpStatusCode status)
    {
        var server = await HubServer.ForAsync("sqlite");
        var (actual, body) = await GetAsync(server.Client, url);
        Assert.Equal(status, actual);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Live_trades_become_minute_bars_in_the_store_and_a_bar_off_the_tick_grid_is_quarantined()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        var samsung = Bar("005930", Jan2);
        var hynix = Bar("000660", Jan2);
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_600m }, TodayAt(10, 0, 1), volume: 10));
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_800m }, TodayAt(10, 0, 30), volume: 20));
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_500m }, TodayAt(10, 0, 59), volume: 30));
        // 142,450 is not on the 100-KRW grid of prices from 50,000 KRW: a bad bar, whatever sent it.
        await hub.Feed.PushAsync(TickOf(hynix with { Close = 142_450m }, TodayAt(10, 0, 10), volume: 5));
        await hub.Feed.PushAsync(TickOf(samsung with { Close = 79_700m }, TodayAt(10, 1, 2), volume: 1));
        await hub.Feed.PushAsync(TickOf(hynix with { Close = 142_400m }, TodayAt(10, 1, 3), volume: 1));

        var from = TodayAt(10, 0);
        await LiveHub.EventuallyAsync(async () => (await hub.Store.GetMinuteBarsAsync(samsung.Code, from, from.AddMinutes(5), CancellationToken.None)).Count == 2,
            "both 005930 minutes stored (the second after the feed went idle)");
        var bars = await hub.Store.GetMinuteBarsAsync(samsung.Code, from, from.AddMinutes(5), CancellationToken.None);
        var first = bars[0];
        Assert.Equal(from, first.Start);
        Assert.Equal((79_600m, 79_800m, 79_500m, 79_500m, 60L), (first.Open, first.High, first.Low, first.Close, first.Volume));
        Assert.Equal(79_600m * 10 + 79_800m * 20 + 79_500m * 30, first.TradingValue);
        Assert.Equal("replay", first.Source);
        Assert.Equal((79_700m, 1L), (bars[1].Close, bars[1].Volume));

        await LiveHub.EventuallyAsync(async () => (await hub.Store.GetQuarantineAsync(Today, "off_tick_grid", 10, 0, CancellationToken.None)).Count == 1,
            "the off-grid bar quarantined");
        var quarantined = (await hub.Store.GetQuarantineAsync(Today, "off_tick_grid", 10, 0, CancellationToken.None))[0];
        Assert.Equal(("minute_bars", "000660"), (quarantined.Dataset, quarantined.Code));
        Assert.Contains("142450", quarantined.Payload, StringComparison.Ordinal);
        var hynixBars = await hub.Store.GetMinuteBarsAsync(hynix.Code, from, from.AddMinutes(5), CancellationToken.None);
        Assert.Equal([TodayAt(10, 1)], hynixBars.Select(b => b.Start));

        // The collection run of the live source's tenure ends with the feed and counts what it did.
        await hub.StopAsync();
        var run = (await hub.Store.GetRunsAsync(10, 0, CancellationToken.None)).First(r => r.Job == MinuteBarRecorder.Job);
        Assert.Equal(("succeeded", 4L, 3L, 1L), (run.Status, run.RowsRead, run.RowsAccepted, run.RowsQuarantined));
    }
}
