namespace KrxHub.Core.Backtesting;

/// <summary>
/// A backtest against an index over the same sessions (docs/backtesting.md, "Benchmark"). Ratios are fractions; statistics
/// over daily returns use 252 sessions a year and a zero risk-free rate, like <see cref="BacktestStatistics"/>.
/// </summary>
public sealed record BenchmarkMetrics(
    string Index,
    string Name,
    DateOnly BaseDate,
    decimal BaseLevel,
    decimal FinalLevel,
    double TotalReturn,
    double? Cagr,
    double MaxDrawdown,
    DateOnly? MaxDrawdownPeak,
    DateOnly? MaxDrawdownTrough,
    double? Beta,
    double? AlphaDaily,
    double? AlphaAnnualised,
    double? TrackingError,
    double? InformationRatio,
    int Sessions,
    int SessionsWithoutLevel);

/// <summary>
/// Compares an equity curve with an index's closes. With strategy returns s_k = E_k / E_(k-1) - 1 (E_(-1) = initial cash, as
/// <see cref="BacktestStatistics.DailyReturns"/>) and index returns b_k = B_k / B_(k-1) - 1 on the curve's sessions, B_(-1)
/// being the index's last close before the first session (the first session's own close when none is stored):
/// <list type="bullet">
/// <item>total return B_n / B_(-1) - 1; CAGR (B_n / B_(-1))^(365.25 / days) - 1 over the curve's calendar days; max drawdown
/// of B_0..B_n, as for the equity curve;</item>
/// <item>beta = cov(s, b) / var(b); alpha (daily) = mean(s) - beta × mean(b), annualised × 252;</item>
/// <item>tracking error = stdev(s - b) × √252 (sample, n - 1); information ratio = mean(s - b) × 252 / tracking error.</item>
/// </list>
/// A session without an index close carries the previous close (b_k = 0) and is counted in SessionsWithoutLevel.
/// </summary>
public static class BenchmarkComparison
{
    public static BenchmarkMetrics? Compute(string index, string name, decimal initialCash, IReadOnlyList<EquityPoint> equity,
        IReadOnlyList<(DateOnly Date, decimal Close)> closes)
    {
        ArgumentNullException.ThrowIfNull(equity);
        ArgumentNullException.ThrowIfNull(closes);
        if (equity.Count == 0)
        {
            return null;
        }

        var byDate = new Dictionary<DateOnly, decimal>();
        foreach (var (date, close) in closes)
        {
            byDate[date] = close;
        }

        var first = equity[0].Date;
        var before = closes.Where(c => c.Date < first).Select(c => ((DateOnly, decimal)?)c).LastOrDefault();
        (DateOnly Date, decimal Level)? baseline = before ?? (byDate.TryGetValue(first, out var firstClose) ? (first, firstClose) : null);
        if (baseline is not { } b0 || b0.Level <= 0)
        {
            return null;
        }

        var levels = new EquityPoint[equity.Count];
        var benchmarkReturns = new double[equity.Count];
        var previous = b0.Level;
        var missing = 0;
        for (var k = 0; k < equity.Count; k++)
        {
            if (!byDate.TryGetValue(equity[k].Date, out var level))
            {
                level = previous;
                missing++;
            }

            levels[k] = new EquityPoint(equity[k].Date, level, 0);
            // Computed as BacktestStatistics.DailyReturns computes the account's, so an account that tracks the index has no active return.
            benchmarkReturns[k] = level == previous ? 0 : ((double)level / (double)previous) - 1;
            previous = level;
        }

        var final = levels[^1].Equity;
        var days = equity[^1].Date.DayNumber - first.DayNumber;
        double? cagr = days > 0 ? Math.Pow((double)(final / b0.Level), BacktestStatistics.DaysPerYear / days) - 1 : null;
        var (maxDrawdown, peak, trough) = BacktestStatistics.MaxDrawdown(levels);
        var strategyReturns = BacktestStatistics.DailyReturns(initialCash, equity);
        var (beta, alpha, trackingError, information) = Relative(strategyReturns, benchmarkReturns);
        return new BenchmarkMetrics(index, name, b0.Date, b0.Level, final, (double)(final / b0.Level) - 1, cagr, maxDrawdown, peak, trough,
            beta, alpha, alpha * BacktestStatistics.SessionsPerYear, trackingError, information, equity.Count, missing);
    }

    /// <summary>Beta, daily alpha, annualised tracking error and information ratio of <paramref name="s"/> against <paramref name="b"/>.</summary>
    public static (double? Beta, double? AlphaDaily, double? TrackingError, double? InformationRatio) Relative(IReadOnlyList<double> s, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(b);
        if (s.Count != b.Count)
        {
            throw new ArgumentException("the two return series must be of the same sessions", nameof(b));
        }

        var n = s.Count;
        if (n < 2)
        {
            return (null, null, null, null);
        }

        var meanS = s.Sum() / n;
        var meanB = b.Sum() / n;
        double covariance = 0, varianceB = 0;
        for (var k = 0; k < n; k++)
        {
            covariance += (s[k] - meanS) * (b[k] - meanB);
            varianceB += (b[k] - meanB) * (b[k] - meanB);
        }

        double? beta = varianceB > 0 ? covariance / varianceB : null;
        double? alpha = beta is { } bt ? meanS - (bt * meanB) : null;
        var meanActive = meanS - meanB;
        var squares = 0.0;
        for (var k = 0; k < n; k++)
        {
            var active = s[k] - b[k] - meanActive;
            squares += active * active;
        }

        var trackingError = Math.Sqrt(squares / (n - 1)) * Math.Sqrt(BacktestStatistics.SessionsPerYear);
        return (beta, alpha, trackingError, trackingError > 0 ? meanActive * BacktestStatistics.SessionsPerYear / trackingError : null);
    }
}
