using KrxHub.Core.Live;

namespace KrxHub.Core.Tests.Live;

public class MinuteBarBuilderTests
{
    private static readonly StockCode Samsung = StockCode.Parse("005930");
    private static readonly DateTimeOffset Now = new(2024, 1, 2, 10, 5, 0, KrxCalendar.KstOffset);

    // 005930 on 2024-01-02 (raw): open 78,200, high 79,800, low 78,200, close 79,600, previous close 78,500.
    private static LiveTick Trade(int hour, int minute, int second, decimal price, long volume) =>
        new(Samsung, new DateTimeOffset(2024, 1, 2, hour, minute, second, KrxCalendar.KstOffset), LiveSources.Simulated,
            price, price - 78_500m, Math.Round((price - 78_500m) / 78_500m * 100m, 2), volume, 0, 0m, 78_200m, 79_800m, 78_200m);

    [Fact]
    public void A_trade_in_the_next_minute_completes_the_bar_with_its_open_high_low_close_and_totals()
    {
        var builder = new MinuteBarBuilder();
        Assert.Null(builder.Add(Trade(10, 0, 1, 78_200m, 100), Now));
        Assert.Null(builder.Add(Trade(10, 0, 20, 78_900m, 50), Now));
        Assert.Null(builder.Add(Trade(10, 0, 59, 78_100m, 10), Now));
        Assert.Null(builder.Add(Trade(10, 0, 59, 78_400m, 5), Now));
        var bar = builder.Add(Trade(10, 1, 0, 78_500m, 1), Now);

        Assert.NotNull(bar);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 10, 0, 0, KrxCalendar.KstOffset), bar.Start);
        Assert.Equal((78_200m, 78_900m, 78_100m, 78_400m, 165L), (bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
        Assert.Equal(78_200m * 100 + 78_900m * 50 + 78_100m * 10 + 78_400m * 5, bar.TradingValue);
        Assert.Equal(LiveSources.Simulated, bar.Source);
        Assert.Empty(MinuteBarBuilder.Check(bar, Market.Kospi));
    }

    [Fact]
    public void A_completed_minute_is_never_reopened_by_a_late_trade()
    {
        var builder = new MinuteBarBuilder();
        builder.Add(Trade(10, 0, 1, 78_200m, 100), Now);
        var done = builder.CompleteBefore(new DateTimeOffset(2024, 1, 2, 10, 1, 0, KrxCalendar.KstOffset), Now);
        Assert.Single(done);

        Assert.Null(builder.Add(Trade(10, 0, 30, 78_300m, 7), Now));
        Assert.Equal(1, builder.LateTrades);
        Assert.Equal(0, builder.OpenCount);
        Assert.Empty(builder.CompleteAll(Now));
    }

    [Fact]
    public void Bars_off_the_tick_grid_or_with_inconsistent_prices_are_rejected_with_reasons()
    {
        var start = new DateTimeOffset(2024, 1, 2, 10, 0, 0, KrxCalendar.KstOffset);
        // 78,250 is not on the 100-KRW grid that applies from 50,000 KRW (unified table since 2023-01-25).
        var offGrid = new MinuteBar(Samsung, start, 78_200m, 78_250m, 78_200m, 78_200m, 10, 782_000m, "test", Now);
        var inconsistent = new MinuteBar(Samsung, start, 78_200m, 78_100m, 78_000m, 78_200m, 10, 782_000m, "test", Now);
        var negative = new MinuteBar(Samsung, start, 78_200m, 78_200m, 78_200m, 78_200m, -1, -78_200m, "test", Now);

        Assert.Equal(["off_tick_grid"], MinuteBarBuilder.Check(offGrid, Market.Kospi));
        Assert.Equal(["ohlc_inconsistent"], MinuteBarBuilder.Check(inconsistent, Market.Kospi));
        Assert.Equal(["negative_volume"], MinuteBarBuilder.Check(negative, Market.Kospi));
    }
}
