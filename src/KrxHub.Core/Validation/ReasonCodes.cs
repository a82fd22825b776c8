namespace KrxHub.Core.Validation;

/// <summary>Stable reason codes for quarantined rows. They are stored and served by the API: never rename one.</summary>
public static class ReasonCodes
{
    public const string MissingField = "missing_field";
    public const string NonNumericField = "non_numeric_field";
    public const string InvalidCode = "invalid_code";
    public const string NonPositivePrice = "non_positive_price";
    public const string NegativeVolume = "negative_volume";
    public const string OhlcInconsistent = "ohlc_inconsistent";
    public const string NotASession = "not_a_session";
    public const string FutureDate = "future_date";
    public const string UnknownCode = "unknown_code";
    public const string ConflictingDuplicate = "conflicting_duplicate";
    public const string OutsidePriceLimit = "outside_price_limit";
    public const string OffTickGrid = "off_tick_grid";

    /// <summary>A master record names a market other than KOSPI, KOSDAQ (incl. KOSDAQ GLOBAL) or KONEX.</summary>
    public const string UnknownMarket = "unknown_market";

    /// <summary>A master file lists one code twice; the record with the latest delisting date is kept.</summary>
    public const string DuplicateCode = "duplicate_code";

    public static readonly IReadOnlyList<string> All =
    [
        MissingField, NonNumericField, InvalidCode, NonPositivePrice, NegativeVolume, OhlcInconsistent,
        NotASession, FutureDate, UnknownCode, ConflictingDuplicate, OutsidePriceLimit, OffTickGrid,
        UnknownMarket, DuplicateCode,
    ];

    /// <summary>Not an error: a KRX no-trade row (halt) that is kept as a flagged bar. Counted in summaries.</summary>
    public const string NoTradeKept = "no_trade_kept";
}
