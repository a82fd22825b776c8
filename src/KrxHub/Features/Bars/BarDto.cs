using KrxHub.Core;

namespace KrxHub.Features.Bars;

public sealed record BarDto(
    string Code,
    DateOnly Date,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? TradingValue,
    decimal? MarketCap,
    long? ListedShares,
    bool NoTrade,
    string Basis,
    string Source,
    DateTimeOffset FetchedAt)
{
    public static BarDto From(DailyBar b) => new(b.Code.Value, b.Date, b.Open, b.High, b.Low, b.Close, b.Volume,
        b.TradingValue, b.MarketCap, b.ListedShares, b.NoTrade, b.Basis.Name(), b.Source, b.FetchedAt);
}

/// <summary>A bar in a whole-market listing, with the name and market from the master.</summary>
public sealed record MarketBarDto(
    string Code,
    string? Name,
    string? Market,
    DateOnly Date,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? TradingValue,
    decimal? MarketCap,
    long? ListedShares,
    bool NoTrade,
    string Basis,
    string Source,
    DateTimeOffset FetchedAt);
