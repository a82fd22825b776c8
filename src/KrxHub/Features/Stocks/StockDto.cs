using KrxHub.Core;

namespace KrxHub.Features.Stocks;

public sealed record StockDto(
    string Code,
    string Name,
    string? NameEn,
    string Market,
    string? Segment,
    string? Isin,
    DateOnly? ListingDate,
    DateOnly? DelistingDate,
    long? ListedShares,
    string? Industry,
    string? SecurityGroup,
    string? ShareClass,
    bool DelistingInferred)
{
    public static StockDto From(Stock s) => new(s.Code.Value, s.Name, s.NameEn, s.Market.Name(), s.Segment, s.Isin,
        s.ListingDate, s.DelistingDate, s.ListedShares, s.Industry, s.SecurityGroup, s.ShareClass, s.DelistingInferred);
}
