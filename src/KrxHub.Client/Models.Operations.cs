using System.Text.Json;

namespace KrxHub.Client;

public sealed record LastRun(string Job, long RunId, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, long RowsRead,
    long RowsAccepted, long RowsQuarantined, string? Error);

public sealed record CollectionHealth(string Kiwoom, string Krx, IReadOnlyList<string> Scheduled, IReadOnlyList<LastRun> LastRuns);

/// <summary>/health/live or /health/ready; <see cref="Status"/> is <c>ready</c> when the hub can serve.</summary>
public sealed record Health(string Status, string? Backend = null, int? SchemaVersion = null, int? ExpectedSchemaVersion = null, string? Error = null,
    CollectionHealth? Collection = null, DateOnly? CalendarEndsOn = null, DateOnly? CalendarPublishedThrough = null, string? CalendarNotice = null);

public sealed record DayQuality(DateOnly Date, bool IsSession, long RawBars, long AdjustedBars, long NoTradeBars, long Quarantined,
    IReadOnlyDictionary<string, long> QuarantinedByReason, long ListedStocks, long ListedWithoutBar, bool MissingData, bool Provisional,
    string? CalendarReason, IReadOnlyDictionary<string, long>? Kept);

public sealed record StockGap(string Code, string Name, int ListedSessions, int MissingSessions, IReadOnlyList<DateOnly> FirstMissing);

public sealed record RangeQuality(DateOnly From, DateOnly To, int Sessions, IReadOnlyList<DateOnly> SessionsWithoutData, IReadOnlyList<DayQuality> Days,
    IReadOnlyList<StockGap> StockGaps);

public sealed record QuarantinedRow(long Id, long RunId, string Dataset, string Source, string? Code, DateOnly? Date, IReadOnlyList<string> Reasons,
    string Payload, long Line, DateTimeOffset QuarantinedAt);

public sealed record CollectionRun(long Id, string Job, string Parameters, string Status, long RowsRead, long RowsAccepted, long RowsQuarantined,
    long RowsChanged, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error, string Host, int ProcessId);

/// <summary>POST /api/backtests. <see cref="Codes"/> ["ALL"] runs every stock (of <see cref="Market"/>); see docs/backtesting.md.</summary>
public sealed record BacktestRequest(string Strategy, IReadOnlyDictionary<string, string>? Params, IReadOnlyList<string> Codes, string From, string To,
    decimal? Cash = null, string? Fill = null, decimal? Commission = null, decimal? SellTax = null, int? SlippageTicks = null, string? Basis = null,
    string? Market = null, string? Benchmark = null);

public sealed record BacktestStarted(string Id, string Status, string Location);

public sealed record Strategy(string Name, bool SingleStock, IReadOnlyDictionary<string, string> Defaults, string Rules);

public sealed record BacktestTrade(DateOnly Date, string Code, string Side, decimal Price, long Quantity, decimal Commission, decimal Tax, string? Note);

public sealed record EquityPoint(DateOnly Date, decimal Equity, decimal Cash);

public sealed record DataGap(string Code, DateOnly Date);

public sealed record DataGaps(int Count, IReadOnlyList<DataGap> First);

/// <summary>
/// A run's result document. <see cref="Metrics"/> is one run's metrics, or a distribution's when several stocks ran
/// (then <see cref="Runs"/> holds one line per stock): read it with <c>Metrics.As&lt;T&gt;()</c>.
/// </summary>
public sealed record BacktestDocument(JsonElement Metrics, IReadOnlyList<BacktestTrade> Trades, IReadOnlyList<EquityPoint> Equity,
    IReadOnlyList<JsonElement>? Runs, JsonElement? Benchmark, DataGaps? DataGaps);

public sealed record BacktestStatus(string Id, string Status, double Progress, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error,
    BacktestDocument? Result, int? TradeCount = null);

public sealed record BacktestTrades(int Total, int Offset, IReadOnlyList<BacktestTrade> Trades);

public sealed record BacktestSummary(string Id, string Status, double Progress, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error,
    string Strategy, IReadOnlyDictionary<string, string> Params, IReadOnlyList<string> Codes, string? Market, DateOnly From, DateOnly To, string Basis);

/// <summary>POST /api/screen: an expression (docs/conditions.md) on a market and a session (default: the newest, or live).</summary>
public sealed record ScreenRequest(string Expression, string? Market = null, string? Date = null, string? Basis = null);

public sealed record ScreenMatch(string Code, string Name, string Market, decimal Close, IReadOnlyDictionary<string, JsonElement> Values);

public sealed record ScreenResult(string Expression, DateOnly Date, string Basis, string? Live, int Universe, int Matched, int NotEnoughHistory,
    int WithoutBar, IReadOnlyList<ScreenMatch> Stocks);

/// <summary>A condition to save (POST) or replace (PUT).</summary>
public sealed record ConditionRequest(string Name, string Expression, string? Market = null, bool? Active = null, string? Schedule = null,
    int? IntervalSeconds = null, IReadOnlyList<string>? Channels = null);

public sealed record Condition(long Id, string Name, string Expression, string? Market, bool Active, string Schedule, int IntervalSeconds,
    IReadOnlyList<string> Channels, string Origin, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? LastRunAt, DateOnly? LastSession);

public sealed record ConditionEvent(long Id, string Code, string Event, DateTimeOffset At, DateOnly Session, string? Live, JsonElement Values);

public sealed record ConditionResults(long ConditionId, IReadOnlyList<string> Matching, IReadOnlyList<ConditionEvent> Events);

public sealed record ConditionRun(long ConditionId, string Name, DateOnly Session, string? Live, int Matched, int Entries, int Exits,
    int NotEnoughHistory, string? Error);

public sealed record Alert(long Id, long ConditionId, string Code, string Event, string Channel, string IdempotencyKey, string Message, string Status,
    int Attempts, DateTimeOffset NextAttemptAt, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

public sealed record ReplayEvent(DateTimeOffset Time, string Code, string Name, string Market, string Event, decimal Price, JsonElement Values);

public sealed record ConditionReplay(long ConditionId, string Name, string Expression, DateOnly Date, IReadOnlyList<string> Files, int EverySeconds,
    string Basis, long Ticks, int Evaluations, int Entries, int Exits, IReadOnlyList<string> MatchingAtEnd, IReadOnlyList<ReplayEvent> Events);

public sealed record KiwoomSearchRow(string Code, string? Name, decimal? Price, decimal? Change, decimal? ChangePct, long? Volume, decimal? Open,
    decimal? High, decimal? Low);

public sealed record KiwoomSearch(string Seq, string Name, int Pages, bool Truncated, IReadOnlyList<KiwoomSearchRow> Rows);

public sealed record KiwoomRealtime(Condition Condition, IReadOnlyList<string> Matching);

/// <summary>A channel's state; <see cref="Settings"/> holds its fields with every secret as "***" (or null when unset).</summary>
public sealed record AlertChannel(string Channel, bool Configured, string? Source, bool EnvironmentConfigured, JsonElement Settings,
    DateTimeOffset? UpdatedAt, string? Error);

/// <summary>A channel's fields for PUT: webhook url/secret, slack webhookUrl, telegram botToken/chatId/apiBase, email host/port/user/password/startTls/from/to.</summary>
public sealed record AlertChannelSettings
{
    public string? Url { get; init; }

    public string? Secret { get; init; }

    public string? WebhookUrl { get; init; }

    public string? BotToken { get; init; }

    public string? ChatId { get; init; }

    public string? ApiBase { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    public bool? StartTls { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }
}

public sealed record AlertChannelTest(string Channel, string? Source, bool Ok, string? Error, double ElapsedMs);
