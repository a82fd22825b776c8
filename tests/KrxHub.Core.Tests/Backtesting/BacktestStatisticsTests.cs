using KrxHub.Core.Backtesting;

namespace KrxHub.Core.Tests.Backtesting;

public sealed class BacktestStatisticsTests
{
    private static readonly DateOnly D0 = new(2020, 1, 1);

    [Fact]
    public void Doubling_over_four_years_of_calendar_days_is_a_cagr_of_the_fourth_root_of_two()
    {
        // 1,461 days = 4 × 365.25.
        var curve = new[] { new EquityPoint(D0, 100m, 100m), new EquityPoint(D0.AddDays(1461), 200m, 200m) };
        var m = BacktestStatistics.Compute(100m, curve, 0, 0, 0, 0m, 0, 0);

        Assert.Equal(1.0, m.TotalReturn, 12);
        Assert.Equal(Math.Pow(2, 0.25) - 1, m.Cagr!.Value, 12);
        Assert.Equal(200m, m.FinalEquity);
    }

    [Fact]
    public void Max_drawdown_is_the_largest_fall_from_a_running_peak_with_its_dates()
    {
        decimal[] values = [100m, 120m, 90m, 130m, 65m, 140m];
        var curve = values.Select((v, i) => new EquityPoint(D0.AddDays(i), v, v)).ToArray();
        var (drawdown, peak, trough) = BacktestStatistics.MaxDrawdown(curve);

        Assert.Equal(0.5, drawdown, 12); // 130 → 65
        Assert.Equal(D0.AddDays(3), peak);
        Assert.Equal(D0.AddDays(4), trough);
    }

    [Fact]
    public void Max_drawdown_equals_a_brute_force_search_over_every_pair_on_real_closes()
    {
        // 005930's real closes as an equity curve: many peaks, flats and ties.
        var closes = BacktestData.Samsung.CloseColumn.ToArray()[..1500];
        var curve = closes.Select((v, i) => new EquityPoint(BacktestData.Samsung.DateAt(i), v, v)).ToArray();

        var worst = 0m;
        DateOnly? worstPeak = null, worstTrough = null;
        for (var j = 0; j < curve.Length; j++)
        {
            // The running peak before j: the first index holding the maximum so far (ties keep the earliest).
            var p = 0;
            for (var i = 1; i <= j; i++)
            {
                if (curve[i].Equity > curve[p].Equity)
                {
                    p = i;
                }
            }

            var drawdown = 1 - (curve[j].Equity / curve[p].Equity);
            if (drawdown > worst)
            {
                (worst, worstPeak, worstTrough) = (drawdown, curve[p].Date, curve[j].Date);
            }
        }

        Assert.Equal(((double)worst, worstPeak, worstTrough), BacktestStatistics.MaxDrawdown(curve));
        Assert.True(worst > 0.3m);
    }

    [Fact]
    public void Volatility_sharpe_and_sortino_follow_their_definitions_on_known_returns()
    {
        // Returns +10 %, -10 %, +10 %, -10 % from 100: 110, 99, 108.9, 98.01.
        decimal[] values = [110m, 99m, 108.9m, 98.01m];
        var curve = values.Select((v, i) => new EquityPoint(D0.AddDays(i), v, v)).ToArray();
        var returns = BacktestStatistics.DailyReturns(100m, curve);
        Assert.Equal([0.1, -0.1, 0.1, -0.1], returns.Select(r => Math.Round(r, 12)));

        var (volatility, sharpe, sortino) = BacktestStatistics.ReturnStatistics(returns);
        var stdev = Math.Sqrt(4 * 0.01 / 3); // mean 0, sample variance = Σr² / (n - 1)
        Assert.Equal(stdev * Math.Sqrt(252), volatility!.Value, 10);
        Assert.Equal(0, sharpe!.Value, 10);
        Assert.Equal(0, sortino!.Value, 10);

        // Mean 0.01 with one negative day: downside deviation = √(0.02² / 2).
        var (_, sharpe2, sortino2) = BacktestStatistics.ReturnStatistics([0.04, -0.02]);
        Assert.Equal(0.01 / Math.Sqrt(0.0018) * Math.Sqrt(252), sharpe2!.Value, 10);
        Assert.Equal(0.01 / Math.Sqrt(0.0002) * Math.Sqrt(252), sortino2!.Value, 10);
    }

    [Fact]
    public void A_flat_curve_has_no_sharpe_and_no_drawdown()
    {
        var curve = Enumerable.Range(0, 5).Select(i => new EquityPoint(D0.AddDays(i), 100m, 100m)).ToArray();
        var m = BacktestStatistics.Compute(100m, curve, 0, 0, 0, 0m, 0, 0);

        Assert.Null(m.Sharpe);
        Assert.Null(m.Sortino);
        Assert.Equal(0, m.MaxDrawdown);
        Assert.Null(m.MaxDrawdownPeak);
        Assert.Null(m.WinRate);
        Assert.Equal(0, m.Exposure);
    }

    [Fact]
    public void Turnover_exposure_and_win_rate_use_their_documented_definitions()
    {
        var curve = new[] { new EquityPoint(D0, 100m, 0m), new EquityPoint(D0.AddDays(1), 300m, 300m) };
        var m = BacktestStatistics.Compute(100m, curve, trades: 4, roundTrips: 2, wins: 1, tradedValue: 400m, sessionsInvested: 1, rejectedOrders: 0);

        Assert.Equal(1.0, m.Turnover, 12); // 400 / 2 / mean(100, 300)
        Assert.Equal(0.5, m.Exposure, 12);
        Assert.Equal(0.5, m.WinRate!.Value, 12);
    }
}
