using KrxHub.Testing;

namespace KrxHub.Core.Tests;

/// <summary>Corporate actions from KRX base prices, and exact adjusted prices, on 005930's real raw rows around the 2018 split.</summary>
public class PriceAdjustmentTests
{
    private static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));
    private static readonly StockCode Samsung = StockCode.Parse("005930");

    /// <summary>KRX MDCSTAT01701 raw rows of 005930, 2018-04-27..05-04, with base = close − CMPPREVDD_PRC.</summary>
    private static List<DailyBar> SplitRows()
    {
        var lines = File.ReadAllLines(TestPaths.Reference("ohlcv", "krx_MDCSTAT01701_005930_20180427_20180504_raw.csv")).Skip(1);
        return [.. lines.Select(line =>
        {
            var f = line.Split(',');
            decimal D(int i) => decimal.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture);
            var close = D(1);
            var noTrade = D(5) == 0m;
            return new DailyBar(Samsung, DateOnly.ParseExact(f[0], "yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture),
                noTrade ? close : D(5), noTrade ? close : D(6), noTrade ? close : D(7), close, (long)D(8), D(9), D(10), (long)D(11),
                PriceBasis.Raw, "krx", DateTimeOffset.UnixEpoch, noTrade) { BasePrice = close - D(3) };
        }).OrderBy(b => b.Date)];
    }

    private static List<RawClose> Closes(IEnumerable<DailyBar> bars) => [.. bars.Select(b => new RawClose(b.Date, b.Close, b.BasePrice, b.Source))];

    [Fact]
    public void The_2018_split_is_one_event_with_factor_two_hundredths()
    {
        var events = PriceAdjustment.DetectEvents(Samsung, Closes(SplitRows()), Calendar);
        var e = Assert.Single(events);
        Assert.Equal(new DateOnly(2018, 5, 4), e.Date);
        Assert.Equal(new DateOnly(2018, 5, 3), e.PreviousDate);
        Assert.Equal(2_650_000m, e.PreviousClose);
        Assert.Equal(53_000m, e.BasePrice);
        Assert.Equal(0.02m, e.Factor);
    }

    [Fact]
    public void Adjusted_prices_before_the_split_are_exact_and_volume_stays_as_traded()
    {
        var raw = SplitRows();
        var adjusted = PriceAdjustment.Adjust(raw, PriceAdjustment.DetectEvents(Samsung, Closes(raw), Calendar));
        var before = adjusted.Single(b => b.Date == new DateOnly(2018, 4, 27));
        // Naver's adjusted high is 53,639: its rounding artifact; 2,682,000 × 0.02 is exactly 53,640.
        Assert.Equal((53_380m, 53_640m, 52_440m, 53_000m), (before.Open, before.High, before.Low, before.Close));
        Assert.Equal(606_216, before.Volume);
        Assert.Equal(PriceBasis.Adjusted, before.Basis);
        var after = adjusted.Single(b => b.Date == new DateOnly(2018, 5, 4));
        Assert.Equal((53_000m, 53_900m, 51_800m, 51_900m), (after.Open, after.High, after.Low, after.Close));
    }

    [Fact]
    public void Coverage_is_complete_on_consecutive_sessions_with_base_prices_and_names_the_first_hole_otherwise()
    {
        var raw = SplitRows();
        Assert.True(PriceAdjustment.Coverage(Closes(raw), Calendar).Complete);

        var withHole = Closes(raw.Where(b => b.Date != new DateOnly(2018, 5, 2)));
        var holed = PriceAdjustment.Coverage(withHole, Calendar);
        Assert.False(holed.Complete);
        Assert.Equal(new DateOnly(2018, 5, 3), holed.FirstUnknown);
        // Across a hole a base that differs from the last close is not an event: the price may simply have moved.
        Assert.Single(PriceAdjustment.DetectEvents(Samsung, withHole, Calendar));
        Assert.Empty(PriceAdjustment.DetectEvents(Samsung, Closes(raw.Where(b => b.Date != new DateOnly(2018, 5, 3))), Calendar));

        var noChange = Closes(raw.Select(b => b.Date == new DateOnly(2018, 5, 4) ? b with { BasePrice = null } : b));
        Assert.False(PriceAdjustment.Coverage(noChange, Calendar).Complete);
        Assert.Empty(PriceAdjustment.DetectEvents(Samsung, noChange, Calendar));
    }

    [Fact]
    public void Factors_multiply_exactly_and_round_to_the_won_only_at_the_end()
    {
        // Two 1:3 events: 1/3 × 1/3 is not a finite decimal, but 90,000 × 1/9 is exactly 10,000.
        var code = StockCode.Parse("000020");
        var events = new[]
        {
            new AdjustmentEvent(code, new DateOnly(2020, 3, 3), new DateOnly(2020, 3, 2), 3_000m, 1_000m, "test"),
            new AdjustmentEvent(code, new DateOnly(2020, 3, 5), new DateOnly(2020, 3, 4), 3_000m, 1_000m, "test"),
        };
        var bar = new DailyBar(code, new DateOnly(2020, 3, 2), 90_000m, 90_001m, 89_999m, 90_000m, 10, null, null, null, PriceBasis.Raw, "test", DateTimeOffset.UnixEpoch);
        var adjusted = PriceAdjustment.Adjust([bar, bar with { Date = new DateOnly(2020, 3, 4) }], events);
        Assert.Equal((10_000m, 10_000m, 10_000m, 10_000m), (adjusted[0].Open, adjusted[0].High, adjusted[0].Low, adjusted[0].Close));
        // 90,001 / 3 = 30,000.33 → 30,000; 89,999 / 3 = 29,999.67 → 30,000; half rounds away from zero.
        Assert.Equal((30_000m, 30_000m, 30_000m), (adjusted[1].High, adjusted[1].Low, adjusted[1].Close));
        var half = PriceAdjustment.Adjust([bar with { Close = 1_001m }], [events[1] with { BasePrice = 1_500m }]);
        Assert.Equal(501m, half[0].Close); // 1,001 × 0.5 = 500.5
    }
}
