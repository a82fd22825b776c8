using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

/// <summary>Index bars and constituents from the real reference files, on both backends.</summary>
public sealed class IndexTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>KOSDAQ (kq11) bars of the reference file in [from, to], read with a plain split.</summary>
    private static List<IndexBar> Kosdaq(DateOnly from, DateOnly to)
    {
        static decimal? N(string s) => s.Length == 0 ? null : decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        var bars = new List<IndexBar>();
        foreach (var line in File.ReadLines(TestPaths.Reference("index", "fdr_krx_data_cache", "kq11_daily_all_years.csv")).Skip(1))
        {
            var f = line.Split(',');
            var date = DateOnly.ParseExact(f[0], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (date >= from && date <= to)
            {
                bars.Add(new IndexBar("2001", date, N(f[5]), N(f[6]), N(f[7]), N(f[1])!.Value, (long?)N(f[8]), N(f[9]), N(f[10]), "fdr", Samples.FetchedAt));
            }
        }

        return bars;
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Real_index_bars_read_back_equal_and_a_repeat_changes_nothing_but_a_correction(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var bars = Kosdaq(new DateOnly(2025, 1, 1), new DateOnly(2026, 3, 20));

        var first = await db.Store.PromoteIndexBarsAsync(bars, Ct);
        var again = await db.Store.PromoteIndexBarsAsync(bars, Ct);
        var corrected = await db.Store.PromoteIndexBarsAsync([bars[^1] with { Close = 1161.53m, FetchedAt = Samples.FetchedAt.AddDays(1) }], Ct);

        Assert.Equal(new PromotionResult(bars.Count, 0), first);
        Assert.Equal(new PromotionResult(0, bars.Count), again);
        Assert.Equal(new PromotionResult(1, 0), corrected);
        var stored = await db.Store.GetIndexBarsAsync("2001", DateOnly.MinValue, DateOnly.MaxValue, Ct);
        Assert.Equal([.. bars[..^1].Select(b => b with { FetchedAt = Samples.Stored(b.FetchedAt) })], stored.Take(bars.Count - 1));
        Assert.Equal((new DateOnly(2026, 3, 20), 1161.53m, Samples.Stored(Samples.FetchedAt.AddDays(1))), (stored[^1].Date, stored[^1].Close, stored[^1].FetchedAt));
        Assert.Equal(1137.68m, stored.Single(b => b.Date == new DateOnly(2026, 3, 10)).Close);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_stored_index_list_gives_sessions_range_and_last_close_per_index(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var kosdaq = Kosdaq(new DateOnly(1996, 7, 1), new DateOnly(1996, 7, 31));
        var unpublished = new IndexBar("1028", new DateOnly(1990, 1, 3), null, null, null, 100m, 4_024_570, null, null, "fdr", Samples.FetchedAt);
        await db.Store.PromoteIndexBarsAsync([.. kosdaq, unpublished], Ct);

        var list = await db.Store.GetStoredIndicesAsync(Ct);

        Assert.Equal(
        [
            new StoredIndex("1028", 1, unpublished.Date, unpublished.Date, 100m, "fdr", Samples.Stored(Samples.FetchedAt)),
            new StoredIndex("2001", kosdaq.Count, new DateOnly(1996, 7, 1), kosdaq[^1].Date, kosdaq[^1].Close, "fdr", Samples.Stored(Samples.FetchedAt)),
        ], list);
        var early = Assert.Single(await db.Store.GetIndexBarsAsync("1028", DateOnly.MinValue, DateOnly.MaxValue, Ct));
        Assert.Equal((null, null, null, (decimal?)null), (early.Open, early.High, early.Low, early.MarketCap));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Constituents_on_a_date_are_the_newest_list_dated_on_or_before_it(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        IndexConstituent Row(string date, string code, decimal cap, decimal weight) =>
            new("1001", DateOnly.Parse(date, CultureInfo.InvariantCulture), StockCode.Parse(code), null, null, cap, weight, "krx:MDCSTAT00601", Samples.FetchedAt);
        // Market caps of 2014-05-02 and 2026-01-23 from the reference MDCSTAT00601 lists.
        await db.Store.PromoteIndexConstituentsAsync(
        [
            Row("2014-05-02", "005930", 198_264_907_602_000m, 0.6m),
            Row("2014-05-02", "000660", 28_869_666_219_150m, 0.4m),
            Row("2026-01-23", "000660", 558_377_813_955_000m, 0.38m),
            Row("2026-01-23", "005930", 900_376_927_936_200m, 0.62m),
        ], Ct);

        var before = await db.Store.GetIndexConstituentsAsync("1001", new DateOnly(2014, 5, 1), Ct);
        var between = await db.Store.GetIndexConstituentsAsync("1001", new DateOnly(2021, 1, 29), Ct);
        var after = await db.Store.GetIndexConstituentsAsync("1001", new DateOnly(2026, 3, 1), Ct);

        Assert.Empty(before);
        Assert.Equal([("005930", new DateOnly(2014, 5, 2)), ("000660", new DateOnly(2014, 5, 2))], between.Select(c => (c.Code.Value, c.Date)));
        Assert.Equal(["005930", "000660"], after.Select(c => c.Code.Value));
        Assert.Equal(900_376_927_936_200m, after[0].MarketCap);
        Assert.Equal([new DateOnly(2014, 5, 2), new DateOnly(2026, 1, 23)], await db.Store.GetIndexConstituentDatesAsync("1001", Ct));
    }
}
