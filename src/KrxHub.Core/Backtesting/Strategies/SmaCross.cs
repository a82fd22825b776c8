namespace KrxHub.Core.Backtesting.Strategies;

/// <summary>
/// Single stock. SMA_w[t] = mean of the last w closes, defined from the w-th bar on. Buy all-in when flat and
/// fast[t] &gt; slow[t] &amp;&amp; fast[t-1] &lt;= slow[t-1]; sell all when long and fast[t] &lt; slow[t] &amp;&amp; fast[t-1] &gt;= slow[t-1].
/// Decisions only on sessions where the stock has a bar.
/// </summary>
public sealed class SmaCross : Strategy
{
    private readonly StockCode _code;

    public SmaCross(StockCode code, int fast, int slow)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fast);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slow, fast);
        _code = code;
        Fast = fast;
        Slow = slow;
    }

    public int Fast { get; }

    public int Slow { get; }

    /// <summary>The crossing on the first session needs SMAs of the session before it.</summary>
    public override int WarmupBars => Slow;

    public override void OnSession(StrategyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bars = context.Bars(_code);
        if (bars.LastDate != context.Date || bars.Count < Slow + 1)
        {
            return;
        }

        var closes = bars.Closes;
        var t = closes.Length - 1;
        var fastNow = Mean(closes, t, Fast);
        var slowNow = Mean(closes, t, Slow);
        var fastBefore = Mean(closes, t - 1, Fast);
        var slowBefore = Mean(closes, t - 1, Slow);
        var position = context.Position(_code);
        if (position == 0 && fastNow > slowNow && fastBefore <= slowBefore)
        {
            context.BuyAllIn(_code);
        }
        else if (position > 0 && fastNow < slowNow && fastBefore >= slowBefore)
        {
            context.SellAll(_code);
        }
    }

    private static decimal Mean(ReadOnlySpan<decimal> closes, int end, int window)
    {
        var sum = 0m;
        for (var i = end - window + 1; i <= end; i++)
        {
            sum += closes[i];
        }

        return sum / window;
    }
}
