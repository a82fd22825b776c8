using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>
/// POST /api/screen on past sessions against brute-force evaluations written here, per stock, over the same stored bars
/// (read one stock at a time, not through the screen's bulk path), on both backends.
/// </summary>
public class ScreenTests
{
    private static readonly DateOnly Day = new(2024, 2, 13);

    private static async Task<JsonElement> ScreenAsync(HubServer hub, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await hub.Client.PostAsJsonAsync(new Uri("/api/screen", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Each listed stock with a raw bar on the day, and its raw bars up to the day, read one stock at a time.</summary>
    private static async Task<List<(Stock Stock, IReadOnlyList<DailyBar> Bars)>> UniverseAsync(MarketStore store, DateOnly day)
    {
        var universe = new List<(Stock, IReadOnlyList<DailyBar>)>();
        foreach (var stock in await store.GetAllStocksAsync(CancellationToken.None))
        {
            if (!stock.IsListedOn(day))
            {
                continue;
            }

            var bars = await store.GetBarsAsync(stock.Code, day.AddDays(-90), day, PriceBasis.Raw, CancellationToken.None);
            if (bars.Count > 0 && bars[^1].Date == day)
            {
                universe.Add((stock, bars));
            }
        }

        return universe;
    }

    private static decimal Average(IEnumerable<decimal> values, int n) => values.TakeLast(n).Sum() / n;

    private static HashSet<string> Codes(JsonElement result) => [.. result.GetProperty("stocks").EnumerateArray().Select(s => s.GetProperty("code").GetString()!)];

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_trend_and_volume_screen_equals_a_brute_force_evaluation_over_the_stored_bars(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var result = await ScreenAsync(hub, new { expression = "close > sma(close, 20) and volume > 2 * avg(volume, 20)", date = "2024-02-13", basis = "raw" });

        var expected = new HashSet<string>();
        var unknown = 0;
        foreach (var (stock, bars) in await UniverseAsync(hub.Store, Day))
        {
            if (bars.Count < 20)
            {
                unknown++;
                continue;
            }

            var close = bars[^1].Close;
            if (close > Average(bars.Select(b => b.Close), 20) && bars[^1].Volume > 2 * Average(bars.Select(b => (decimal)b.Volume), 20))
            {
                expected.Add(stock.Code.Value);
            }
        }

        Assert.True(expected.Count >= 20, $"only {expected.Count} matches: the screen would prove little");
        Assert.Equal(expected.Order(), Codes(result).Order());
        Assert.Equal(unknown, result.GetProperty("notEnoughHistory").GetInt32());
        var first = result.GetProperty("stocks")[0];
        var code = StockCode.Parse(first.GetProperty("code").GetString()!);
        var own = await hub.Store.GetBarsAsync(code, Day.AddDays(-90), Day, PriceBasis.Raw, CancellationToken.None);
        Assert.Equal(Average(own.Select(b => b.Close), 20), first.GetProperty("values").GetProperty("sma(close, 20)").GetDecimal());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_kosdaq_breakout_screen_equals_a_brute_force_evaluation_over_the_stored_bars(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var result = await ScreenAsync(hub, new
        {
            expression = "market == KOSDAQ and change_pct between 3 and 15 and close >= highest(close, 10)",
            date = "2024-02-13",
            basis = "raw",
        });

        var expected = new HashSet<string>();
        foreach (var (stock, bars) in await UniverseAsync(hub.Store, Day))
        {
            if (stock.Market != Market.Kosdaq || bars.Count < 10)
            {
                continue;
            }

            var (close, previous) = (bars[^1].Close, bars[^2].Close);
            var pct = (close - previous) / previous * 100m;
            if (pct >= 3m && pct <= 15m && close >= bars.TakeLast(10).Max(b => b.Close))
            {
                expected.Add(stock.Code.Value);
            }
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order(), Codes(result).Order());
        Assert.All(result.GetProperty("stocks").EnumerateArray(), s => Assert.Equal("KOSDAQ", s.GetProperty("values").GetProperty("market").GetString()));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_flow_screen_sums_the_imported_real_investor_flows_and_counts_stocks_without_them(string backend)
    {
        var flowsFile = TestPaths.Data("samples", "krx", "MDCSTAT02302-005930-netbuy-value-20210115-20210122.json");
        await using var hub = await HubServer.StartAsync(backend, async (test, store) =>
        {
            await TestData.ImportAsync(store, TestPaths.Reference("ohlcv", "marcap_raw", "marcap_selected_tickers_JanFeb_2021_2025_raw.csv"),
                new ImportOptions { Format = ImportFormat.MarcapCsv });
            await TestData.ImportAsync(store, flowsFile, new ImportOptions { Code = StockCode.Parse("005930"), Measure = InvestorMeasure.Value });
        });

        // Brute force from the KRX body itself: TRDVAL3 = individuals, TRDVAL4 = foreigners, five sessions to 2021-01-21.
        using var body = JsonDocument.Parse(await File.ReadAllTextAsync(flowsFile));
        var days = body.RootElement.GetProperty("output").EnumerateArray()
            .Select(r => (Date: r.GetProperty("TRD_DD").GetString()!, Individual: decimal.Parse(r.GetProperty("TRDVAL3").GetString()!, NumberStyles.Number, CultureInfo.InvariantCulture),
                Foreign: decimal.Parse(r.GetProperty("TRDVAL4").GetString()!, NumberStyles.Number, CultureInfo.InvariantCulture)))
            .Where(r => string.CompareOrdinal(r.Date, "2021/01/21") <= 0).OrderBy(r => r.Date).TakeLast(5).ToList();
        Assert.Equal("2021/01/15", days[0].Date);
        var (individual, foreign) = (days.Sum(d => d.Individual), days.Sum(d => d.Foreign));

        var result = await ScreenAsync(hub, new { expression = "netbuy(individual, 5) > 0 and netbuy(foreign, 5) < 0 and close > 80000", date = "2021-01-21", basis = "raw" });
        var samsung = await hub.Store.GetBarsAsync(StockCode.Parse("005930"), new DateOnly(2021, 1, 21), new DateOnly(2021, 1, 21), PriceBasis.Raw, CancellationToken.None);
        var matches = individual > 0 && foreign < 0 && samsung[0].Close > 80_000m;
        Assert.True(matches, "the real flows of that week: individuals bought, foreigners sold, 005930 closed at 87,000");
        Assert.Equal(["005930"], Codes(result));
        var values = result.GetProperty("stocks")[0].GetProperty("values");
        Assert.Equal(individual, values.GetProperty("netbuy(individual, 5)").GetDecimal());
        Assert.Equal(foreign, values.GetProperty("netbuy(foreign, 5)").GetDecimal());
        // The six other stocks of the file have bars but no flows: not matches, and counted as unknown.
        Assert.Equal(6, result.GetProperty("notEnoughHistory").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_screens_are_400_problems_naming_the_field_and_a_bad_expression_its_column(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var bad = await ScreenAsync(hub, new { expression = "close > sam(close, 20)" }, HttpStatusCode.BadRequest);
        Assert.Equal(9, bad.GetProperty("column").GetInt32());
        Assert.Contains("did you mean 'sma'?", bad.GetProperty("errors").GetProperty("expression")[0].GetString(), StringComparison.Ordinal);
        Assert.True((await ScreenAsync(hub, new { expression = "" }, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("expression", out _));
        Assert.True((await ScreenAsync(hub, new { expression = "close > 1", market = "NASDAQ" }, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("market", out _));
        Assert.True((await ScreenAsync(hub, new { expression = "close > 1", date = "2024-02-10" }, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("date", out _));
        Assert.True((await ScreenAsync(hub, new { expression = "close > 1", basis = "nominal" }, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("basis", out _));
    }
}

/// <summary>POST /api/screen without a date while live data flows: today's bar of each stock is its live bar.</summary>
public class LiveScreenTests
{
    [Fact]
    public async Task Without_a_date_the_screen_runs_on_todays_live_bars_after_the_stored_history()
    {
        await using var hub = await LiveHub.StartAsync();
        await hub.Feed!.Running;
        var lastStored = new DateOnly(2024, 2, 13);
        var samsung = LiveTestData.Bar("005930", lastStored);
        var hynix = LiveTestData.Bar("000660", lastStored);
        await hub.Feed.PushAsync(LiveTestData.TickOf(samsung with { Close = samsung.Close + 100m }, LiveTestData.TodayAt(10, 0)));
        await hub.Feed.PushAsync(LiveTestData.TickOf(hynix with { Close = hynix.Close - 500m }, LiveTestData.TodayAt(10, 0, 1)));
        await LiveHub.EventuallyAsync(async () => (await hub.StatusAsync()).GetProperty("sourceUp").GetBoolean(), "the live source is up");

        JsonElement result = default;
        await LiveHub.EventuallyAsync(async () =>
        {
            using var response = await hub.Client.PostAsJsonAsync(new Uri("/api/screen", UriKind.Relative), new { expression = "close > ref(close, 1)", basis = "raw" });
            result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return result.TryGetProperty("live", out var live) && live.ValueKind == JsonValueKind.String && result.GetProperty("universe").GetInt32() - result.GetProperty("withoutBar").GetInt32() == 2;
        }, "both live bars in the screen");

        Assert.Equal("replay", result.GetProperty("live").GetString());
        Assert.Equal(LiveTestData.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), result.GetProperty("date").GetString());
        var match = Assert.Single(result.GetProperty("stocks").EnumerateArray());
        Assert.Equal("005930", match.GetProperty("code").GetString());
        Assert.Equal(samsung.Close + 100m, match.GetProperty("values").GetProperty("close").GetDecimal());
        Assert.Equal(samsung.Close, match.GetProperty("values").GetProperty("ref(close, 1)").GetDecimal());
    }
}
