using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>A rejected row kept with its payload and reasons. Re-quarantining the same payload from the same source is a no-op.</summary>
public sealed record QuarantineEntry(
    long RunId,
    string Dataset,
    string Source,
    string? Code,
    DateOnly? Date,
    IReadOnlyList<string> Reasons,
    string Payload,
    long Line,
    DateTimeOffset QuarantinedAt)
{
    public long Id { get; init; }
}

/// <summary>What a promotion did: rows written (new or changed values) and rows that were already identical.</summary>
public readonly record struct PromotionResult(long Changed, long Unchanged);

public static class RunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Abandoned = "abandoned";
}

public sealed record CollectionRun(
    long Id,
    string Job,
    string Parameters,
    string Status,
    long RowsRead,
    long RowsAccepted,
    long RowsQuarantined,
    long RowsChanged,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string Host,
    int ProcessId);

/// <summary>The final numbers of a run.</summary>
public sealed record RunOutcome(
    string Status,
    long RowsRead,
    long RowsAccepted,
    long RowsQuarantined,
    long RowsChanged,
    DateTimeOffset FinishedAt,
    string? Error);

/// <summary>A stored close and the basis it is on.</summary>
public sealed record StoredClose(DateOnly Date, decimal Close, PriceBasis Basis);

/// <summary>Per-day quality figures straight from the store.</summary>
public sealed record DayQuality(
    DateOnly Date,
    long RawBars,
    long AdjustedBars,
    long NoTradeBars,
    IReadOnlyDictionary<string, long> QuarantinedByReason,
    long ListedStocks,
    long ListedWithoutBar)
{
    /// <summary>Adjusted bars kept as adjustment rounding artifacts (high/low widened): not errors, counted on their own.</summary>
    public long RepairedBars { get; init; }
}

/// <summary>
/// An upstream access token kept in the store (Kiwoom limits how often one may be issued). <paramref name="Scope"/>
/// says where it is valid (the REST host), so a mock token is never used against the real server.
/// </summary>
public sealed record SourceToken(string Token, DateTimeOffset ExpiresAt, string Scope)
{
    // The generated ToString would print the token into any log line that includes the record.
    public override string ToString() => $"SourceToken {{ Token = ***, ExpiresAt = {ExpiresAt:O}, Scope = {Scope} }}";
}

/// <summary>
/// A slice of a backfill that was fetched and promoted: <paramref name="Dataset"/> (daily, investors, minute, krx-daily),
/// <paramref name="Basis"/> (raw, adjusted, or "-" where a dataset has none), <paramref name="Key"/> (a stock code, or
/// a market scope) and the inclusive date range.
/// </summary>
public sealed record BackfillUnit(string Dataset, string Basis, string Key, DateOnly From, DateOnly To);
