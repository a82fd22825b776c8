using KrxHub.Core.Indicators;

namespace KrxHub.Core.Backtesting.Strategies;

/// <summary>
/// Single stock. Wilder RSI(period) over all stored closes (warm-up from the first stored bar, so the value does not
/// depend on how much history was loaded). Buy all-in when flat and RSI[t] &lt; low; sell all when long and RSI[t] &gt; high.
/// </summary>
public sealed class RsiReversion : Strategy
{
    private readonly StockCode _code;
    private readonly RsiStream _rsi;
    private int _fed;
    private decimal? _last;

    public RsiReversion(StockCode code, int period, decimal low, decimal high)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(period);
        if (low < 0 || high > 100 || low >= high)
        {
            throw new ArgumentOutOfRangeException(nameof(low), "need 0 <= low < high <= 100");
        }

        _code = code;
        _rsi = new RsiStream(period);
        Period = period;
        Low = low;
        High = high;
    }

    public int Period { get; }

    public decimal Low { get; }

    public decimal High { get; }

    public override int WarmupBars => int.MaxValue;

    public override void OnSession(StrategyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bars = context.Bars(_code);
        while (_fed < bars.Count)
        {
            _last = _rsi.Add(bars.Close(_fed));
            _fed++;
        }

        if (bars.LastDate != context.Date || _last is not { } rsi)
        {
            return;
        }

        var position = context.Position(_code);
        if (position == 0 && rsi < Low)
        {
            context.BuyAllIn(_code);
        }
        else if (position > 0 && rsi > High)
        {
            context.SellAll(_code);
        }
    }
}
