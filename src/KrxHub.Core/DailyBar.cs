namespace KrxHub.Core;

/// <summary>Raw KRX prices as traded, or prices adjusted for corporate actions. Never mixed in one series.</summary>
public enum PriceBasis
{
    Raw,
    Adjusted,
}

public static class PriceBases
{
    public static bool TryParse(string? text, out PriceBasis basis)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "raw":
                basis = PriceBasis.Raw;
                return true;
            case "adjusted" or "adj":
                basis = PriceBasis.Adjusted;
                return true;
            default:
                basis = default;
                return false;
        }
    }

    public static string Name(this PriceBasis basis) => basis == PriceBasis.Raw ? "raw" : "adjusted";
}

/// <summary>
/// One stock on one session. A no-trade day (a halt) is kept with <see cref="NoTrade"/> set,
/// volume 0 and open = high = low = close = the carried-forward close.
/// </summary>
public sealed record DailyBar(
    StockCode Code,
    DateOnly Date,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? TradingValue,
    decimal? MarketCap,
    long? ListedShares,
    PriceBasis Basis,
    string Source,
    DateTimeOffset FetchedAt,
    bool NoTrade = false)
{
    /// <summary>
    /// KRX's base price (기준가) for this session, close − change, when the source reports the change (KRX CMPPREVDD_PRC,
    /// marcap Changes, Kiwoom pred_pre). Raw bars only: a base that is not the previous close reveals a corporate action.
    /// </summary>
    public decimal? BasePrice { get; init; }

    /// <summary>
    /// Set on an imported adjusted bar whose high or low the source rounded past open or close (an adjustment rounding
    /// artifact, <see cref="Validation.ReasonCodes.AdjustmentRounding"/>): the values as delivered, e.g. <c>high=27999</c>.
    /// The stored high and low were widened to contain open and close.
    /// </summary>
    public string? RepairedFrom { get; init; }

    /// <summary>True when the stored values (not the provenance) are the same.</summary>
    public bool SameValues(DailyBar other) =>
        Open == other.Open && High == other.High && Low == other.Low && Close == other.Close &&
        Volume == other.Volume && TradingValue == other.TradingValue && MarketCap == other.MarketCap &&
        ListedShares == other.ListedShares && NoTrade == other.NoTrade && BasePrice == other.BasePrice &&
        RepairedFrom == other.RepairedFrom;
}
