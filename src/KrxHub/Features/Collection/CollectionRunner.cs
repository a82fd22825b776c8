using System.Globalization;
using System.Text.Json;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>Where a collection stands; reported after every unit.</summary>
public sealed record CollectionProgress(int UnitsDone, int UnitsTotal, int UnitsFailed, long Requests, long RowsPromoted, long RowsQuarantined, long? LastRunId, bool Promoted);

/// <summary>
/// What a collection did: units fetched and failed, units still short of their range (fetched in part, promoted, but not
/// recorded as complete), requests, and the pipeline run of every promoted batch.
/// </summary>
public sealed record CollectionOutcome(int UnitsPlanned, int UnitsFailed, int UnitsIncomplete, long Requests, IReadOnlyList<ImportSummary> Runs)
{
    public long RowsRead => Runs.Sum(r => r.RowsRead);

    public long Accepted => Runs.Sum(r => r.Accepted);

    public long Quarantined => Runs.Sum(r => r.Quarantined);

    public long Changed => Runs.Sum(r => r.Changed);
}

/// <summary>A collection stopped because its source failed; batches promoted before it stay promoted.</summary>
public sealed class CollectionFailedException(string message, long runId, Exception inner) : Exception(message, inner)
{
    public long RunId { get; } = runId;
}

/// <summary>
/// Fetches units one after another (the client's limiter sets the pace) and promotes them in batches: each batch is
/// one pipeline run (validate → stage → promote, all or nothing), after which its units are recorded as complete. A
/// process killed mid-batch loses only that batch's fetches; the next run fetches them again and promotion is
/// idempotent, so nothing is duplicated.
/// </summary>
public sealed class CollectionRunner(MarketStore store, TimeProvider time)
{
    /// <summary>After this many units in a row failed on their own, the source is taken to be failing as a whole.</summary>
    public const int MaxConsecutiveUnitFailures = 20;

    /// <summary>
    /// Fetches <paramref name="units"/> and promotes them every <paramref name="batchUnits"/> units. Units are recorded as
    /// complete up to <paramref name="finalUpTo"/> (the last session whose data can no longer change; null records nothing).
    /// </summary>
    public async Task<CollectionOutcome> RunAsync<T>(
        DatasetCollector<T> collector,
        string job,
        object parameters,
        IReadOnlyList<Storage.BackfillUnit> units,
        int batchUnits,
        DateOnly? finalUpTo,
        IProgress<CollectionProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(units);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchUnits, 1);
        var runs = new List<ImportSummary>();
        var items = new List<T>();
        var rejected = new List<RejectedRecord>();
        var covered = new List<Storage.BackfillUnit>();
        int done = 0, failed = 0, incomplete = 0, inBatch = 0, failedInARow = 0;
        long requests = 0, promoted = 0, quarantined = 0;

        void Report(bool afterPromotion) => progress?.Report(new CollectionProgress(done, units.Count, failed, requests, promoted,
            quarantined, runs.Count > 0 ? runs[^1].RunId : null, afterPromotion));

        async Task PromoteAsync()
        {
            if (inBatch == 0)
            {
                return;
            }

            var summary = await collector.PromoteAsync(job, parameters, items, rejected, ct);
            await store.CompleteUnitsAsync(covered, time.GetUtcNow(), ct);
            runs.Add(summary);
            promoted += summary.Accepted;
            quarantined += summary.Quarantined;
            (items, rejected, covered, inBatch) = ([], [], [], 0);
            Report(afterPromotion: true);
        }

        try
        {
            foreach (var unit in units)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    var fetched = await collector.FetchAsync(unit, ct);
                    requests += fetched.Requests;
                    items.AddRange(fetched.Items);
                    rejected.AddRange(fetched.Rejected);
                    // Only final sessions are recorded as complete: today's data changes until the after-hours market ends. A unit
                    // still short of its range (the source's runaway guard stopped it) is not recorded: the next run asks again.
                    var whole = fetched.Covered == unit;
                    if (whole && finalUpTo is { } final && unit.From <= final)
                    {
                        covered.Add(unit.To > final ? unit with { To = final } : unit);
                    }

                    incomplete += whole ? 0 : 1;
                    failedInARow = 0;
                }
                catch (Exception e) when (collector.UnitFailureReason(e) is { } reason)
                {
                    // Not recorded as complete: the next backfill asks for this unit again.
                    requests++;
                    failed++;
                    rejected.Add(new RejectedRecord(0, $"{unit.Key} {Day(unit.From)}..{Day(unit.To)}: {OneLine(e)}", reason)
                    {
                        Code = unit.Key,
                        Date = unit.From == unit.To ? unit.From : null,
                    });
                    if (++failedInARow >= MaxConsecutiveUnitFailures)
                    {
                        throw new InvalidOperationException($"{failedInARow} units in a row failed, the source looks broken (last: {OneLine(e)})", e);
                    }
                }

                done++;
                inBatch++;
                Report(afterPromotion: false);
                if (inBatch >= batchUnits)
                {
                    await PromoteAsync();
                }
            }

            await PromoteAsync();
            return new CollectionOutcome(units.Count, failed, incomplete, requests, runs);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The batch in hand is not promoted; its unreadable answers are kept with the failed run.
            var message = $"{OneLine(e)} (after {done} of {units.Count} units; {runs.Count} earlier batch(es) promoted)";
            var runId = await RecordFailureAsync(store, time, job, parameters, message, rejected, collector.QuarantineDataset, collector.Source,
                CancellationToken.None);
            throw new CollectionFailedException(message, runId, e);
        }
    }

    /// <summary>Writes a failed run (and quarantines what it holds) for a collection that stopped before any pipeline run.</summary>
    public static async Task<long> RecordFailureAsync(MarketStore store, TimeProvider time, string job, object parameters, string error,
        IReadOnlyList<RejectedRecord> rejected, string dataset, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(rejected);
        var now = time.GetUtcNow();
        var runId = await store.StartRunAsync(job, JsonSerializer.Serialize(parameters), now, ct);
        if (rejected.Count > 0)
        {
            await store.QuarantineAsync([.. rejected.Select(r => new QuarantineEntry(runId, dataset, source,
                r.Code, r.Date, [r.Reason], r.Payload, r.Line, now))], ct);
        }

        await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, rejected.Count, 0, rejected.Count, 0, time.GetUtcNow(), error), ct);
        return runId;
    }

    private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");
}
