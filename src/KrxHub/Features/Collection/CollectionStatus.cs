using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>The last run of one collection job, as /health/ready shows it.</summary>
public sealed record LastRunDto(string Job, long RunId, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
    long RowsRead, long RowsAccepted, long RowsQuarantined, string? Error);

/// <summary>Collection as /health/ready shows it: the Kiwoom circuit breaker, the KRX Open API, the scheduled jobs, and the last run of each job.</summary>
public sealed record CollectionStatusDto(string Kiwoom, string Krx, IReadOnlyList<string> Scheduled, IReadOnlyList<LastRunDto> LastRuns);

public static class CollectionStatus
{
    /// <summary>"closed", "open", "half-open", or "not configured" without Kiwoom keys.</summary>
    public static string BreakerState(KiwoomClient? client) => client?.CircuitState switch
    {
        null => "not configured",
        KiwoomCircuitState.Closed => "closed",
        KiwoomCircuitState.Open => "open",
        KiwoomCircuitState.HalfOpen => "half-open",
        _ => "unknown",
    };

    public static async Task<CollectionStatusDto> ReadAsync(MarketStore store, CollectionJobs jobs, CollectionScheduler? scheduler, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(jobs);
        var runs = (await store.GetLatestRunPerJobAsync(ct))
            .Where(r => r.Job.StartsWith("collect:", StringComparison.Ordinal) || r.Job.StartsWith("backfill:", StringComparison.Ordinal))
            .Select(r => new LastRunDto(r.Job, r.Id, r.Status, r.StartedAt, r.FinishedAt, r.RowsRead, r.RowsAccepted, r.RowsQuarantined, r.Error))
            .ToList();
        return new CollectionStatusDto(BreakerState(jobs.Kiwoom), jobs.Krx is null ? "not configured" : "configured", scheduler?.Jobs ?? [], runs);
    }
}
