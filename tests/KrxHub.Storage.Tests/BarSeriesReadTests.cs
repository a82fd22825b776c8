using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

/// <summary>
/// The bulk read behind backtests. On SQLite a whole-market read builds the bar-series cache and later reads come
/// from it; every answer must equal the stored rows exactly, before and after promotions.
/// </summary>
public sealed class BarSeriesReadTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Whole_market_reads_equal_the_stored_rows_cold_and_warm(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var bars = RealBars.Load(60_000);
        // A fractional price, as adjusted histories have, must survive the cache's compact encoding.
        bars[1] = bars[1] with { Close = bars[1].Close + 0.25m, High = bars[1].High + 0.25m };
        await StageAndPromoteAsync(db.Store, bars);
        var from = new DateOnly(2024, 1, 3);
        var to = new DateOnly(2024, 2, 8);
        var expected = Expected(bars, from, to);

        var cold = await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct);
        var warm = await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct);
        var some = await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, [bars[1].Code, StockCode.Parse("005930")], Ct);

        AssertSame(expected, cold);
        if (backend == "sqlite")
        {
            Assert.Equal(bars.Select(b => b.Code).Distinct().Count(), await db.ScalarAsync("SELECT count(*) FROM bar_series_cache WHERE basis = 'raw'"));
        }

        AssertSame(expected, warm);
        AssertSame([.. expected.Where(e => e.Code == bars[1].Code || e.Code.Value == "005930")], some);
        Assert.Empty(await db.Store.GetBarSeriesAsync(PriceBasis.Adjusted, from, to, null, Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_promotion_after_a_cached_read_is_seen_by_the_next_read(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var bars = RealBars.Load(20_000);
        await StageAndPromoteAsync(db.Store, bars);
        var from = new DateOnly(2024, 1, 2);
        var to = new DateOnly(2024, 2, 13);
        await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct);
        await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct);

        var corrected = bars[5] with { Close = bars[5].Close + 5, High = Math.Max(bars[5].High, bars[5].Close + 5) };
        await StageAndPromoteAsync(db.Store, [corrected]);
        bars[5] = corrected;

        AssertSame(Expected(bars, from, to), await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct));
        AssertSame(
            [.. Expected(bars, from, to).Where(e => e.Code == corrected.Code)],
            await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, [corrected.Code], Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Warm_reads_of_other_ranges_equal_the_stored_rows(string backend)
    {
        // On SQLite the second and later whole-market reads slice the decoded market held in memory.
        await using var db = await TestStore.CreateAsync(backend);
        var bars = RealBars.Load(30_000);
        await StageAndPromoteAsync(db.Store, bars);
        await db.Store.GetBarSeriesAsync(PriceBasis.Raw, DateOnly.MinValue, DateOnly.MaxValue, null, Ct);
        await db.Store.GetBarSeriesAsync(PriceBasis.Raw, DateOnly.MinValue, DateOnly.MaxValue, null, Ct);

        foreach (var (from, to) in new[] { (DateOnly.MinValue, DateOnly.MaxValue), (new DateOnly(2024, 1, 10), new DateOnly(2024, 1, 25)), (new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 1)) })
        {
            AssertSame(Expected(bars, from, to), await db.Store.GetBarSeriesAsync(PriceBasis.Raw, from, to, null, Ct));
        }
    }

    [Fact]
    public void The_decoded_market_is_held_for_its_generation_and_let_go_when_unused()
    {
        var time = new ManualTimers();
        using var memo = new DecodedSeriesMemo(time);
        var market = RealBars.Load(2_000).GroupBy(b => b.Code).Select(BarSeries.FromBars).ToList();

        memo.Keep(PriceBasis.Raw, 7, market);
        Assert.Same(market, memo.Get(PriceBasis.Raw, 7));
        Assert.Null(memo.Get(PriceBasis.Raw, 8)); // a promotion bumped the generation
        Assert.Null(memo.Get(PriceBasis.Adjusted, 7));

        Assert.Equal(DecodedSeriesMemo.Hold, time.Due); // each use holds it for another Hold
        time.Fire();
        Assert.Null(memo.Get(PriceBasis.Raw, 7));
        Assert.Equal(0, memo.Count);
    }

    /// <summary>A clock whose one timer fires when the test says so.</summary>
    private sealed class ManualTimers : TimeProvider
    {
        private TimerCallback? _callback;
        private object? _state;

        public TimeSpan Due { get; private set; } = Timeout.InfiniteTimeSpan;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            (_callback, _state, Due) = (callback, state, dueTime);
            return new Timer(this);
        }

        public void Fire() => _callback!(_state);

        private sealed class Timer(ManualTimers owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                owner.Due = dueTime;
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static async Task StageAndPromoteAsync(MarketStore store, IReadOnlyList<DailyBar> bars)
    {
        var runId = await store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        await store.StageDailyBarsAsync(runId, bars, Ct);
        await store.PromoteDailyBarsAsync(runId, Ct);
    }

    private static List<BarSeries> Expected(IEnumerable<DailyBar> bars, DateOnly from, DateOnly to) =>
        [.. bars.Where(b => b.Date >= from && b.Date <= to).GroupBy(b => b.Code).OrderBy(g => g.Key.Value, StringComparer.Ordinal).Select(BarSeries.FromBars)];

    private static void AssertSame(IReadOnlyList<BarSeries> expected, IReadOnlyList<BarSeries> actual)
    {
        Assert.Equal(expected.Select(s => s.Code), actual.Select(s => s.Code));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].DateColumn.ToArray(), actual[i].DateColumn.ToArray());
            Assert.Equal(expected[i].OpenColumn.ToArray(), actual[i].OpenColumn.ToArray());
            Assert.Equal(expected[i].HighColumn.ToArray(), actual[i].HighColumn.ToArray());
            Assert.Equal(expected[i].LowColumn.ToArray(), actual[i].LowColumn.ToArray());
            Assert.Equal(expected[i].CloseColumn.ToArray(), actual[i].CloseColumn.ToArray());
            Assert.Equal(expected[i].VolumeColumn.ToArray(), actual[i].VolumeColumn.ToArray());
        }
    }
}
