using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>
/// Runs the active conditions on their schedules: "interval" ones every N seconds while a session trades (or the
/// simulator's always-open session), "on-tick" ones for the stocks that traded, as soon as a trade arrives but at most once
/// per <see cref="OnTickGap"/> per stock, and "eod" ones once per new stored session. Passes never overlap on a node (one gate), and
/// on several nodes exactly one node evaluates (a store lease per pass).
/// </summary>
public sealed class ConditionScheduler(MarketStore store, ConditionRunner runner, KrxSessionClock clock, LiveBus bus, TimeProvider time, ILogger<ConditionScheduler> logger)
    : BackgroundService
{
    /// <summary>Held for a scheduled pass, and by POST /api/conditions/{id}/evaluate: one evaluation at a time across nodes.</summary>
    public const string LeaseName = "conditions:evaluate";

    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>The shortest time between two on-tick evaluations of one stock.</summary>
    public static readonly TimeSpan OnTickGap = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The shortest time between the starts of two on-tick passes. Every stock keeps its own <see cref="OnTickGap"/>, so in a
    /// busy market some stock is due at almost any moment: without this, passes of a few stocks each ran a few hundred times
    /// a second, each with its reads and its write. A trade waits at most this long for its pass.
    /// </summary>
    public static readonly TimeSpan OnTickPassSpacing = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan BroadRecheck = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _pass = new(1, 1);
    private DateOnly? _broadCheckedFor;
    private DateTimeOffset _broadCheckedAt;
    private DateOnly? _latestBroad;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(ScheduleLoopAsync(stoppingToken), OnTickLoopAsync(stoppingToken));

    private async Task ScheduleLoopAsync(CancellationToken stoppingToken)
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

    /// <summary>
    /// A stock that traded is evaluated at once unless its last evaluation is under <see cref="OnTickGap"/> old; then it waits
    /// for the rest of the gap (its later trades join it). Passes start at most every <see cref="OnTickPassSpacing"/>, and
    /// what came due meanwhile joins the next one. So a busy market runs a pass every few milliseconds, each stock at
    /// most four times a second, and a trade of a quiet stock is judged within the spacing, without waiting for anyone's gap.
    /// </summary>
    private async Task OnTickLoopAsync(CancellationToken stoppingToken)
    {
        var pending = new HashSet<StockCode>();
        // Monotonic timestamps: the gap is real time even when the clock of record stands still (tests) or jumps.
        var evaluatedAt = new Dictionary<StockCode, long>();
        long? lastPass = null;
        TimeSpan Since(StockCode code) => evaluatedAt.TryGetValue(code, out var at) ? time.GetElapsedTime(at) : TimeSpan.MaxValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = pending.Count == 0 ? Timeout.InfiniteTimeSpan : pending.Min(c => OnTickGap - Since(c));
            if (wait == Timeout.InfiniteTimeSpan || wait > TimeSpan.Zero)
            {
                await bus.Ticked.WaitAsync(wait, stoppingToken);
            }

            if (lastPass is { } last && OnTickPassSpacing - time.GetElapsedTime(last) is var rest && rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, time, stoppingToken);
            }

            pending.UnionWith(bus.Ticked.TakeNow());
            var due = pending.Where(c => Since(c) >= OnTickGap).ToHashSet();
            if (due.Count == 0)
            {
                continue;
            }

            pending.ExceptWith(due);
            var now = time.GetTimestamp();
            lastPass = now;
            foreach (var code in due)
            {
                evaluatedAt[code] = now;
            }

            try
            {
                await RunOnTickAsync(due, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("on-tick conditions: {Error}", e.Message);
            }
        }
    }

    /// <summary>One on-tick pass: the active on-tick conditions, on the live bars of <paramref name="traded"/> only.</summary>
    public async Task<IReadOnlyList<ConditionRunDto>> RunOnTickAsync(IReadOnlySet<StockCode> traded, CancellationToken ct)
    {
        await _pass.WaitAsync(ct);
        try
        {
            await using var lease = await store.TryAcquireLeaseAsync(LeaseName, ct);
            if (lease is null)
            {
                return [];
            }

            var onTick = (await store.GetConditionsAsync(ct)).Where(c => c.Active && c.Schedule == "on-tick").ToList();
            return onTick.Count == 0 || !Trading(time.GetUtcNow()) ? [] : await runner.RunAsync(onTick, null, ct, traded);
        }
        finally
        {
            _pass.Release();
        }
    }

    private bool Trading(DateTimeOffset now) => bus.Session is { } session ? session.AlwaysOpen || session.Phase is SessionPhase.Regular or SessionPhase.ClosingAuction
        : clock.PhaseAt(now) is SessionPhase.Regular or SessionPhase.ClosingAuction;

    /// <summary>One pass: the conditions that are due now, evaluated together.</summary>
    public async Task<IReadOnlyList<ConditionRunDto>> RunDueAsync(CancellationToken ct)
    {
        // A look without the lease first, so that a store without active conditions costs no lease every second.
        var active = (await store.GetConditionsAsync(ct)).Where(c => c.Active).ToList();
        bus.Ticked.Enabled = active.Any(c => c.Schedule == "on-tick");
        if (active.Count == 0)
        {
            return [];
        }

        await _pass.WaitAsync(ct);
        try
        {
            return await RunDueUnderGateAsync(ct);
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task<IReadOnlyList<ConditionRunDto>> RunDueUnderGateAsync(CancellationToken ct)
    {
        await using var lease = await store.TryAcquireLeaseAsync(LeaseName, ct);
        if (lease is null)
        {
            return [];
        }

        // Read again under the lease: a list read before it may predate the pass another node just finished, whose
        // last_run_at and last_session this node would not see, and it would evaluate the same conditions a second time.
        var conditions = (await store.GetConditionsAsync(ct)).Where(c => c.Active).ToList();

        var now = time.GetUtcNow();
        var trading = Trading(now);
        var due = conditions.Where(c => c.Schedule == "interval" && trading && (c.LastRunAt is not { } last || now - last >= TimeSpan.FromSeconds(c.IntervalSeconds))).ToList();
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
