namespace KrxHub.Core.Backtesting.Strategies;

/// <summary>
/// Multi-stock. On the last KRX session of each month, rank the stocks that trade that session and have at least
/// lookback + 1 bars by close[t] / close[t - lookback] - 1 (ties by code), and rebalance to equal weights 1/n of
/// equity in the top n; everything else is sold.
/// </summary>
public sealed class MomentumTopN : Strategy
{
    public MomentumTopN(int lookback, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lookback);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        Lookback = lookback;
        N = n;
    }

    public int Lookback { get; }

    public int N { get; }

    public override int WarmupBars => Lookback;

    public override void OnSession(StrategyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.IsWarmingUp || !context.IsLastSessionOfMonth)
        {
            return;
        }

        var ranked = new List<(StockCode Code, decimal Return)>();
        foreach (var code in context.Codes)
        {
            var bars = context.Bars(code);
            if (!context.IsTradable(code) || bars.Count < Lookback + 1)
            {
                continue;
            }

            var past = bars.Close(bars.Count - 1 - Lookback);
            if (past > 0)
            {
                ranked.Add((code, (bars.Close(bars.Count - 1) / past) - 1));
            }
        }

        var top = ranked.OrderByDescending(r => r.Return).ThenBy(r => r.Code.Value, StringComparer.Ordinal).Take(N).ToList();
        var weights = top.ToDictionary(r => r.Code, _ => 1m / N);
        context.Rebalance(weights);
    }
}
