using KrxHub.Core.Live;

namespace KrxHub.Core.Indices;

/// <summary>
/// One session of an index. Open, high and low are null where the source did not publish them (KOSPI 200 before 1996,
/// KOSPI before 1983: KRX writes 0). Volume and trading value are the index constituents' totals; market cap is theirs too.
/// </summary>
public sealed record IndexBar(
    string IndexCode,
    DateOnly Date,
    decimal? Open,
    decimal? High,
    decimal? Low,
    decimal Close,
    long? Volume,
    decimal? TradingValue,
    decimal? MarketCap,
    string Source,
    DateTimeOffset FetchedAt)
{
    /// <summary>The first problem with the bar as a stable reason code, or null: a non-positive level, or OHLC out of order.</summary>
    public string? Problem()
    {
        if (Close <= 0 || Open <= 0 || High <= 0 || Low <= 0)
        {
            return Validation.ReasonCodes.NonPositivePrice;
        }

        if (Volume < 0 || TradingValue < 0)
        {
            return Validation.ReasonCodes.NegativeVolume;
        }

        if (High is { } h && Low is { } l && (h < l || h < Close || l > Close || (Open is { } o && (o > h || o < l))))
        {
            return Validation.ReasonCodes.OhlcInconsistent;
        }

        return null;
    }
}

/// <summary>
/// One stock of an index on one date, as KRX lists it (MDCSTAT00601): the stock's close and market cap that day. Weight is
/// the share of the listed constituents' market cap, a proxy: KRX weights by float-adjusted cap, which it does not publish here.
/// </summary>
public sealed record IndexConstituent(
    string IndexCode,
    DateOnly Date,
    StockCode Code,
    string? Name,
    decimal? Close,
    decimal? MarketCap,
    decimal? Weight,
    string Source,
    DateTimeOffset FetchedAt);

/// <summary>
/// A live index level: Kiwoom's 0J (업종지수), or the simulator's own computation (<see cref="LiveSources.Simulated"/>). Not
/// a stock: <see cref="LiveEvent.Code"/> is the default code, and the hub routes it to the <c>indices</c> channel by
/// <see cref="IndexCode"/>. <see cref="Change"/> and <see cref="ChangePct"/> are against the index's previous close.
/// </summary>
public sealed record LiveIndexLevel(
    string IndexCode,
    DateTimeOffset Time,
    string Source,
    decimal Level,
    decimal? Change,
    decimal? ChangePct,
    decimal? Open,
    decimal? High,
    decimal? Low,
    long? AccVolume,
    decimal? AccValue) : LiveEvent(default, Time, Source);
