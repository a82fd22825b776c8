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

    /// <summary>An upstream answer for one stock was not the documented shape (truncated JSON, an HTML page, no data array).</summary>
    public const string BadPayload = "bad_payload";

    /// <summary>The upstream refused the request for one stock with an error code (e.g. Kiwoom 1902 종목 정보가 없습니다).</summary>
    public const string SourceRefused = "source_refused";

    /// <summary>A minute bar whose time lies outside the session's trading hours.</summary>
    public const string OutsideSessionHours = "outside_session_hours";

    public static readonly IReadOnlyList<string> All =
    [
        MissingField, NonNumericField, InvalidCode, NonPositivePrice, NegativeVolume, OhlcInconsistent,
        NotASession, FutureDate, UnknownCode, ConflictingDuplicate, OutsidePriceLimit, OffTickGrid,
        UnknownMarket, DuplicateCode, BadPayload, SourceRefused, OutsideSessionHours,
    ];

    /// <summary>Not an error: a KRX no-trade row (halt) that is kept as a flagged bar. Counted in summaries.</summary>
    public const string NoTradeKept = "no_trade_kept";

    /// <summary>
    /// Not an error: an imported adjusted bar whose high or low misses max/min(open, close) by at most one tick (the source
    /// rounded each adjusted price on its own). Kept with high and low widened and the original values in its provenance.
    /// </summary>
    public const string AdjustmentRounding = "adjustment_rounding";
}
