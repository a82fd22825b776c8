using System.Globalization;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Testing;
using Microsoft.AspNetCore.Http;

namespace KrxHub.Tests.Collection;

/// <summary>A range query pages to the range's start; the page cap is only a runaway guard (issue 14, part 7).</summary>
public sealed class PageCapTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateOnly From = new(2015, 1, 2);
    private static readonly DateOnly To = new(2023, 12, 28);

    /// <summary>005930's real adjusted bars (Naver, 2014-07-11..2026-01-23; halt days with OHLC 0), oldest first.</summary>
    private static readonly Lazy<IReadOnlyList<(DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, long Volume)>> Naver = new(() =>
        [.. File.ReadLines(TestPaths.Reference("ohlcv", "naver_fchart_005930_daily_adjusted.csv")).Skip(1).Select(line => line.Split(','))
            .Select(f => (DateOnly.ParseExact(f[0], "yyyy-MM-dd", CultureInfo.InvariantCulture), decimal.Parse(f[1], CultureInfo.InvariantCulture),
                decimal.Parse(f[2], CultureInfo.InvariantCulture), decimal.Parse(f[3], CultureInfo.InvariantCulture),
                decimal.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture)))]);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task An_adjusted_backfill_of_2015_to_2023_with_the_default_page_cap_completes_its_range(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        ServeNaverAdjusted(market, pageSize: 100);
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        // The default cap (10 pages of 100 bars) ends in 2022; the range needs about 30 pages back from the adjustment base.
        var run = await CliProcess.RunAsync(market.Environment(), ["backfill", "daily", "--from", "2015-01-02", "--to", "2023-12-28",
            "--codes", "005930", "--basis", "adjusted", .. test.CliArgs]);

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.DoesNotContain("incomplete", run.Stdout, StringComparison.Ordinal);
        var pages = market.Server.Calls("ka10081").Count;
        Assert.InRange(pages, 11, 40);
        var inRange = Naver.Value.Where(b => b.Date >= From && b.Date <= To).ToList();
        Assert.Equal(2214, inRange.Count);

        // Every bar of the range arrived and is stored: the few whose adjusted high or low Naver rounded past open or close
        // (e.g. 2015-01-27, high 27,999 under close 28,000) are kept with high and low widened to contain them.
        await using var check = await test.OpenAsync();
        var bars = await check.GetBarsAsync(StockCode.Parse("005930"), From, To, PriceBasis.Adjusted, Ct);
        Assert.Equal(inRange.Where(b => b.Open != 0).Select(b => (b.Date, b.Open, Math.Max(b.High, Math.Max(b.Open, b.Close)), Math.Min(b.Low, Math.Min(b.Open, b.Close)), b.Close, b.Volume)),
            bars.Where(b => !b.NoTrade).Select(b => (b.Date, b.Open, b.High, b.Low, b.Close, b.Volume)));
        // The 2018-04-30..05-03 halt before the split: no-trade rows (OHLC 0, volume 0) kept as halts.
        Assert.Equal(inRange.Where(b => b.Open == 0).Select(b => b.Date), bars.Where(b => b.NoTrade).Select(b => b.Date));
        Assert.Matches(@"rows read\s*│\s*2,214\s", run.Stdout);
        Assert.Matches(@"quarantined\s*│\s*0\s", run.Stdout);
        var completed = await check.GetCompletedUnitsAsync("daily", AdjustedKey(), From, To, Ct);
        Assert.Equal([("005930", From, To)], completed.Select(u => (u.Key, u.From, u.To)));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_unit_the_runaway_guard_stops_short_is_promoted_but_not_recorded_and_the_backfill_exits_3(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        ServeNaverAdjusted(market, pageSize: 100);

        // A broken server: every page says there is more and hands back the same next-key, so the query never gets older.
        market.Server.FaultFor = (apiId, body) => apiId != "ka10081" ? null : async ctx =>
        {
            var newest = Naver.Value.Where(b => b.Date <= To).TakeLast(100).Reverse();
            ctx.Response.Headers["cont-yn"] = "Y";
            ctx.Response.Headers["next-key"] = "off:100";
            ctx.Response.ContentType = "application/json;charset=UTF-8";
            var answer = new JsonObject
            {
                ["stk_cd"] = "005930",
                ["stk_dt_pole_chart_qry"] = new JsonArray([.. newest.Select(b => (JsonNode?)Row(b, b.Close))]),
                ["return_code"] = 0,
                ["return_msg"] = "정상적으로 처리되었습니다",
            };
            await ctx.Response.WriteAsync(answer.ToJsonString(), ctx.RequestAborted);
        };
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var run = await CliProcess.RunAsync(market.Environment(), ["backfill", "daily", "--from", "2015-01-02", "--to", "2023-12-28",
            "--codes", "005930", "--basis", "adjusted", .. test.CliArgs]);

        Assert.True(run.ExitCode == 3, $"exit {run.ExitCode}: {run.Stderr}{run.Stdout}");
        Assert.Contains("units short of their range", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("incomplete: 1 unit(s) stopped short of their range", run.Stdout, StringComparison.Ordinal);

        // The guard: the default cap of 10 plus the pages the range's weekdays take at 100 rows a page.
        var weekdays = Enumerable.Range(0, KrxCalendar.KstDate(DateTimeOffset.UtcNow).DayNumber - From.DayNumber + 1)
            .Select(From.AddDays).Count(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
        Assert.InRange(market.Server.Calls("ka10081").Count, 10 + ((weekdays - 5) / 100), 10 + ((weekdays + 5 + 99) / 100));
        await using var check = await test.OpenAsync();
        Assert.Empty(await check.GetCompletedUnitsAsync("daily", AdjustedKey(), From, To, Ct));
        Assert.Equal(100, (await check.GetBarsAsync(StockCode.Parse("005930"), From, To, PriceBasis.Adjusted, Ct)).Count);
    }

    /// <summary>ka10081 with upd_stkpc_tp 1 serves the real adjusted bars up to base_dt, newest first, in pages of <paramref name="pageSize"/>.</summary>
    private static void ServeNaverAdjusted(KiwoomMarket market, int pageSize)
    {
        var raw = market.Server.RowsFor!;
        market.Server.PageSize = pageSize;
        market.Server.RowsFor = (apiId, body) =>
        {
            if (apiId != "ka10081" || (string?)body["upd_stkpc_tp"] != "1" || (string?)body["stk_cd"] != "005930")
            {
                return raw(apiId, body);
            }

            var baseDate = DateOnly.ParseExact((string)body["base_dt"]!, "yyyyMMdd", CultureInfo.InvariantCulture);
            var bars = Naver.Value;
            return [.. Enumerable.Range(0, bars.Count).Reverse().Where(i => bars[i].Date <= baseDate)
                .Select(i => (JsonNode?)Row(bars[i], i == 0 ? bars[i].Open : bars[i - 1].Close))];
        };
    }

    private static JsonObject Row((DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, long Volume) b, decimal previous)
    {
        string S(decimal v) => (v > previous ? "+" : v < previous ? "-" : "") + v.ToString(CultureInfo.InvariantCulture);
        var change = b.Close - previous;
        return new JsonObject
        {
            ["cur_prc"] = S(b.Close),
            ["trde_qty"] = b.Volume.ToString(CultureInfo.InvariantCulture),
            ["dt"] = b.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            ["open_pric"] = S(b.Open),
            ["high_pric"] = S(b.High),
            ["low_pric"] = S(b.Low),
            ["pred_pre"] = change == 0 ? "0" : (change > 0 ? "+" : "-") + Math.Abs(change).ToString(CultureInfo.InvariantCulture),
            ["pred_pre_sig"] = change > 0 ? "2" : change < 0 ? "5" : "3",
        };
    }

    /// <summary>The progress key of adjusted bars: as of the last final session by the system clock (the CLI's clock).</summary>
    private static string AdjustedKey() =>
        "adjusted@" + Features.Collection.FinalSessions.LastFinal(TestData.Calendar, DateTimeOffset.UtcNow)!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
