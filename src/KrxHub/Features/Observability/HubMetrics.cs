using System.Diagnostics.Metrics;
using KrxHub.Features.Live;
using KrxHub.Pipeline;

namespace KrxHub.Features.Observability;

/// <summary>
/// The hub's instruments, on the one "KrxHub" meter (exported with the sources' meter, ASP.NET Core's and Kestrel's; see
/// docs/observability.md). Counters are added to where the work happens; the live and outbox figures are read when a
/// scrape asks, from the counters the live hub and the store already keep.
/// </summary>
public sealed class HubMetrics
{
    public const string MeterName = "KrxHub";

    private readonly Counter<long> _rowsIngested;
    private readonly Counter<long> _rowsQuarantined;
    private readonly Histogram<double> _jobDuration;

    public HubMetrics(IMeterFactory meters, LiveSubscriptions live, AlertOutboxWatch outbox, TimeProvider time, Replay.EventRecorder recording)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(recording);
        var meter = meters.Create(MeterName);
        _rowsIngested = meter.CreateCounter<long>("krxhub.rows.ingested", "{row}", "Rows promoted into the store by a pipeline run, by dataset and job");
        _rowsQuarantined = meter.CreateCounter<long>("krxhub.rows.quarantined", "{row}", "Rows a pipeline run quarantined, by dataset and reason");
        _jobDuration = meter.CreateHistogram<double>("krxhub.job.duration", "s",
            "How long a job ran, by job (collect:daily, backfill:minute, conditions, backtest …) and outcome (succeeded, failed)");

        meter.CreateObservableCounter("krxhub.live.events.in", () => live.Stats.EventsIn, "{event}", "Events the live bus received (source or backplane)");
        meter.CreateObservableCounter("krxhub.live.events.coalesced", () => live.Stats.CoalescedIn, "{event}",
            "Events the live bus folded into a newer one of the same stock before dispatch");
        meter.CreateObservableCounter("krxhub.live.messages.delivered", () => live.Stats.Delivered, "{message}", "Messages written to WebSocket clients");
        meter.CreateObservableCounter("krxhub.live.messages.coalesced", () => live.Stats.Coalesced, "{message}",
            "Messages replaced by a newer one in a slow client's queue before they were sent");
        meter.CreateObservableCounter("krxhub.live.recording.recorded", () => recording.Status.Recorded, "{event}", "Live events and session phases written to the day's recording");
        meter.CreateObservableCounter("krxhub.live.recording.dropped", () => recording.Status.Dropped, "{event}",
            "Live events the recording dropped because its writer fell behind (the live path never waits for it)");
        meter.CreateObservableUpDownCounter("krxhub.live.clients", () => live.Stats.Clients, "{client}", "WebSocket clients connected now");
        meter.CreateObservableGauge("krxhub.alerts.outbox.depth", () => outbox.Current() is { } s
            ? [new Measurement<long>(s.Pending, new KeyValuePair<string, object?>("status", "pending")), new Measurement<long>(s.Dead, new KeyValuePair<string, object?>("status", "dead"))]
            : Array.Empty<Measurement<long>>(), "{alert}", "Alerts in the outbox not yet sent: pending, or dead-lettered");
        meter.CreateObservableGauge("krxhub.alerts.outbox.oldest_age", () => outbox.Current() is { } s
            ? [new Measurement<double>(s.OldestPendingCreatedAt is { } at ? Math.Max(0, (time.GetUtcNow() - at).TotalSeconds) : 0)]
            : Array.Empty<Measurement<double>>(), "s", "Age of the oldest pending alert (0 when none is pending)");
    }

    /// <summary>The rows of finished pipeline runs: accepted rows as ingested, quarantined ones by each of their reasons.</summary>
    public void PipelineRuns(string job, IEnumerable<ImportSummary> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        foreach (var run in runs)
        {
            _rowsIngested.Add(run.Accepted, new("dataset", run.Dataset), new("job", job));
            foreach (var (reason, count) in run.QuarantinedByReason)
            {
                _rowsQuarantined.Add(count, new("dataset", run.Dataset), new("reason", reason));
            }
        }
    }

    /// <summary>One job that ran for <paramref name="elapsed"/>.</summary>
    public void Job(string job, bool succeeded, TimeSpan elapsed) =>
        _jobDuration.Record(elapsed.TotalSeconds, new("job", job), new("outcome", succeeded ? "succeeded" : "failed"));
}
