using System.Threading.Channels;

namespace KrxHub.Core.Live;

/// <summary>Where a live price came from: shown on every tick, book, ranking and REST answer built from live data.</summary>
public static class LiveSources
{
    public const string Kiwoom = "kiwoom";
    public const string Simulated = "simulated";

    /// <summary>A recorded day played back (`krxhub serve --replay`).</summary>
    public const string Replay = "replay";
}

/// <summary>One live event for one stock. <see cref="Time"/> is the exchange time of the event (KST offset).</summary>
public abstract record LiveEvent(StockCode Code, DateTimeOffset Time, string Source);

/// <summary>
/// One trade (Kiwoom 0B). <see cref="Change"/> and <see cref="ChangePct"/> are signed against the previous close;
/// <see cref="Volume"/> is this trade's quantity, <see cref="AccVolume"/> and <see cref="AccValue"/> the day's totals so far.
/// </summary>
public sealed record LiveTick(
    StockCode Code,
    DateTimeOffset Time,
    string Source,
    decimal Price,
    decimal Change,
    decimal ChangePct,
    long Volume,
    long AccVolume,
    decimal AccValue,
    decimal Open,
    decimal High,
    decimal Low) : LiveEvent(Code, Time, Source)
{
    /// <summary>Best ask right after the trade, when the source sends it (Kiwoom 0B FID 27).</summary>
    public decimal? BestAsk { get; init; }

    /// <summary>Best bid right after the trade, when the source sends it (Kiwoom 0B FID 28).</summary>
    public decimal? BestBid { get; init; }

    /// <summary>체결강도: buying over selling volume × 100, when the source sends it (Kiwoom 0B FID 228).</summary>
    public decimal? Strength { get; init; }

    /// <summary>The source's own session code exactly as sent (Kiwoom 0B FID 290 장구분), when it has one.</summary>
    public string? SessionCode { get; init; }
}

/// <summary>One price level of the order book.</summary>
public readonly record struct BookLevel(decimal Price, long Qty);

/// <summary>
/// The 10-level order book (Kiwoom 0D). <see cref="Asks"/> and <see cref="Bids"/> are best first; empty levels are omitted.
/// </summary>
public sealed record OrderBook(
    StockCode Code,
    DateTimeOffset Time,
    string Source,
    IReadOnlyList<BookLevel> Asks,
    IReadOnlyList<BookLevel> Bids,
    long TotalAskQty,
    long TotalBidQty) : LiveEvent(Code, Time, Source);

/// <summary>
/// A source of live events: the Kiwoom WebSocket client or the simulated exchange. The hub runs exactly one,
/// on one node, and fans its events out.
/// </summary>
public interface ILiveFeed
{
    /// <summary>One of <see cref="LiveSources"/>.</summary>
    string Source { get; }

    /// <summary>
    /// The codes the hub wants live data for. The simulator ignores it (it drives every listed stock);
    /// the Kiwoom client registers and removes codes to match. Safe to call before or while running.
    /// </summary>
    Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct);

    /// <summary>
    /// Hands every event to <paramref name="publish"/> until cancelled, on the feed's own thread; <paramref name="publish"/>
    /// never waits (the hub files the event for its dispatcher). Reconnects by itself; throws only for a failure it cannot
    /// recover from.
    /// </summary>
    Task RunAsync(Action<LiveEvent> publish, CancellationToken ct);
}
