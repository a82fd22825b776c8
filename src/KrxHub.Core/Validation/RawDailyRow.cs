namespace KrxHub.Core.Validation;

/// <summary>
/// One daily-bar row as a source delivered it, before validation: every field is still text, so that a
/// missing or non-numeric value can be reported instead of failing the whole file.
/// </summary>
public sealed class RawDailyRow
{
    /// <summary>Where the row came from (1-based line or record number within the file or response).</summary>
    public long Line { get; init; }

    /// <summary>The original row text, stored verbatim in quarantine.</summary>
    public required string Payload { get; init; }

    public string? Code { get; set; }
    public string? Date { get; set; }
    public string? Open { get; set; }
    public string? High { get; set; }
    public string? Low { get; set; }
    public string? Close { get; set; }
    public string? Volume { get; set; }
    public string? TradingValue { get; set; }
    public string? MarketCap { get; set; }
    public string? ListedShares { get; set; }

    /// <summary>Change against the base price, as KRX reports it (CMPPREVDD_PRC); gives the exact base for the limit check.</summary>
    public string? Change { get; set; }

    /// <summary>KRX FLUC_TP_CD: 1 up, 2 down, 3 unchanged, 0 no trade, 4 limit-up, 5 limit-down.</summary>
    public string? ChangeCode { get; set; }

    /// <summary>Name and market when the source carries them (KRX JSON, marcap); used to update the master.</summary>
    public string? Name { get; set; }
    public string? Market { get; set; }
}
