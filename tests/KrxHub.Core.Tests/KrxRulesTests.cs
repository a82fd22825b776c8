using KrxHub.Core;

namespace KrxHub.Core.Tests;

public class KrxRulesTests
{
    private static readonly DateOnly Unified = new(2024, 1, 2);
    private static readonly DateOnly Before = new(2022, 6, 2);

    [Theory]
    [InlineData(1999, 1)]
    [InlineData(2000, 5)]
    [InlineData(4995, 5)]
    [InlineData(5000, 10)]
    [InlineData(19990, 10)]
    [InlineData(20000, 50)]
    [InlineData(49950, 50)]
    [InlineData(50000, 100)]
    [InlineData(199900, 100)]
    [InlineData(200000, 500)]
    [InlineData(499500, 500)]
    [InlineData(500000, 1000)]
    public void Unified_tick_table_since_2023_01_25_at_band_edges(int price, int tick)
    {
        foreach (var market in Enum.GetValues<Market>())
        {
            Assert.Equal(tick, KrxRules.TickSize(price, market, Unified));
        }
    }

    [Theory]
    [InlineData(999, 1, 1)]
    [InlineData(1000, 5, 5)]
    [InlineData(4995, 5, 5)]
    [InlineData(5000, 10, 10)]
    [InlineData(9990, 10, 10)]
    [InlineData(10000, 50, 50)]
    [InlineData(49950, 50, 50)]
    [InlineData(50000, 100, 100)]
    [InlineData(99900, 100, 100)]
    [InlineData(100000, 500, 100)]
    [InlineData(499500, 500, 100)]
    [InlineData(500000, 1000, 100)]
    public void Per_market_tick_tables_before_2023_01_25_at_band_edges(int price, int kospi, int kosdaq)
    {
        Assert.Equal(kospi, KrxRules.TickSize(price, Market.Kospi, Before));
        Assert.Equal(kosdaq, KrxRules.TickSize(price, Market.Kosdaq, Before));
        Assert.Equal(kosdaq, KrxRules.TickSize(price, Market.Konex, Before));
    }

    [Fact]
    public void The_table_switches_on_2023_01_25()
    {
        Assert.Equal(50, KrxRules.TickSize(15000, Market.Kospi, new DateOnly(2023, 1, 24)));
        Assert.Equal(10, KrxRules.TickSize(15000, Market.Kospi, new DateOnly(2023, 1, 25)));
    }

    [Fact]
    public void No_tick_grid_is_enforced_before_2010()
    {
        Assert.Null(KrxRules.TickSize(12345, Market.Kospi, new DateOnly(2009, 12, 30)));
        Assert.True(KrxRules.IsOnTickGrid(12345, Market.Kospi, new DateOnly(2009, 12, 30)));
    }

    [Fact]
    public void Real_prices_lie_on_the_grid_and_others_do_not()
    {
        // Samsung Electronics 2024-01-02: open 78,200, high 79,800, close 79,600 (raw KRX).
        Assert.True(KrxRules.IsOnTickGrid(79600, Market.Kospi, Unified));
        Assert.False(KrxRules.IsOnTickGrid(79650, Market.Kospi, Unified));
        // Before 2023-01-25 KOSDAQ above 100,000 trades in steps of 100, KOSPI in 500.
        Assert.True(KrxRules.IsOnTickGrid(123400, Market.Kosdaq, Before));
        Assert.False(KrxRules.IsOnTickGrid(123400, Market.Kospi, Before));
    }

    [Fact]
    public void The_limit_is_thirty_percent_since_2015_06_15_and_fifteen_before()
    {
        Assert.Equal(0.30m, KrxRules.LimitRate(Market.Kospi, new DateOnly(2015, 6, 15)));
        Assert.Equal(0.15m, KrxRules.LimitRate(Market.Kospi, new DateOnly(2015, 6, 12)));
        Assert.Equal(0.30m, KrxRules.LimitRate(Market.Kosdaq, Unified));
        Assert.Equal(0.15m, KrxRules.LimitRate(Market.Konex, Unified));
    }

    [Fact]
    public void Limit_prices_are_truncated_into_the_tick_grid()
    {
        // 79,600 × 1.3 = 103,480 → 103,400 (tick 100); × 0.7 = 55,720 → 55,800 (rounded up).
        Assert.Equal((55_800m, 103_400m), KrxRules.PriceLimits(79_600m, Market.Kospi, Unified));
        // 10,000 → exactly 13,000 and 7,000.
        Assert.Equal((7_000m, 13_000m), KrxRules.PriceLimits(10_000m, Market.Kosdaq, Unified));
        // Before 2015-06-15: ±15%. 10,000 → 11,500 / 8,500.
        Assert.Equal((8_500m, 11_500m), KrxRules.PriceLimits(10_000m, Market.Kospi, new DateOnly(2015, 6, 12)));
        // Crossing a band: 16,000 × 1.3 = 20,800 → tick 50 → 20,800; 16,000 × 0.7 = 11,200.
        Assert.Equal((11_200m, 20_800m), KrxRules.PriceLimits(16_000m, Market.Kospi, Unified));
        // 1,537 × 1.3 = 1,998.1 → 1,998; × 0.7 = 1,075.9 → 1,076.
        Assert.Equal((1_076m, 1_998m), KrxRules.PriceLimits(1_537m, Market.Kosdaq, Unified));
    }

    [Fact]
    public void Ceiling_to_tick_moves_to_the_next_grid_point()
    {
        Assert.Equal(20_000m, KrxRules.CeilingToTick(19_995m, Market.Kospi, Unified));
        Assert.Equal(20_050m, KrxRules.CeilingToTick(20_001m, Market.Kospi, Unified));
        Assert.Equal(20_000m, KrxRules.CeilingToTick(20_000m, Market.Kospi, Unified));
    }
}
