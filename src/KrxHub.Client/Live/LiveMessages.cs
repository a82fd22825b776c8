using System.Text.Json;

namespace KrxHub.Client;

/// <summary>
/// One message of /ws (docs/live.md, "Server messages"), or <see cref="LiveReconnected"/>, which the client adds when it has
/// connected and subscribed again after losing the connection: updates between the loss and it were missed.
/// </summary>
public abstract record LiveMessage;

/// <summary>A trade. <see cref="Stale"/> marks a snapshot built from stored values (no live data): then open/high/low are absent.</summary>
public sealed record LiveTick(string Code, decimal Price, decimal? Change, decimal? ChangePct, long Volume, long AccVolume, decimal? AccValue,
    decimal? Open, decimal? High, decimal? Low, DateTimeOffset Time, string Source, bool Stale = false) : LiveMessage;

public sealed record BookLevel(decimal Price, long Qty);

/// <summary>A 10-level order book, best first, empty levels left out.</summary>
public sealed record LiveBook(string Code, IReadOnlyList<BookLevel> Asks, IReadOnlyList<BookLevel> Bids, long TotalAskQty, long TotalBidQty,
    DateTimeOffset Time, string Source) : LiveMessage;

public sealed record LiveRanking(string Market, string Metric, int N, DateTimeOffset? AsOf, string? Source, IReadOnlyList<RankingRow> Rows) : LiveMessage;

public sealed record LiveSession(string Phase, DateTimeOffset At, SessionTransition? Next, bool AlwaysOpen) : LiveMessage;

public sealed record LiveIndexLevel(string Code, string Name, decimal Level, decimal? Change, decimal? ChangePct, decimal? Open, decimal? High,
    decimal? Low, DateTimeOffset Time, string Source, bool Simulated);

public sealed record LiveIndices(IReadOnlyList<LiveIndexLevel> Levels) : LiveMessage;

public sealed record LiveAlertEvent(long Id, long ConditionId, string Condition, string Code, string Event, DateOnly Session, DateTimeOffset At,
    string? Live, JsonElement Values);

/// <summary>Condition entries and exits as they are written; a client that fell behind fetches the rest by id from the API.</summary>
public sealed record LiveAlerts(IReadOnlyList<LiveAlertEvent> Events) : LiveMessage;

/// <summary>Every 15 s: whether the hub's live source is running.</summary>
public sealed record LiveHeartbeat(DateTimeOffset Time, string? Source, bool SourceUp) : LiveMessage;

/// <summary>The hub's answer to a subscribe (also after each reconnect).</summary>
public sealed record LiveSubscribed(string Channel, IReadOnlyList<string>? Codes, string? Market, string? Metric, int? N) : LiveMessage;

/// <summary>The connection was lost (<see cref="Reason"/>) and is back, with every topic subscribed again, after <see cref="Attempts"/> attempts.</summary>
public sealed record LiveReconnected(int Attempts, string Reason) : LiveMessage;

/// <summary>A message this version of the client does not know (a newer hub): its <c>op</c> and the whole message.</summary>
public sealed record LiveOther(string Op, JsonElement Message) : LiveMessage;

/// <summary>The hub refused a subscription (<c>{"op":"error"}</c>): an unknown code, a bad market, too many subscriptions… Retrying will not help.</summary>
public sealed class KrxHubLiveException : Exception
{
    public KrxHubLiveException(string code, string message)
        : base($"{code}: {message}")
    {
        Code = code;
    }

    public KrxHubLiveException()
        : this("error", "the hub refused the request")
    {
    }

    public KrxHubLiveException(string message)
        : this("error", message)
    {
    }

    public KrxHubLiveException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "error";
    }

    /// <summary>The hub's error code, e.g. <c>unknown_code</c> or <c>too_many_subscriptions</c>.</summary>
    public string Code { get; } = "error";
}

/// <summary>What to follow on /ws: one channel, with its codes (ticks, book) or its ranking (market, metric, n).</summary>
public sealed record LiveTopic(string Channel, IReadOnlyList<string>? Codes = null, string? Market = null, string? Metric = null, int? N = null)
{
    public static LiveTopic Ticks(params string[] codes) => new("ticks", codes);

    public static LiveTopic Book(params string[] codes) => new("book", codes);

    /// <summary>A live ranking: market KOSPI, KOSDAQ, KONEX or ALL; metric volume, value or change; n 1–100.</summary>
    public static LiveTopic Rankings(string market = "ALL", string metric = "volume", int n = 20) => new("rankings", null, market, metric, n);

    public static LiveTopic Session() => new("session");

    public static LiveTopic Indices() => new("indices");

    public static LiveTopic Alerts() => new("alerts");

    internal byte[] SubscribeMessage(int id)
    {
        var message = new Dictionary<string, object> { ["op"] = "subscribe", ["channel"] = Channel, ["id"] = id };
        if (Codes is not null)
        {
            message["codes"] = Codes;
        }

        if (Market is not null)
        {
            message["market"] = Market;
        }

        if (Metric is not null)
        {
            message["metric"] = Metric;
        }

        if (N is { } n)
        {
            message["n"] = n;
        }

        return JsonSerializer.SerializeToUtf8Bytes(message, KrxHubClient.Json);
    }
}
