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

    // The sign of fast - slow, kept as the sign of fastSum × slow - slowSum × fast: the same comparison without
    // two decimal divisions per bar (the sums are exact, so the products are too). Null until both windows are full.
    private decimal? _gapNow;
    private decimal? _gapBefore;

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
            _fast.Push(close);
            _slow.Push(close);
            _gapBefore = _gapNow;
            _gapNow = _slow.IsFull ? (_fast.Sum * Slow) - (_slow.Sum * Fast) : null;
        }

        if (bars.LastDate != context.Date || _gapBefore is not { } gapBefore || _gapNow is not { } gapNow)
        {
            return;
        }

        var position = context.Position(_code);
        if (position == 0 && gapNow > 0 && gapBefore <= 0)
        {
            context.BuyAllIn(_code);
        }
        else if (position > 0 && gapNow < 0 && gapBefore >= 0)
        {
            context.SellAll(_code);
        }
    }
}
