using KrxHub.Core;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>
/// Runs the scheduled jobs (see <see cref="JobSchedule"/>), one loop per job so that a job never overlaps itself. Across
/// nodes on one PostgreSQL exactly one runs each occurrence: the runner holds the job's store lease (an advisory lock)
/// while it checks, runs and records the occurrence, and a node that gets the lease later finds it recorded.
/// A failed occurrence is tried again after <see cref="CollectionSettings.RetryAfter"/>.
/// </summary>
public sealed class CollectionScheduler(CollectionJobs jobs, MarketStore store, KrxCalendar calendar, TimeProvider time, ILogger<CollectionScheduler> logger)
    : BackgroundService
{
    /// <summary>Units per promotion of the scheduled end-of-day jobs: a retry after a failure resumes after the last batch.</summary>
    public const int BatchUnits = 200;

    /// <summary>Attempts of an occurrence that leaves some stocks failed (refused or malformed answers) before it counts as done.</summary>
    public const int AttemptsWithFailedUnits = 3;

    private CollectionSettings Settings => jobs.Settings.Collection;

    private readonly Lock _provisionalLogGate = new();
    private DateOnly _provisionalLoggedFor;

    /// <summary>The jobs this node schedules: those enabled whose source is configured.</summary>
    public IReadOnlyList<string> Jobs
    {
        get
        {
            var list = new List<string>();
            if (jobs.Kiwoom is not null)
            {
                if (Settings.Master)
                {
                    list.Add(JobSchedule.Master);
                }

                if (Settings.Eod)
                {
                    list.Add(JobSchedule.Eod);
                }

                if (Settings.Minute && Settings.WatchlistCodes.Count > 0)
                {
                    list.Add(JobSchedule.Minute);
                }
            }

            if (jobs.Krx is not null && Settings.KrxDaily)
            {
                list.Add(JobSchedule.KrxDaily);
            }

            return list;
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Collection scheduler: {Jobs}", Jobs.Count == 0 ? "no job enabled" : string.Join(", ", Jobs));
        return Task.WhenAll(Jobs.Select(job => LoopAsync(job, stoppingToken)));
    }

    private async Task LoopAsync(string job, CancellationToken ct)
    {
        var state = new Dictionary<string, (int Attempts, DateTimeOffset RetryAt)>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await TickAsync(job, state, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The store itself failing (a restart, a network cut): the next tick tries again.
                logger.LogError("Scheduled {Job}: {Error}", job, e.Message.ReplaceLineEndings(" "));
            }

            try
            {
                await Task.Delay(Settings.PollInterval, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task TickAsync(string job, Dictionary<string, (int Attempts, DateTimeOffset RetryAt)> state, CancellationToken ct)
    {
        LogIfProvisional(KrxCalendar.KstDate(time.GetUtcNow()));
        foreach (var occurrence in JobSchedule.Due(job, time.GetUtcNow(), calendar, Settings))
        {
            var tried = state.GetValueOrDefault(occurrence.Key);
            if (time.GetUtcNow() < tried.RetryAt)
            {
                continue;
            }

            await using var lease = await store.TryAcquireLeaseAsync("schedule:" + job, ct);
            if (lease is null)
            {
                return; // another node (or process) is running this job now
            }

            if (await store.IsOccurrenceDoneAsync(job, occurrence.Key, ct))
            {
                state.Remove(occurrence.Key);
                continue;
            }

            logger.LogInformation("Scheduled {Job} {Occurrence}: starting", job, occurrence.Key);
            var attempt = tried.Attempts + 1;
            using var owned = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watcher = WatchLeaseAsync(lease, owned);
            try
            {
                var (runId, failedUnits) = await RunAsync(occurrence, owned.Token);
                if (failedUnits > 0 && attempt < AttemptsWithFailedUnits)
                {
                    state[occurrence.Key] = (attempt, time.GetUtcNow() + Settings.RetryAfter);
                    logger.LogWarning("Scheduled {Job} {Occurrence}: {Failed} stocks failed (quarantined); attempt {Attempt} of {Attempts} in {RetryAfter}",
                        job, occurrence.Key, failedUnits, attempt + 1, AttemptsWithFailedUnits, Settings.RetryAfter);
                    continue;
                }

                await store.RecordOccurrenceAsync(job, occurrence.Key, runId, time.GetUtcNow(), ct);
                state.Remove(occurrence.Key);
                logger.LogInformation("Scheduled {Job} {Occurrence}: done (run {RunId})", job, occurrence.Key, runId);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Another node may hold the lease now and resume after the last promoted batch; this one tries later.
                state[occurrence.Key] = (attempt, time.GetUtcNow() + Settings.RetryAfter);
                logger.LogWarning("Scheduled {Job} {Occurrence}: the lease was lost; stopped after the last promoted batch", job, occurrence.Key);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                state[occurrence.Key] = (attempt, time.GetUtcNow() + Settings.RetryAfter);
                logger.LogError("Scheduled {Job} {Occurrence} failed (attempt {Attempt}): {Error}; next attempt in {RetryAfter}",
                    job, occurrence.Key, attempt, e.Message.ReplaceLineEndings(" "), Settings.RetryAfter);
            }
            finally
            {
                await owned.CancelAsync();
                await watcher;
            }
        }
    }

    /// <summary>
    /// Checks every poll interval that the lease still holds (a PostgreSQL restart or a cut connection ends the advisory
    /// lock, and another node may take the job) and cancels <paramref name="owned"/> when it does not.
    /// </summary>
    private async Task WatchLeaseAsync(StoreLease lease, CancellationTokenSource owned)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Settings.PollInterval, time, owned.Token);
                if (!await lease.IsHeldAsync(owned.Token))
                {
                    await owned.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The occurrence ended (or the hub is stopping).
        }
    }

    /// <summary>Runs one occurrence; returns its last run id and how many stocks failed on their own.</summary>
    private async Task<(long? RunId, int FailedUnits)> RunAsync(ScheduledOccurrence occurrence, CancellationToken ct)
    {
        switch (occurrence.Job)
        {
            case JobSchedule.Master:
                var master = await jobs.MasterAsync("schedule", ct);
                return (master.RunId, 0);
            case JobSchedule.Eod:
                var daily = await CollectAsync(new CollectionRequest(CollectDataset.Daily, occurrence.Session, occurrence.Session) { Basis = Settings.Basis }, ct);
                var investors = await CollectAsync(new CollectionRequest(CollectDataset.Investors, occurrence.Session, occurrence.Session), ct);
                return (investors.Runs.LastOrDefault()?.RunId ?? daily.Runs.LastOrDefault()?.RunId, daily.UnitsFailed + investors.UnitsFailed);
            case JobSchedule.Minute:
                var minute = await CollectAsync(new CollectionRequest(CollectDataset.Minute, occurrence.Session, occurrence.Session)
                {
                    Codes = Settings.WatchlistCodes,
                    SkipCompleted = false,
                }, ct);
                return (minute.Runs.LastOrDefault()?.RunId, minute.UnitsFailed);
            case JobSchedule.KrxDaily:
                var krx = await CollectAsync(new CollectionRequest(CollectDataset.KrxDaily, occurrence.Session, occurrence.Session), ct);
                // The index levels of the session come from the same Open API, with the same key.
                var indices = await CollectAsync(new CollectionRequest(CollectDataset.KrxIndices, occurrence.Session, occurrence.Session), ct);
                return (indices.Runs.LastOrDefault()?.RunId ?? krx.Runs.LastOrDefault()?.RunId, krx.UnitsFailed + indices.UnitsFailed);
            default:
                throw new InvalidOperationException($"no runner for scheduled job {occurrence.Job}");
        }
    }

    private async Task<CollectionOutcome> CollectAsync(CollectionRequest request, CancellationToken ct)
    {
        var scheduled = request with { SkipCompleted = request.Dataset != CollectDataset.Minute, BatchUnits = BatchUnits, Trigger = "schedule" };
        var units = await jobs.PlanAsync(scheduled, ct);
        return await jobs.RunAsync(scheduled, units, null, ct);
    }

    /// <summary>
    /// Once a day, when today comes from the holiday rules alone: whether the jobs run or skip the day, the operator should
    /// know that KRX has not confirmed it (an election or temporary holiday the rules cannot know would be missed).
    /// </summary>
    private void LogIfProvisional(DateOnly today)
    {
        if (!calendar.Covers(today) || !calendar.IsProvisional(today))
        {
            return;
        }

        lock (_provisionalLogGate)
        {
            if (_provisionalLoggedFor == today)
            {
                return;
            }

            _provisionalLoggedFor = today;
        }

        var day = calendar.Day(today);
        if (day.IsSession)
        {
            logger.LogWarning("Collection scheduler: {Date} is a session by the provisional calendar; scheduled jobs run. {Note}", today, day.ProvisionalNote);
        }
        else
        {
            logger.LogWarning("Collection scheduler: {Closed}; scheduled jobs skip the day", day.DescribeClosed());
        }
    }
}
