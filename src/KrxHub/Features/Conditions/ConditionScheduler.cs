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
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

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
        var conditions = (await store.GetConditionsAsync(ct)).Where(c => c.Active).ToList();
        if (conditions.Count == 0)
        {
            return [];
        }

        await using var lease = await store.TryAcquireLeaseAsync("conditions:evaluate", ct);
        if (lease is null)
        {
            return [];
        }

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
            // The newest session the store holds for (at least half) the market, on either basis: what the EOD collection added.
            var today = KrxCalendar.KstDate(now);
            var minimum = Math.Max(1, (await store.GetAllStocksAsync(ct)).Count(s => s.IsListedOn(today)) / 2);
            var adjusted = await store.GetLatestBroadSessionAsync(PriceBasis.Adjusted, today, minimum, ct);
            var raw = await store.GetLatestBroadSessionAsync(PriceBasis.Raw, today, minimum, ct);
            var latest = adjusted is { } a && (raw is not { } r || a >= r) ? adjusted : raw;
            var fresh = eod.Where(c => latest is { } l && (c.LastSession is not { } s || s < l)).ToList();
            if (fresh.Count > 0)
            {
                results.AddRange(await runner.RunAsync(fresh, latest, ct));
            }
        }

        return results;
    }
}
