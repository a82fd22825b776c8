namespace KrxHub.Core.Backtesting;

/// <summary>
/// Statistics of an equity curve, defined so other tools can reproduce them:
/// daily returns r_k = E_k / E_(k-1) - 1 with E_(-1) = initial cash; 252 sessions a year; risk-free rate 0.
/// </summary>
public static class BacktestStatistics
{
    public const int SessionsPerYear = 252;

    /// <summary>Days per year for CAGR, which runs on calendar days between the first and last curve points.</summary>
    public const double DaysPerYear = 365.25;

    public static BacktestMetrics Compute(
        decimal initialCash,
        IReadOnlyList<EquityPoint> equity,
        int trades,
        int roundTrips,
        int wins,
        decimal tradedValue,
        int sessionsInvested,
        int rejectedOrders)
    {
        ArgumentNullException.ThrowIfNull(equity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCash);
        if (equity.Count == 0)
        {
            return new BacktestMetrics(initialCash, initialCash, 0, null, null, null, null, 0, null, null, trades, roundTrips, null, 0, 0, 0, null, null, rejectedOrders);
        }

        var final = equity[^1].Equity;
        var totalReturn = (double)(final / initialCash) - 1;
        var days = equity[^1].Date.DayNumber - equity[0].Date.DayNumber;
        double? cagr = days > 0 && final > 0 ? Math.Pow((double)(final / initialCash), DaysPerYear / days) - 1 : null;

        var returns = DailyReturns(initialCash, equity);
        var (volatility, sharpe, sortino) = ReturnStatistics(returns);
        var (maxDrawdown, peak, trough) = MaxDrawdown(equity);

        var meanEquity = equity.Sum(p => p.Equity) / equity.Count;
        var turnover = meanEquity > 0 ? (double)(tradedValue / 2 / meanEquity) : 0;

        return new BacktestMetrics(
            initialCash,
            final,
            totalReturn,
            cagr,
            volatility,
            sharpe,
            sortino,
            maxDrawdown,
            peak,
            trough,
            trades,
            roundTrips,
            roundTrips > 0 ? wins / (double)roundTrips : null,
            turnover,
            sessionsInvested / (double)equity.Count,
            equity.Count,
            equity[0].Date,
            equity[^1].Date,
            rejectedOrders);
    }

    /// <summary>
    /// r_k = E_k / E_(k-1) - 1 with E_(-1) = initial cash, in double: returns feed double statistics anyway, and a
    /// decimal division per session was the largest cost of a whole-market backtest. Equal equities give exactly 0.
    /// </summary>
    public static double[] DailyReturns(decimal initialCash, IReadOnlyList<EquityPoint> equity)
    {
        ArgumentNullException.ThrowIfNull(equity);
        var returns = new double[equity.Count];
        var previous = initialCash;
        for (var k = 0; k < equity.Count; k++)
        {
            var current = equity[k].Equity;
            returns[k] = previous == 0 || current == previous ? 0 : ((double)current / (double)previous) - 1;
            previous = current;
        }

        return returns;
    }

    /// <summary>
    /// Annualised volatility (sample stdev, n - 1), Sharpe = mean / stdev × √252 and
    /// Sortino = mean / √(Σ min(r, 0)² / n) × √252. Null where undefined.
    /// </summary>
    public static (double? Volatility, double? Sharpe, double? Sortino) ReturnStatistics(IReadOnlyList<double> returns)
    {
        ArgumentNullException.ThrowIfNull(returns);
        var n = returns.Count;
        if (n < 2)
        {
            return (null, null, null);
        }

        var mean = returns.Sum() / n;
        var squares = 0.0;
        var downside = 0.0;
        foreach (var r in returns)
        {
            squares += (r - mean) * (r - mean);
            if (r < 0)
            {
                downside += r * r;
            }
        }

        var stdev = Math.Sqrt(squares / (n - 1));
        var downsideDeviation = Math.Sqrt(downside / n);
        var annualiser = Math.Sqrt(SessionsPerYear);
        return (
            stdev * annualiser,
            stdev > 0 ? mean / stdev * annualiser : null,
            downsideDeviation > 0 ? mean / downsideDeviation * annualiser : null);
    }

    /// <summary>The largest fall from a running peak, as a positive fraction, with the peak's and the trough's dates.
    /// Ties keep the earliest peak and the earliest trough.</summary>
    public static (double MaxDrawdown, DateOnly? Peak, DateOnly? Trough) MaxDrawdown(IReadOnlyList<EquityPoint> equity)
    {
        ArgumentNullException.ThrowIfNull(equity);
        if (equity.Count == 0)
        {
            return (0, null, null);
        }

        var peak = equity[0];
        var lowSincePeak = peak.Equity;
        var worst = 0m;
        DateOnly? worstPeak = null;
        DateOnly? worstTrough = null;
        foreach (var point in equity)
        {
            if (point.Equity > peak.Equity)
            {
                peak = point;
                lowSincePeak = point.Equity;
            }

            // Under one peak the drawdown only grows as equity falls (decimal division is monotonic), so only a new
            // low since the peak can beat the worst: the other points skip the decimal division.
            if (peak.Equity > 0 && point.Equity < lowSincePeak)
            {
                lowSincePeak = point.Equity;
                var drawdown = 1 - (point.Equity / peak.Equity);
                if (drawdown > worst)
                {
                    worst = drawdown;
                    worstPeak = peak.Date;
                    worstTrough = point.Date;
                }
            }
        }

        return ((double)worst, worstPeak, worstTrough);
    }
}
