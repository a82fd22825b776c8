namespace KrxHub.Core.Backtesting.Strategies;

/// <summary>
/// Single stock: buy all-in on the first session from --from on where the stock trades, then hold (never buys
/// again once a position was held, e.g. after a delisting exit).
/// </summary>
public sealed class BuyAndHold(StockCode code) : Strategy
{
    private bool _held;

    public override void OnSession(StrategyContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _held |= context.Position(code) > 0;
        if (!context.IsWarmingUp && !_held && context.IsTradable(code))
        {
            context.BuyAllIn(code);
        }
    }
}
