namespace KrxHub.Core;

/// <summary>
/// One stock over one minute, raw prices as traded. <see cref="Start"/> is the start of the minute (KST offset);
/// the bar covers [Start, Start + 1 minute). Volume and value are for that minute only.
/// </summary>
public sealed record MinuteBar(
    StockCode Code,
    DateTimeOffset Start,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? TradingValue,
    string Source,
    DateTimeOffset FetchedAt);
