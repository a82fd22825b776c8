namespace KrxHub.Core;

/// <summary>
/// One row of the stock master. Stocks are never deleted: delisting is a date.
/// <paramref name="Segment"/> keeps the KRX market name as listed (e.g. "KOSDAQ GLOBAL") while
/// <paramref name="Market"/> is the market it trades on. <paramref name="AsOf"/> is the date the record describes
/// (the listing snapshot or the price file's session): an older record never overwrites a newer one.
/// </summary>
public sealed record Stock(
    StockCode Code,
    string Name,
    Market Market,
    DateOnly? ListingDate,
    DateOnly? DelistingDate = null,
    long? ListedShares = null,
    string? Industry = null,
    string? NameEn = null,
    string? Isin = null,
    string? Segment = null,
    string? SecurityGroup = null,
    string? ShareClass = null,
    DateOnly? AsOf = null)
{
    /// <summary>
    /// True when <see cref="DelistingDate"/> was inferred (the stock went missing from two complete listings; the date is
    /// the day after its last bar) rather than read from an exchange's delisting list.
    /// </summary>
    public bool DelistingInferred { get; init; }

    /// <summary>True when the stock is listed on <paramref name="date"/> (listing day inclusive, delisting day exclusive).</summary>
    public bool IsListedOn(DateOnly date) =>
        (ListingDate is null || ListingDate <= date) && (DelistingDate is null || date < DelistingDate);
}
