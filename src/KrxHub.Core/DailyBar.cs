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
    /// <summary>True when the stored values (not the provenance) are the same.</summary>
    public bool SameValues(DailyBar other) =>
        Open == other.Open && High == other.High && Low == other.Low && Close == other.Close &&
        Volume == other.Volume && TradingValue == other.TradingValue && MarketCap == other.MarketCap &&
        ListedShares == other.ListedShares && NoTrade == other.NoTrade;
}
