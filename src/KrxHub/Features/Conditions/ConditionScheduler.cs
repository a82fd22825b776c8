using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>
/// Runs the active conditions on their schedules: "interval" ones every N seconds while a session trades (or the
/// simulator's always-open session), "eod" ones once per new stored session. Runs never overlap (one loop), and on several
/// nodes exactly one node evaluates (a store lease per pass). "on-tick" conditions run with the interval ones until the
/// on-tick path lands.
/// </summary>
public sealed class ConditionScheduler(MarketStore store, ConditionRunner runner, KrxSessionClock clock, LiveBus bus, TimeProvider time, ILogger<ConditionScheduler> logger)
    : BackgroundService
{
    /// <summary>Held for a scheduled pass, and by POST /api/conditions/{id}/evaluate: one evaluation at a time across nodes.</summary>
    public const string LeaseName = "conditions:evaluate";

    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan BroadRecheck = TimeSpan.FromMinutes(1);
    private DateOnly? _broadCheckedFor;
    private DateTimeOffset _broadCheckedAt;
    private DateOnly? _latestBroad;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("condition scheduler: {Error}", e.Message);
            }
        }
    }

    /// <summary>One pass: the conditions that are due now, evaluated together.</summary>
    public async Task<IReadOnlyList<ConditionRunDto>> RunDueAsync(CancellationToken ct)
    {
        // A look without the lease first, so that a store without active conditions costs no lease every second.
        if (!(await store.GetConditionsAsync(ct)).Any(c => c.Active))
        {
            return [];
        }

        await using var lease = await store.TryAcquireLeaseAsync(LeaseName, ct);
        if (lease is null)
        {
            return [];
        }

        // Read again under the lease: a list read before it may predate the pass another node just finished, whose
        // last_run_at and last_session this node would not see, and it would evaluate the same conditions a second time.
        var conditions = (await store.GetConditionsAsync(ct)).Where(c => c.Active).ToList();

        var now = time.GetUtcNow();
        var trading = bus.Session is { } session ? session.AlwaysOpen || session.Phase is SessionPhase.Regular or SessionPhase.ClosingAuction
            : clock.PhaseAt(now) is SessionPhase.Regular or SessionPhase.ClosingAuction;
        var due = conditions.Where(c => c.Schedule != "eod" && trading && (c.LastRunAt is not { } last || now - last >= TimeSpan.FromSeconds(c.IntervalSeconds))).ToList();
        var results = new List<ConditionRunDto>();
        if (due.Count > 0)
        {
            results.AddRange(await runner.RunAsync(due, null, ct));
        }

        // End of day: once per stored session newer than the condition's last one.
        var eod = conditions.Where(c => c.Schedule == "eod").ToList();
        if (eod.Count > 0)
        {
            // This runs every second: the cheap max(date) of each basis says whether any session is newer than the oldest
            // one an eod condition has seen; only then is the newest broad session (a GROUP BY over the bars) looked up.
            var today = KrxCalendar.KstDate(now);
            var newestAny = new[] { await store.GetLatestDateWithBarsAsync(PriceBasis.Adjusted, today, ct), await store.GetLatestDateWithBarsAsync(PriceBasis.Raw, today, ct) }.Max();
            var oldestSeen = eod.Min(c => c.LastSession ?? DateOnly.MinValue);
            if (newestAny is { } n && n > oldestSeen && (n != _broadCheckedFor || now - _broadCheckedAt >= BroadRecheck))
            {
                // Looked up when a newer bar arrives, else at most once a minute (while a day's collection is still landing).
                (_broadCheckedFor, _broadCheckedAt, _latestBroad) = (n, now, (await Screening.BroadestBasisAsync(store, today, ct)).Newest);
            }

            var latest = _latestBroad;
            var fresh = eod.Where(c => latest is { } l && (c.LastSession is not { } s || s < l)).ToList();
            if (fresh.Count > 0)
            {
                results.AddRange(await runner.RunAsync(fresh, latest, ct));
            }
        }

        return results;
    }
}
