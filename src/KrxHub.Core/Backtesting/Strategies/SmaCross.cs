using KrxHub.Core.Indicators;

namespace KrxHub.Core.Backtesting.Strategies;

/// <summary>
/// Single stock. SMA_w[t] = mean of the last w closes, defined from the w-th bar on. Buy all-in when flat and
/// fast[t] &gt; slow[t] &amp;&amp; fast[t-1] &lt;= slow[t-1]; sell all when long and fast[t] &lt; slow[t] &amp;&amp; fast[t-1] &gt;= slow[t-1].
/// Decisions only on sessions where the stock has a bar.
/// </summary>
public sealed class SmaCross : Strategy
{
    private readonly StockCode _code;
    private readonly SmaStream _fast;
    private readonly SmaStream _slow;
    private int _fed;
    private decimal? _fastNow;
    private decimal? _slowNow;
    private decimal? _fastBefore;
    private decimal? _slowBefore;

    public SmaCross(StockCode code, int fast, int slow)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fast);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slow, fast);
        _code = code;
        Fast = fast;
        Slow = slow;
        _fast = new SmaStream(fast);
        _slow = new SmaStream(slow);
    }

    public int Fast { get; }

    public int Slow { get; }

    /// <summary>The crossing on the first session needs SMAs of the session before it.</summary>
    public override int WarmupBars => Slow;

    public override void OnSession(StrategyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bars = context.Bars(_code);
        while (_fed < bars.Count)
        {
            var close = bars.Close(_fed++);
            (_fastBefore, _slowBefore) = (_fastNow, _slowNow);
            (_fastNow, _slowNow) = (_fast.Add(close), _slow.Add(close));
        }

        if (bars.LastDate != context.Date || _slowBefore is not { } slowBefore || _slowNow is not { } slowNow)
        {
            return;
        }

        var fastNow = _fastNow!.Value;
        var fastBefore = _fastBefore!.Value;
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
}
