using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Quality;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>
/// Adjusted prices derived from raw bars and KRX base prices, imported adjusted artifacts kept, and gaps reported — on real
/// data through the real import pipeline and HTTP API.
/// </summary>
public class AdjustmentTests
{
    private static readonly StockCode Samsung = StockCode.Parse("005930");

    /// <summary>A clock after the Naver file's last day (2026-01-23), so none of its rows is in the future.</summary>
    private static readonly FixedTime AfterTheFile = new(new DateTimeOffset(2026, 2, 2, 9, 0, 0, TimeSpan.Zero));

    /// <summary>The KRX MDCSTAT01701 raw rows of 005930 around the 2018 split, as the getJsonData.cmd body KRX sends (thousands separators, newest first).</summary>
    private static string SplitBody(string directory)
    {
        var lines = File.ReadAllLines(TestPaths.Reference("ohlcv", "krx_MDCSTAT01701_005930_20180427_20180504_raw.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Reverse().Select(line => header.Zip(line.Split(','), (k, v) =>
            (k, v: k is "TRD_DD" or "FLUC_TP_CD" or "FLUC_RT" ? v : long.Parse(v, CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture)))
            .ToDictionary(p => p.k, p => p.v)).ToList();
        var path = Path.Combine(directory, "MDCSTAT01701-005930-20180427-20180504.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { output = rows, CURRENT_DATETIME = "2026.01.25 PM 04:00:00" }));
        return path;
    }

    private static JsonElement PykrxExpected(params object[] args)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Reference("reference_tests", "pykrx_curated_cases.json")));
        var cases = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("cases");
        var wanted = JsonSerializer.Serialize(args);
        return cases.EnumerateArray().Single(c => c.GetProperty("pykrx_function").GetString() == "get_market_ohlcv_by_date" &&
            JsonSerializer.Serialize(c.GetProperty("args")) == wanted).GetProperty("expected").Clone();
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_2018_split_from_raw_KRX_rows_gives_one_event_and_the_adjusted_prices_pykrx_asserts(string backend)
    {
        await using var hub = await HubServer.StartAsync(backend, async (test, store) =>
        {
            var summary = await TestData.ImportAsync(store, SplitBody(test.DataDirectory), new ImportOptions { Code = Samsung }, PriceBasis.Raw);
            Assert.Equal(5, summary.Accepted);
            Assert.Equal(1, summary.AdjustmentEvents);
        });

        var adjustments = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/stocks/005930/adjustments", UriKind.Relative));
        var e = Assert.Single(adjustments.GetProperty("events").EnumerateArray());
        Assert.Equal("2018-05-04", e.GetProperty("date").GetString());
        Assert.Equal(0.02m, e.GetProperty("factor").GetDecimal());
        Assert.Equal(2_650_000m, e.GetProperty("previousClose").GetDecimal());
        Assert.Equal(53_000m, e.GetProperty("basePrice").GetDecimal());
        Assert.True(adjustments.GetProperty("complete").GetBoolean());

        using var response = await hub.Client.GetAsync(new Uri("/api/stocks/005930/bars?from=2018-04-27&to=2018-05-04", UriKind.Relative));
        Assert.Equal("derived", response.Headers.GetValues("X-Adjustment").Single());
        Assert.Equal("complete", response.Headers.GetValues("X-Factor-Coverage").Single());
        var bars = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToDictionary(b => b.GetProperty("date").GetString()!);
        var expected = PykrxExpected("20180427", "20180504", "005930");
        foreach (var day in expected.EnumerateObject())
        {
            foreach (var field in day.Value.EnumerateObject())
            {
                Assert.Equal(field.Value.GetDecimal(), bars[day.Name].GetProperty(field.Name).GetDecimal());
            }
        }

        // The exact values: 2,682,000 × 0.02 = 53,640, where Naver shows 53,639.
        var before = bars["2018-04-27"];
        Assert.Equal((53_380m, 53_640m, 52_440m, 53_000m), (before.GetProperty("open").GetDecimal(), before.GetProperty("high").GetDecimal(),
            before.GetProperty("low").GetDecimal(), before.GetProperty("close").GetDecimal()));
        Assert.All(bars.Values, b => Assert.Equal(("adjusted", "derived"), (b.GetProperty("basis").GetString(), b.GetProperty("adjustment").GetString())));

        // The raw basis still serves the bars as traded.
        var raw = PykrxExpected("20180427", "20180504", "005930", new Dictionary<string, bool> { ["adjusted"] = false });
        var rawBars = (await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/stocks/005930/bars?from=2018-04-27&to=2018-05-04&basis=raw", UriKind.Relative)))
            .EnumerateArray().ToDictionary(b => b.GetProperty("date").GetString()!);
        Assert.Equal(raw.GetProperty("2018-04-27").GetProperty("close").GetDecimal(), rawBars["2018-04-27"].GetProperty("close").GetDecimal());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Naver_adjusted_005930_keeps_all_2832_rows_and_flags_three_as_adjustment_rounding(string backend)
    {
        await using var hub = await HubServer.StartAsync(backend, async (test, store) =>
        {
            var summary = await TestData.ImportAsync(store, TestPaths.Reference("ohlcv", "naver_fchart_005930_daily_adjusted.csv"),
                new ImportOptions { Format = ImportFormat.PykrxCsv, Code = Samsung }, PriceBasis.Adjusted, AfterTheFile);
            Assert.Equal((2_832, 2_832, 0, 3), (summary.RowsRead, summary.Accepted, summary.Quarantined, summary.Repaired));
            await TestData.ImportAsync(store, SplitBody(test.DataDirectory), new ImportOptions { Code = Samsung }, PriceBasis.Raw);
        });

        var day = (await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/stocks/005930/bars?from=2015-01-27&to=2015-01-27", UriKind.Relative)))[0];
        Assert.Equal((28_000m, "high=27999", "imported"), (day.GetProperty("high").GetDecimal(), day.GetProperty("repairedFrom").GetString(), day.GetProperty("adjustment").GetString()));
        var quality = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/quality?date=2015-01-27", UriKind.Relative));
        Assert.Equal(1, quality.GetProperty("kept").GetProperty("adjustment_rounding").GetInt64());
        Assert.Equal(0, quality.GetProperty("quarantined").GetInt64());

        // One response never mixes: 04-20..05-04 is beyond the raw rows, so the whole answer is Naver's series, artifact included.
        using var response = await hub.Client.GetAsync(new Uri("/api/stocks/005930/bars?from=2018-04-20&to=2018-05-04", UriKind.Relative));
        Assert.Equal("imported", response.Headers.GetValues("X-Adjustment").Single());
        var bars = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        Assert.All(bars, b => Assert.Equal("imported", b.GetProperty("adjustment").GetString()));
        Assert.Equal(53_639m, bars.Single(b => b.GetProperty("date").GetString() == "2018-04-27").GetProperty("high").GetDecimal());
    }

    /// <summary>Every factor event of the bundled marcap raw windows 2021–2025 (an independent scan of the files found the same 101).</summary>
    [Fact]
    public async Task The_marcap_raw_windows_of_2021_to_2025_reveal_101_events_that_agree_with_the_independent_adjusted_history()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        foreach (var year in new[] { 2021, 2022, 2023, 2024, 2025 })
        {
            await TestData.ImportAsync(store, TestPaths.Reference("ohlcv", "marcap_raw", $"marcap-{year}.csv.gz"), new ImportOptions { Format = ImportFormat.MarcapCsv });
        }

        var events = await store.GetAdjustmentEventsAsync(null, CancellationToken.None);
        Assert.Equal(101, events.Count);
        Assert.Equal([21, 17, 16, 24, 23], events.GroupBy(e => e.Date.Year).OrderBy(g => g.Key).Select(g => g.Count()));
        // 2021-01-22 is missing from the 2021 file: no step across it may count as an event (every stock's base moved that week).
        Assert.DoesNotContain(events, e => e.Date == new DateOnly(2021, 1, 25));
        Assert.Contains(events, e => e.Code.Value == "112610" && e.Date == new DateOnly(2021, 2, 8) && e.PreviousClose == 169_500m && e.BasePrice == 84_800m);
        Assert.Contains(events, e => e.Code.Value == "072520" && e.Date == new DateOnly(2022, 1, 20) && e.Factor == 5m); // a 5:1 reverse split
        Assert.Contains(events, e => e.Code.Value == "079370" && e.Date == new DateOnly(2024, 1, 16) && e.PreviousClose == 52_800m && e.BasePrice == 17_600m);

        // The bundled pykrx/Naver adjusted history overlaps the 2024 and 2025 windows: derived closes must follow it to its
        // 1-won rounding, up to the constant factor of the events after the window (k = its close ÷ ours on the last day).
        var adjusted = ReadBundledAdjusted(["034220", "001440", "079370", "358570", "064960", "216080", "065170"]);
        var calendar = TestData.Calendar;
        foreach (var e in events.Where(e => adjusted.ContainsKey(e.Code.Value) && e.Date.Year >= 2024))
        {
            var window = (new DateOnly(e.Date.Year, 1, 1), new DateOnly(e.Date.Year, 2, 28));
            var answer = await KrxHub.Features.Bars.AdjustedBars.ReadAsync(store, calendar, e.Code, window.Item1, window.Item2, PriceBasis.Adjusted, CancellationToken.None);
            Assert.Equal("derived", answer.Adjustment);
            var pairs = answer.Bars.Where(b => adjusted[e.Code.Value].ContainsKey(b.Date)).Select(b => (Ours: b.Close, Theirs: adjusted[e.Code.Value][b.Date])).ToList();
            Assert.True(pairs.Count >= 20, $"{e.Code}: {pairs.Count} common days");
            var k = pairs[^1].Theirs / pairs[^1].Ours;
            Assert.All(pairs, p => Assert.True(Math.Abs(p.Theirs - (k * p.Ours)) <= 2.5m, $"{e.Code} around {e.Date}: ours {p.Ours} × {k} vs theirs {p.Theirs}"));

            var raw = answer.Bars.Count; // the unadjusted closes jump by the factor at the event: the comparison above would fail on them
            Assert.True(raw > 0);
        }
    }

    private static Dictionary<string, Dictionary<DateOnly, decimal>> ReadBundledAdjusted(string[] codes)
    {
        var result = codes.ToDictionary(c => c, _ => new Dictionary<DateOnly, decimal>());
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Shared.BundledData.AdjustedHistory), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',');
            if (result.TryGetValue(f[0], out var series))
            {
                series[DateOnly.Parse(f[1], CultureInfo.InvariantCulture)] = decimal.Parse(f[5], CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_quality_range_report_lists_a_stock_session_with_neither_a_bar_nor_a_halt_row(string backend)
    {
        var removed = new DateOnly(2024, 1, 17);
        await using var hub = await HubServer.StartAsync(backend, async (test, store) =>
        {
            var rows = TestData.RealRawRows(["005930", "000660"], new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 31))
                .Where(r => !r.StartsWith("005930,2024-01-17", StringComparison.Ordinal));
            var file = TestData.TempFile(test.DataDirectory, "two.csv", ["code,date,open,high,low,close,volume,change_pct", .. rows]);
            await TestData.ImportAsync(store, file, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);
        });

        var report = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/quality?from=2024-01-02&to=2024-01-31", UriKind.Relative));
        var gaps = report.GetProperty("stockGaps").EnumerateArray().ToDictionary(g => g.GetProperty("code").GetString()!);
        var samsung = gaps["005930"];
        Assert.Equal((22, 1), (samsung.GetProperty("listedSessions").GetInt32(), samsung.GetProperty("missingSessions").GetInt32()));
        Assert.Equal([removed.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)], samsung.GetProperty("firstMissing").EnumerateArray().Select(d => d.GetString()));
        Assert.False(gaps.ContainsKey("000660"));
        // Every other listed stock has no bar at all in this store: each of its 22 sessions is missing.
        Assert.Equal(22, gaps["035420"].GetProperty("missingSessions").GetInt32());
    }
}
