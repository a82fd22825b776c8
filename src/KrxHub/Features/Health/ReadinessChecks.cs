using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.Conditions;
using KrxHub.Features.Live;
using KrxHub.Features.Observability;
using KrxHub.Storage;

namespace KrxHub.Features.Health;

/// <summary>The checks behind /health/ready, one per component. Descriptions are the hub's own words, never an exception's.</summary>
internal sealed class ReadinessChecks(IServiceProvider services, MarketStore store, TimeProvider time)
{
    public const string Healthy = "healthy";
    public const string Degraded = "degraded";
    public const string Failed = "failed";

    /// <summary>A pending alert older than this means delivery is stuck (the sender polls every second).</summary>
    public static readonly TimeSpan OutboxStuckAfter = TimeSpan.FromMinutes(5);

    private static readonly string[] Order = [Healthy, Degraded, Failed];

    public static string Worst(IEnumerable<ComponentHealthDto> components) =>
        Order[components.Select(c => Array.IndexOf(Order, c.Status)).DefaultIfEmpty(0).Max()];

    public static ComponentHealthDto Store(int version) => version == MarketStore.LatestSchemaVersion
        ? new("store", Healthy, $"schema version {version}")
        : new("store", Failed, $"schema version {version} of {MarketStore.LatestSchemaVersion}: migrations pending (krxhub db migrate)");

    public static ComponentHealthDto Calendar(KrxCalendar calendar, string? notice) => notice is null
        ? new("calendar", Healthy, $"published through {calendar.PublishedThrough:yyyy-MM-dd}, covered through {calendar.CoveredThrough:yyyy-MM-dd}")
        : new("calendar", Degraded, notice);

    public Task<CollectionStatusDto> CollectionAsync(CancellationToken ct) =>
        CollectionStatus.ReadAsync(store, services.GetRequiredService<CollectionJobs>(), services.GetService<CollectionScheduler>(), ct);

    /// <summary>Kiwoom and the KRX Open API: not configured is healthy (bundled data only); an open or probing breaker is degraded.</summary>
    public IEnumerable<ComponentHealthDto> Sources()
    {
        var jobs = services.GetRequiredService<CollectionJobs>();
        var kiwoom = CollectionStatus.BreakerState(jobs.Kiwoom);
        yield return kiwoom switch
        {
            "not configured" => new("kiwoom", Healthy, "not configured"),
            "closed" => new("kiwoom", Healthy, "circuit breaker closed"),
            "half-open" => new("kiwoom", Degraded, "circuit breaker half-open: probing after repeated failures"),
            _ => new("kiwoom", Degraded, "circuit breaker open after repeated failures: requests are held back"),
        };
        yield return jobs.Krx is null ? new("krx", Healthy, "not configured") : new("krx", Healthy, "configured");
    }

    /// <summary>The collection scheduler and the condition scheduler: failed when one stopped; degraded when a job's last run failed.</summary>
    public ComponentHealthDto Scheduler(CollectionStatusDto? collection)
    {
        var scheduler = services.GetService<CollectionScheduler>();
        var conditions = services.GetService<ConditionScheduler>();
        if (Stopped(scheduler) || Stopped(conditions))
        {
            return new("scheduler", Failed, Stopped(scheduler) ? "the collection scheduler stopped" : "the condition scheduler stopped");
        }

        var failedRuns = collection?.LastRuns.Where(r => r.Status == "failed").Select(r => $"{r.Job} (run {r.RunId})").ToList() ?? [];
        var scheduled = scheduler is null ? "no collection scheduled" : $"scheduled: {string.Join(", ", scheduler.Jobs)}";
        var conditionsState = conditions?.ExecuteTask is null ? "condition scheduler not running here" : "conditions evaluated on schedule";
        return failedRuns.Count > 0
            ? new("scheduler", Degraded, $"last run failed: {string.Join(", ", failedRuns)} (see GET /api/collection/runs); {scheduled}")
            : new("scheduler", Healthy, $"{scheduled}; {conditionsState}");
    }

    /// <summary>The live source: up here or on another node is healthy; none is degraded (the REST API still serves stored data).</summary>
    public ComponentHealthDto Live()
    {
        var status = services.GetRequiredService<LiveBus>().SourceStatus;
        return status switch
        {
            { Up: true, RunsHere: true } => new("live", Healthy, $"{status.Source} runs on this node"),
            { Up: true } => new("live", Healthy, $"{status.Source} runs on another node"),
            { Source: { } source } => new("live", Degraded, $"{source} is down: no live events"),
            _ => new("live", Degraded, "no live source is running"),
        };
    }

    /// <summary>The alert outbox: dead-lettered alerts or a pending one older than <see cref="OutboxStuckAfter"/> are degraded.</summary>
    public async Task<ComponentHealthDto> OutboxAsync(string backend, bool storeReady, CancellationToken ct)
    {
        if (!storeReady)
        {
            return new("outbox", Degraded, "not checked: the store is not ready");
        }

        AlertOutboxSummary summary;
        try
        {
            summary = await store.GetAlertOutboxSummaryAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            services.GetRequiredService<ILogger<ReadinessChecks>>().LogError(e, "health: the {Backend} alert outbox could not be read", backend);
            return new("outbox", Failed, "the alert outbox could not be read; see the hub's log");
        }

        var age = summary.OldestPendingCreatedAt is { } at ? time.GetUtcNow() - at : TimeSpan.Zero;
        var text = $"{summary.Pending} pending, {summary.Dead} dead-lettered";
        return summary.Dead > 0 ? new("outbox", Degraded, $"{text} (retry with POST /api/alerts/{{id}}/retry)")
            : age > OutboxStuckAfter ? new("outbox", Degraded, $"{text}; the oldest pending alert waits for {age.TotalMinutes:0} min")
            : new("outbox", Healthy, text);
    }

    private static bool Stopped(BackgroundService? service) => service?.ExecuteTask is { IsCompleted: true };
}
