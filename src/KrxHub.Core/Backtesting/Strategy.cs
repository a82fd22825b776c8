namespace KrxHub.Core.Backtesting;

/// <summary>
/// A trading strategy. The engine calls <see cref="OnSession"/> once per KRX session in date order; the context shows
/// bars up to and including that session only, so a strategy cannot look ahead. Orders placed while
/// <see cref="StrategyContext.IsWarmingUp"/> (before --from) are ignored.
/// </summary>
public abstract class Strategy
{
    /// <summary>Bars each stock needs before --from to warm its indicators up; <see cref="int.MaxValue"/> = all stored history.</summary>
    public virtual int WarmupBars => 0;

    public abstract void OnSession(StrategyContext context);
}

/// <summary>What an order asks for. Quantities are whole shares.</summary>
public enum OrderKind
{
    /// <summary>Buy a number of shares, fewer when cash does not cover them.</summary>
    Buy,

    /// <summary>Sell a number of shares, at most the position (no short selling).</summary>
    Sell,

    /// <summary>Buy floor(cash / (fillPrice × (1 + commission))) shares.</summary>
    BuyAllIn,

    /// <summary>Sell the whole position.</summary>
    SellAll,
}

public readonly record struct Order(StockCode Code, OrderKind Kind, long Quantity = 0);

/// <summary>The strategy's view of one session: history, positions and the order pad.</summary>
public sealed class StrategyContext
{
    private readonly BacktestEngine _engine;

    internal StrategyContext(BacktestEngine engine) => _engine = engine;

    /// <summary>The session being decided.</summary>
    public DateOnly Date { get; internal set; }

    /// <summary>True before --from: indicators may update, orders are ignored.</summary>
    public bool IsWarmingUp { get; internal set; }

    /// <summary>True on the last KRX session of a calendar month.</summary>
    public bool IsLastSessionOfMonth { get; internal set; }

    /// <summary>The stocks this run may trade (the requested codes or the whole universe).</summary>
    public IReadOnlyList<StockCode> Codes => _engine.Codes;

    public decimal Cash => _engine.Cash;

    public BarHistory Bars(StockCode code) => _engine.History(code);

    public long Position(StockCode code) => _engine.Position(code);

    /// <summary>Market of the stock, from the master.</summary>
    public Market MarketOf(StockCode code) => _engine.MarketOf(code);

    /// <summary>True when the stock is listed today (point in time) and has a traded bar today.</summary>
    public bool IsTradable(StockCode code) => _engine.IsTradableToday(code);

    /// <summary>Cash plus positions marked at the latest close on or before today.</summary>
    public decimal Equity => _engine.MarkToMarket();

    public void Buy(StockCode code, long quantity) => Place(new Order(code, OrderKind.Buy, RequirePositive(quantity)));

    public void Sell(StockCode code, long quantity) => Place(new Order(code, OrderKind.Sell, RequirePositive(quantity)));

    public void BuyAllIn(StockCode code) => Place(new Order(code, OrderKind.BuyAllIn));

    public void SellAll(StockCode code) => Place(new Order(code, OrderKind.SellAll));

    /// <summary>
    /// Rebalance to target weights of equity (missing codes → 0). At fill time: sells first, then buys of
    /// floor(equity × weight / (price × (1 + commission))) shares, limited by cash.
    /// </summary>
    public void Rebalance(IReadOnlyDictionary<StockCode, decimal> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Values.Any(w => w < 0) || weights.Values.Sum() > 1.000001m)
        {
            throw new ArgumentException("weights must be non-negative and sum to at most 1", nameof(weights));
        }

        if (!IsWarmingUp)
        {
            _engine.PlaceRebalance(weights);
        }
    }

    private void Place(Order order)
    {
        if (!IsWarmingUp)
        {
            _engine.Place(order);
        }
    }

    private static long RequirePositive(long quantity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(quantity);
        return quantity;
    }
}
