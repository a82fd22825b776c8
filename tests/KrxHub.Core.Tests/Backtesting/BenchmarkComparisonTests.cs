using KrxHub.Core.Backtesting;

namespace KrxHub.Core.Tests.Backtesting;

public class BenchmarkComparisonTests
{
    private static readonly DateOnly D0 = new(2026, 3, 5);

    // KOSPI closes of 2026-03-04..03-10 (FinanceDataReader cache): 5093.54, 5583.90, 5584.87, 5251.87, 5532.59.
    private static readonly (DateOnly, decimal)[] Kospi =
    [
        (new(2026, 3, 4), 5093.54m), (new(2026, 3, 5), 5583.9m), (new(2026, 3, 6), 5584.87m), (new(2026, 3, 9), 5251.87m), (new(2026, 3, 10), 5532.59m),
    ];

    [Fact]
    public void An_account_that_tracks_the_index_exactly_has_beta_one_and_no_active_risk()
    {
        var equity = Kospi[1..].Select(k => new EquityPoint(k.Item1, k.Item2 * 1000, 0)).ToList();

        var b = BenchmarkComparison.Compute("1001", "KOSPI", 5093.54m * 1000, equity, Kospi)!;

        Assert.Equal((new DateOnly(2026, 3, 4), 5093.54m, 5532.59m), (b.BaseDate, b.BaseLevel, b.FinalLevel));
        Assert.Equal((double)(5532.59m / 5093.54m) - 1, b.TotalReturn, 12);
        Assert.Equal(1.0, b.Beta!.Value, 12);
        Assert.Equal(0.0, b.AlphaDaily!.Value, 12);
        Assert.Equal(0.0, b.TrackingError!.Value, 12);
        Assert.Null(b.InformationRatio);
        Assert.Equal(1 - (double)(5251.87m / 5584.87m), b.MaxDrawdown, 12);
        Assert.Equal((new DateOnly(2026, 3, 6), new DateOnly(2026, 3, 9)), (b.MaxDrawdownPeak!.Value, b.MaxDrawdownTrough!.Value));
    }

    [Fact]
    public void A_session_without_an_index_close_carries_the_previous_close_and_is_counted()
    {
        var equity = new List<EquityPoint> { new(D0, 100, 0), new(new(2026, 3, 6), 101, 0), new(new(2026, 3, 9), 99, 0) };

        var b = BenchmarkComparison.Compute("1001", "KOSPI", 100, equity, [.. Kospi.Where(k => k.Item1 != new DateOnly(2026, 3, 6))])!;

        Assert.Equal(1, b.SessionsWithoutLevel);
        Assert.Equal(5251.87m, b.FinalLevel);
        Assert.Equal(1 - (double)(5251.87m / 5583.9m), b.MaxDrawdown, 12);
        Assert.Equal((D0, new DateOnly(2026, 3, 9)), (b.MaxDrawdownPeak!.Value, b.MaxDrawdownTrough!.Value));
    }

    [Fact]
    public void Without_a_close_on_or_before_the_first_session_there_is_no_benchmark()
    {
        var equity = new List<EquityPoint> { new(new(2026, 3, 3), 100, 0) };

        Assert.Null(BenchmarkComparison.Compute("1001", "KOSPI", 100, equity, Kospi));
        Assert.Null(BenchmarkComparison.Compute("1001", "KOSPI", 100, [], Kospi));
    }
}
