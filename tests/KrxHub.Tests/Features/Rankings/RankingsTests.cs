using System.Net;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;
using static KrxHub.Tests.LiveTestData;

namespace KrxHub.Tests;

/// <summary>Live rankings over /ws and REST, and historical rankings from the bundled raw bars, against independent sorts.</summary>
public class RankingsTests
{
    private static readonly DateOnly Jan2 = new(2024, 1, 2);
    private static readonly DateOnly Jan3 = new(2024, 1, 3);

    /// <summary>One expected row: computed here from the raw file and the master CSVs, not by the hub.</summary>
    private sealed record Expected(string Code, decimal Price, decimal? ChangePct, long Volume, decimal? Value);

    private static string Show(IEnumerable<Expected> rows) =>
        string.Join("\n", rows.Select((r, i) => $"{i + 1} {r.Code} {N(r.Price)} {N(r.ChangePct)} {r.Volume} {N(r.Value)}"));

    private static string Show(JsonElement rows) => string.Join("\n", rows.EnumerateArray().Select(r =>
        $"{r.GetProperty("rank").GetInt32()} {r.GetProperty("code").GetString()} {N(r.GetProperty("price").GetDecimal())} {N(Nullable(r.GetProperty("changePct")))} {r.GetProperty("volume").GetInt64()} {N(Nullable(r.GetProperty("value")))}"));

    /// <summary>A decimal without its scale (1403.0 and 1403 are the same price).</summary>
    private static string N(decimal? value) => value?.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture) ?? "null";

    private static decimal? Nullable(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDecimal();

    /// <summary>The brute-force definition: filter by the master's market, drop missing metric, sort metric descending then code.</summary>
    private static List<Expected> BruteForce(IEnumerable<Expected> rows, Market? market, RankingMetric metric, int n) => rows
        .Where(r => MasterMarkets.Value.TryGetValue(StockCode.Parse(r.Code), out var m) && (market is null || m == market))
        .Select(r => (Row: r, Key: metric switch { RankingMetric.Volume => r.Volume, RankingMetric.Value => r.Value, _ => r.ChangePct }))
        .Where(x => x.Key is not null)
        .OrderByDescending(x => x.Key).ThenBy(x => x.Row.Code, StringComparer.Ordinal)
        .Take(n).Select(x => x.Row).ToList();

    private static async Task<JsonElement> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Live_rankings_pushed_over_the_socket_and_served_over_REST_equal_a_brute_force_sort_of_the_ticks()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync("""{"op":"subscribe","channel":"rankings","market":"KOSPI","metric":"volume","n":20}""");
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());
        var snapshot = await ws.ReceiveAsync();
        Assert.Equal("rankings", snapshot.GetProperty("op").GetString());
        Assert.Empty(snapshot.GetProperty("rows").EnumerateArray());
        await ws.SendAsync("""{"op":"subscribe","channel":"rankings","market":"ALL","metric":"change","n":10}""");
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());

        // Every real bar of 2024-01-02 as one trade today, in file order; some stocks trade twice (the second wins).
        var bars = On(Jan2).ToList();
        var sent = new Dictionary<string, Expected>();
        var at = TodayAt(10, 0);
        foreach (var (bar, i) in bars.Concat(bars.Where((_, i) => i % 5 == 0).Select(b => b with { Volume = b.Volume / 2 + 7, Close = b.Close })).Select((b, i) => (b, i)))
        {
            await hub.Feed.PushAsync(TickOf(bar, at.AddMilliseconds(i)));
            sent[bar.Code.Value] = new Expected(bar.Code.Value, bar.Close, bar.ChangePct, bar.Volume, bar.Amount);
        }

        var kospiVolume = Show(BruteForce(sent.Values, Market.Kospi, RankingMetric.Volume, 20));
        var allChange = Show(BruteForce(sent.Values, null, RankingMetric.Change, 10));
        var started = DateTime.UtcNow;
        var pushes = 0;
        string? lastKospi = null, lastChange = null;
        while (lastKospi != kospiVolume || lastChange != allChange)
        {
            var m = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "rankings");
            pushes++;
            if (m.GetProperty("metric").GetString() == "volume")
            {
                Assert.Equal("KOSPI", m.GetProperty("market").GetString());
                lastKospi = Show(m.GetProperty("rows"));
            }
            else
            {
                lastChange = Show(m.GetProperty("rows"));
            }
        }

        // At most one push per subscription per 250 ms (two subscriptions, plus the first of each).
        var elapsed = DateTime.UtcNow - started;
        Assert.True(pushes <= 2 * (elapsed.TotalMilliseconds / 250 + 2), $"{pushes} pushes in {elapsed.TotalMilliseconds:F0} ms");

        // Nothing changes any more, so nothing more is pushed.
        await Assert.ThrowsAsync<TimeoutException>(() => ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "rankings", TimeSpan.FromSeconds(1)));

        var rest = await GetAsync(hub.Client, "/api/rankings?market=KOSPI&metric=volume&n=20");
        Assert.True(rest.GetProperty("live").GetBoolean());
        Assert.False(rest.GetProperty("stale").GetBoolean());
        Assert.Equal("replay", rest.GetProperty("source").GetString());
        Assert.Equal(Today, DateOnly.Parse(rest.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(kospiVolume, Show(rest.GetProperty("rows")));
        var first = rest.GetProperty("rows")[0];
        Assert.Equal(("452260", "한화갤러리아", "KOSPI"), (first.GetProperty("code").GetString(), first.GetProperty("name").GetString(), first.GetProperty("market").GetString()));

        var restAll = await GetAsync(hub.Client, "/api/rankings?market=ALL&metric=value&n=50");
        Assert.Equal(Show(BruteForce(sent.Values, null, RankingMetric.Value, 50)), Show(restAll.GetProperty("rows")));
    }

    [Theory]
    [InlineData("KOSPI", "volume", 20)]
    [InlineData("KOSDAQ", "volume", 20)]
    [InlineData("KONEX", "volume", 10)]
    [InlineData("ALL", "volume", 100)]
    [InlineData("KOSPI", "value", 20)]
    [InlineData("ALL", "value", 50)]
    public async Task Historical_rankings_for_2024_01_02_equal_a_sort_of_the_bundled_raw_file(string market, string metric, int n)
    {
        var server = await HubServer.ForAsync("sqlite");
        var body = await GetAsync(server.Client, $"/api/rankings?date=2024-01-02&market={market}&metric={metric}&n={n}");
        Assert.False(body.GetProperty("live").GetBoolean());
        Assert.False(body.GetProperty("stale").GetBoolean());

        // Independently: the raw file's bars of that day that traded, the market from the master CSVs; change % needs
        // the previous session's raw close, which the bundled window (starting that day) does not have.
        var rows = On(Jan2).Where(b => b.Volume > 0).Select(b => new Expected(b.Code.Value, b.Close, null, b.Volume, b.Amount));
        Markets.TryParse(market, out var m);
        RankingMetrics.TryParse(metric, out var k);
        var expected = BruteForce(rows, market == "ALL" ? null : m, k, n);
        Assert.Equal(n, expected.Count);
        Assert.Equal(Show(expected), Show(body.GetProperty("rows")));
    }

    [Fact]
    public async Task Historical_top_rows_match_the_raw_file_checked_by_hand()
    {
        var server = await HubServer.ForAsync("sqlite");
        async Task<JsonElement> Rows(string query) => (await GetAsync(server.Client, "/api/rankings?" + query)).GetProperty("rows");
        static (string?, long) Volume(JsonElement r) => (r.GetProperty("code").GetString(), r.GetProperty("volume").GetInt64());

        // Values read off data/history/krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz for 2024-01-02.
        var kospi = await Rows("date=2024-01-02&market=KOSPI&metric=volume&n=3");
        Assert.Equal([("452260", 83_916_430L), ("005930", 17_142_847L), ("009410", 14_561_627L)], kospi.EnumerateArray().Select(Volume));
        Assert.Equal("한화갤러리아", kospi[0].GetProperty("name").GetString());
        Assert.Equal(1_403m, kospi[0].GetProperty("price").GetDecimal());

        var all = await Rows("date=2024-01-02&metric=volume&n=1");
        Assert.Equal(("900280", 96_936_047L), Volume(all[0])); // 골든센츄리, KOSDAQ
        Assert.Equal("KOSDAQ", all[0].GetProperty("market").GetString());

        var value = await Rows("date=2024-01-02&market=KOSPI&metric=value&n=3");
        Assert.Equal(["068270", "005930", "022100"], value.EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        Assert.Equal(1_361_490_712_500m, value[0].GetProperty("value").GetDecimal());
        // 022100 POSCO DX traded on KOSDAQ that day and moved to KOSPI later: the market comes from the master, as of now.
        Assert.Equal("KOSPI", value[2].GetProperty("market").GetString());

        var konex = await Rows("date=2024-01-02&market=KONEX&metric=volume&n=1");
        Assert.Equal(("238500", 1_825_408L), Volume(konex[0]));

        // Change % against 2024-01-02's raw close: 009415 +30.00% (the limit), 36328K +29.96%, 009410 +23.85%.
        var change = await Rows("date=2024-01-03&market=KOSPI&metric=change&n=3");
        Assert.Equal([("009415", 30.00m), ("36328K", 29.96m), ("009410", 23.85m)],
            change.EnumerateArray().Select(r => (r.GetProperty("code").GetString(), r.GetProperty("changePct").GetDecimal())));

        // The window's first day has no previous raw close: no change ranking.
        Assert.Empty((await Rows("date=2024-01-02&metric=change")).EnumerateArray());
    }

    [Fact]
    public async Task Change_rankings_of_a_past_date_equal_KRX_change_rates_of_the_raw_file()
    {
        var server = await HubServer.ForAsync("sqlite");
        var body = await GetAsync(server.Client, "/api/rankings?date=2024-01-03&market=KOSDAQ&metric=change&n=30");
        var previous = On(Jan2).ToDictionary(b => b.Code, b => b.Close);
        // KRX's own fluctuation rate (ChagesRatio) equals the change against the previous raw close on a day without corporate actions.
        var rows = On(Jan3).Where(b => b.Volume > 0 && previous.ContainsKey(b.Code))
            .Select(b => new Expected(b.Code.Value, b.Close, Math.Round((b.Close - previous[b.Code]) / previous[b.Code] * 100m, 2, MidpointRounding.AwayFromZero), b.Volume, b.Amount));
        Assert.Equal(Show(BruteForce(rows, Market.Kosdaq, RankingMetric.Change, 30)), Show(body.GetProperty("rows")));
        foreach (var row in body.GetProperty("rows").EnumerateArray())
        {
            var bar = Bar(row.GetProperty("code").GetString()!, Jan3);
            Assert.Equal(bar.ChangePct, row.GetProperty("changePct").GetDecimal());
        }
    }

    [Theory]
    [InlineData("date=2024-01-06", HttpStatusCode.NotFound, null, "2024-01-06 is not a KRX session (Saturday); the previous session is 2024-01-05")]
    [InlineData("date=2099-01-02", HttpStatusCode.BadRequest, "date", "2099-01-02 is in the future (today is 2025-06-30 in Seoul)")]
    [InlineData("date=2024-13-01", HttpStatusCode.BadRequest, "date", "'2024-13-01' is not a date; use yyyy-MM-dd, e.g. 2024-01-02")]
    [InlineData("metric=popularity", HttpStatusCode.BadRequest, "metric", "unknown metric 'popularity'; use volume, value or change")]
    [InlineData("market=NASDAQ", HttpStatusCode.BadRequest, "market", "unknown market 'NASDAQ'; use KOSPI, KOSDAQ, KONEX or ALL")]
    [InlineData("n=0", HttpStatusCode.BadRequest, "n", "n must be between 1 and 100, got 0")]
    [InlineData("n=101", HttpStatusCode.BadRequest, "n", "n must be between 1 and 100, got 101")]
    [InlineData("date=2023-06-01", HttpStatusCode.NotFound, null, "no raw daily bars are stored for 2023-06-01")] // a session without stored raw bars
    public async Task Bad_ranking_requests_are_refused_with_a_problem_naming_the_parameter(string query, HttpStatusCode status, string? parameter, string message)
    {
        var server = await HubServer.ForAsync("sqlite");
        using var response = await server.Client.GetAsync(new Uri("/api/rankings?" + query, UriKind.Relative));
        Assert.Equal(status, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(message, body.GetProperty("detail").GetString());
        if (parameter is not null)
        {
            // The one parameter at fault, and only it.
            Assert.Equal([parameter], body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
            Assert.Equal(message, body.GetProperty("errors").GetProperty(parameter)[0].GetString());
        }
    }

    [Theory]
    [InlineData("ALL", "volume")]
    [InlineData("KOSDAQ", "change")]
    public async Task Without_live_data_today_the_latest_stored_ranking_is_served_as_stale(string market, string metric)
    {
        // The shared hub has no live source; the fixed clock's today (2025-06-30) has no raw bars, nor have the sessions
        // before it back to 2024-02-13, the last day of the raw window: that day's stored ranking, marked stale, with its date.
        var server = await HubServer.ForAsync("sqlite");
        var stale = await GetJsonAsync(server, $"/api/rankings?market={market}&metric={metric}&n=20");
        var stored = await GetJsonAsync(server, $"/api/rankings?market={market}&metric={metric}&n=20&date=2024-02-13");

        Assert.True(stale.GetProperty("stale").GetBoolean());
        Assert.False(stale.GetProperty("live").GetBoolean());
        Assert.Equal("2024-02-13", stale.GetProperty("date").GetString());
        Assert.Equal("2024-02-13T15:30:00+09:00", stale.GetProperty("asOf").GetString());
        Assert.False(stored.GetProperty("stale").GetBoolean());
        Assert.Equal(20, stale.GetProperty("rows").GetArrayLength());
        Assert.Equal(stored.GetProperty("rows").GetRawText(), stale.GetProperty("rows").GetRawText());
    }

    private static async Task<JsonElement> GetJsonAsync(HubServer server, string url)
    {
        using var response = await server.Client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
