using System.Text.Json;

namespace KrxHub.Client;

// The hub's answers, field for field as its JSON carries them (docs/api.md, docs/api-data.md, docs/indices.md, docs/live.md).
// Prices and money are decimal, volumes long, trading dates DateOnly, instants DateTimeOffset.

public sealed record Stock(string Code, string Name, string? NameEn, string Market, string? Segment, string? Isin, DateOnly? ListingDate,
    DateOnly? DelistingDate, long? ListedShares, string? Industry, string? SecurityGroup, string? ShareClass, bool DelistingInferred);

/// <summary>A daily bar of one stock; <see cref="Adjustment"/> says how it was made: <c>raw</c>, <c>derived</c> or <c>imported</c>.</summary>
public sealed record DailyBar(string Code, DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, long Volume, decimal? TradingValue,
    decimal? MarketCap, long? ListedShares, bool NoTrade, string Basis, string Source, DateTimeOffset FetchedAt, string Adjustment, decimal? BasePrice,
    string? RepairedFrom);

/// <summary>A bar in a whole-market listing (GET /api/bars/{date}), with the name and market from the master.</summary>
public sealed record SessionBar(string Code, string? Name, string? Market, DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close,
    long Volume, decimal? TradingValue, decimal? MarketCap, long? ListedShares, bool NoTrade, string Basis, string Source, DateTimeOffset FetchedAt);

public sealed record AdjustmentEvent(DateOnly Date, decimal Factor, DateOnly PreviousDate, decimal PreviousClose, decimal BasePrice, string Source);

public sealed record Adjustments(string Code, int RawBars, DateOnly? RawFrom, DateOnly? RawTo, bool Complete, int UnknownSteps, DateOnly? FirstUnknown,
    string? Reason, IReadOnlyList<AdjustmentEvent> Events);

/// <summary>A stored 1-minute bar; <see cref="Time"/> is the minute's start in Korean time.</summary>
public sealed record MinuteBar(string Code, DateTimeOffset Time, decimal Open, decimal High, decimal Low, decimal Close, long Volume,
    decimal? TradingValue, string Source, DateTimeOffset FetchedAt);

public sealed record InvestorFlow(DateOnly Date, string Investor, long? BuyVolume, long? SellVolume, long? NetVolume, decimal? BuyValue,
    decimal? SellValue, decimal? NetValue, string Source, DateTimeOffset FetchedAt, bool Derived);

public sealed record MarketInvestorFlow(string Market, DateOnly Date, string Investor, long? BuyVolume, long? SellVolume, long? NetVolume,
    decimal? BuyValue, decimal? SellValue, decimal? NetValue, string Source, DateTimeOffset FetchedAt, bool Derived);

public sealed record IndexLiveLevel(decimal Level, decimal? Change, decimal? ChangePct, DateTimeOffset Time, string Source, bool Simulated);

public sealed record IndexInfo(string Code, string Name, string NameEn, string? Market, long Sessions, DateOnly First, DateOnly Last,
    decimal LastClose, string Source, DateTimeOffset FetchedAt, IndexLiveLevel? Live);

public sealed record IndexBar(DateOnly Date, decimal? Open, decimal? High, decimal? Low, decimal Close, long? Volume, decimal? TradingValue,
    decimal? MarketCap, string Source, DateTimeOffset FetchedAt);

public sealed record Constituent(string Code, string? Name, string? Market, decimal? Close, decimal? MarketCap, decimal? Weight);

public sealed record IndexConstituents(string Index, string Name, DateOnly Date, DateOnly RequestedDate, int Count, string Source,
    DateTimeOffset FetchedAt, IReadOnlyList<Constituent> Constituents);

public sealed record RankingRow(int Rank, string Code, string Name, string Market, decimal Price, decimal? ChangePct, long Volume, decimal? Value);

public sealed record Ranking(string Market, string Metric, int N, DateOnly Date, bool Live, bool Stale, string? Source, DateTimeOffset? AsOf,
    IReadOnlyList<RankingRow> Rows);

public sealed record Quote(string Code, string Name, string Market, decimal Price, decimal? Change, decimal? ChangePct, long Volume, decimal? Value,
    DateTimeOffset AsOf, string Source, bool Stale, string? Basis = null);

public sealed record SessionTransition(string Phase, DateTimeOffset At);

public sealed record MarketSession(string Phase, DateTimeOffset At, DateOnly Date, DateTimeOffset? Open, DateTimeOffset? Close, SessionTransition Next,
    bool AlwaysOpen, bool Provisional, string? Reason, string Source);

public sealed record CalendarDay(DateOnly Date, bool Session, string? Open, string? Close, string? Reason, bool Provisional, string Source);

public sealed record CalendarRange(DateOnly From, DateOnly To, int Sessions, DateOnly PublishedThrough, DateOnly CoveredThrough,
    IReadOnlyList<string> Notes, IReadOnlyList<CalendarDay> Days);

public sealed record LiveSessionState(string Phase, DateTimeOffset At, string? NextPhase, DateTimeOffset? NextAt);

public sealed record BackplaneCounters(long SentPayloads, long Received, long Dropped);

public sealed record LiveStatus(string Node, string? Source, bool SourceUp, bool RunsHere, LiveSessionState? Session, int Clients, long EventsIn,
    long CoalescedIn, long UnknownCodeEvents, long Delivered, long Coalesced, long Disconnected, int MaxQueued, double DispatchBusySeconds,
    BackplaneCounters? Backplane, int FollowedCodes, int RemoteNodes);

/// <summary>Helpers for the JSON values the hub leaves open (condition values, backtest metrics).</summary>
public static class JsonValues
{
    /// <summary>The element read as <typeparamref name="T"/> with the client's (web) JSON rules.</summary>
    public static T? As<T>(this JsonElement element) => element.Deserialize<T>(KrxHubClient.Json);
}
