using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>A stock master record as text, from a KRX listing body or a master CSV.</summary>
internal sealed record StockText(string? Code, string? Name, string? Market, string? ListingDate, string? ListedShares)
{
    public string? DelistingDate { get; init; }
    public string? Industry { get; init; }
    public string? NameEn { get; init; }
    public string? Isin { get; init; }
    public string? SecurityGroup { get; init; }
    public string? ShareClass { get; init; }

    /// <summary>The typed stock, or null and the reason code it was rejected for.</summary>
    public Stock? ToStock(out string? reason)
    {
        if (string.IsNullOrWhiteSpace(Code))
        {
            reason = ReasonCodes.MissingField;
            return null;
        }

        if (!StockCode.TryParse(Code, out var code))
        {
            reason = ReasonCodes.InvalidCode;
            return null;
        }

        if (string.IsNullOrWhiteSpace(Market) || string.IsNullOrWhiteSpace(Name))
        {
            reason = ReasonCodes.MissingField;
            return null;
        }

        if (!Markets.TryParse(Market, out var market))
        {
            reason = ImportReasonCodes.UnknownMarket;
            return null;
        }

        if (KrxText.TryDate(ListingDate, out _) == FieldStatus.Invalid ||
            KrxText.TryDate(DelistingDate, out _) == FieldStatus.Invalid ||
            KrxText.TryLong(ListedShares, out _) == FieldStatus.Invalid)
        {
            reason = ReasonCodes.NonNumericField;
            return null;
        }

        reason = null;
        return new Stock(
            code,
            Name.Trim(),
            market,
            KrxText.ParseDateOrNull(ListingDate),
            KrxText.ParseDateOrNull(DelistingDate),
            KrxText.ParseLongOrNull(ListedShares),
            Clean(Industry),
            Clean(NameEn),
            Clean(Isin),
            Segment: Market.Trim(),
            SecurityGroup: Clean(SecurityGroup),
            ShareClass: Clean(ShareClass));
    }

    private static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
