namespace KrxHub.Core.Backtesting;

public enum TradeSide
{
    Buy,
    Sell,
}

/// <summary>One fill. Commission and tax are exact (not rounded to the won).</summary>
public sealed record Trade(
    DateOnly Date,
    StockCode Code,
    TradeSide Side,
    decimal Price,
    long Quantity,
    decimal Commission,
    decimal Tax,
    string? Note = null)
{
    public decimal Value => Price * Quantity;
}

/// <summary>
/// Equity at one session's close: cash plus positions at their latest close. A struct: a whole-market run keeps about a
/// million of them until its curves are summed, and as objects they were half of what a run allocated for the GC to trace.
/// </summary>
public readonly record struct EquityPoint(DateOnly Date, decimal Equity, decimal Cash);

/// <summary>Why an order did not fill.</summary>
public static class RejectReasons
{
    public const string NoBar = "no_bar";
    public const string Halted = "halted";
    public const string LimitLocked = "limit_locked";
    public const string NotListed = "not_listed";
    public const string NoCash = "no_cash";
    public const string NoPosition = "no_position";
    public const string AfterEnd = "after_end";
}

public sealed record RejectedOrder(DateOnly Date, StockCode Code, OrderKind Kind, string Reason);

/// <summary>
/// Run statistics. Ratios are fractions (0.12 = 12 %); statistics over daily returns use 252 sessions a year
/// and a zero risk-free rate. Null where undefined (e.g. Sharpe of a flat curve).
/// </summary>
public sealed record BacktestMetrics(
    decimal InitialCash,
    decimal FinalEquity,
    double TotalReturn,
    double? Cagr,
    double? Volatility,
    double? Sharpe,
    double? Sortino,
    double MaxDrawdown,
    DateOnly? MaxDrawdownPeak,
    DateOnly? MaxDrawdownTrough,
    int Trades,
    int RoundTrips,
    double? WinRate,
    double Turnover,
    double Exposure,
    int Sessions,
    DateOnly? FirstSession,
    DateOnly? LastSession,
    int RejectedOrders);

public sealed record BacktestResult(
    BacktestMetrics Metrics,
    IReadOnlyList<Trade> Trades,
    IReadOnlyList<EquityPoint> Equity,
    IReadOnlyList<RejectedOrder> Rejected)
{
    /// <summary>Sessions between a stock's first and last bar with no bar at all: holes the strategy's indicators ran over.</summary>
    public DataGaps DataGaps { get; init; } = DataGaps.None;
}
