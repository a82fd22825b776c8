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
    DateTimeOffset FetchedAt,
    string Adjustment,
    decimal? BasePrice,
    string? RepairedFrom)
{
    /// <summary>
    /// <paramref name="adjustment"/>: "raw", "derived" (adjusted from the raw bar and the stock's corporate-action events) or
    /// "imported" (an adjusted series as its source delivered it). <see cref="RepairedFrom"/> is set on an imported bar kept as
    /// an adjustment rounding artifact: the high/low the source delivered.
    /// </summary>
    public static BarDto From(DailyBar b, string adjustment) => new(b.Code.Value, b.Date, b.Open, b.High, b.Low, b.Close, b.Volume,
        b.TradingValue, b.MarketCap, b.ListedShares, b.NoTrade, b.Basis.Name(), b.Source, b.FetchedAt, adjustment, b.BasePrice, b.RepairedFrom);
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

/// <summary>One corporate action: prices before <paramref name="Date"/> are multiplied by <paramref name="Factor"/> = base ÷ previous close.</summary>
public sealed record AdjustmentEventDto(DateOnly Date, decimal Factor, DateOnly PreviousDate, decimal PreviousClose, decimal BasePrice, string Source);

/// <summary>
/// A stock's corporate-action events and how far they can be trusted: <paramref name="Complete"/> is true when every step of
/// its raw history is between consecutive sessions and carries a base price, so no event can be missing.
/// </summary>
public sealed record AdjustmentsDto(
    string Code,
    int RawBars,
    DateOnly? RawFrom,
    DateOnly? RawTo,
    bool Complete,
    int UnknownSteps,
    DateOnly? FirstUnknown,
    string? Reason,
    IReadOnlyList<AdjustmentEventDto> Events);
