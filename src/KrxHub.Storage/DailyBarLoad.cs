using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Storage;

/// <summary>
/// One run's way into daily_bars. Validated bars go in as they come (<see cref="AddAsync"/>), a later conflicting
/// version takes an earlier one back out (<see cref="TakeBackAsync"/>), rejects go to quarantine, and
/// <see cref="PromoteAsync"/> makes the whole run visible at once. Until then readers see daily_bars as it was, and a
/// run that fails (<see cref="AbandonAsync"/>) or dies leaves it so.
/// </summary>
/// <remarks>
/// Two ways in (<see cref="MarketStore.BeginDailyBarLoadAsync"/> picks): through the staging table, promoted by one
/// upsert at the end (any backend, any run); or, on SQLite when daily_bars holds no bar of the run's basis (a first
/// load), straight into daily_bars inside one write transaction held from the first bar to the promotion, which saves
/// writing every bar twice (the 986k-bar first load: 0.7 s of copying out of staging, and the staging writes themselves).
/// </remarks>
public abstract class DailyBarLoad : IAsyncDisposable
{
    private protected DailyBarLoad(long runId) => RunId = runId;

    public long RunId { get; }

    /// <summary>True when the bars go straight into daily_bars (a first load on SQLite), false when they are staged.</summary>
    public abstract bool IsFirstLoad { get; }

    /// <summary>Adds validated bars of the run (unique per code and date within the run).</summary>
    public abstract Task AddAsync(IReadOnlyList<DailyBar> bars, CancellationToken ct);

    /// <summary>Takes the run's bars for the given keys back out and returns them (a later row of the run conflicts with them).</summary>
    public abstract Task<IReadOnlyList<DailyBar>> TakeBackAsync(IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct);

    /// <summary>Quarantines rejects of the run; they are kept whether the run is promoted or abandoned.</summary>
    public abstract Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct);

    /// <summary>One transaction: every bar of the run into daily_bars (only new or changed rows count as changed).</summary>
    public abstract Task<PromotionResult> PromoteAsync(CancellationToken ct);

    /// <summary>Ends a run that will not be promoted: daily_bars stays as it was, the run's quarantine is kept.</summary>
    public abstract Task AbandonAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Through the staging table: bars are staged in their own transactions and promoted by one upsert.</summary>
internal sealed class StagedDailyBarLoad(MarketStore store, long runId) : DailyBarLoad(runId)
{
    public override bool IsFirstLoad => false;

    public override Task AddAsync(IReadOnlyList<DailyBar> bars, CancellationToken ct) => store.StageDailyBarsAsync(RunId, bars, ct);

    public override Task<IReadOnlyList<DailyBar>> TakeBackAsync(IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct) =>
        store.UnstageDailyBarsAsync(RunId, keys, ct);

    public override Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct) => store.QuarantineAsync(entries, ct);

    public override Task<PromotionResult> PromoteAsync(CancellationToken ct) => store.PromoteDailyBarsAsync(RunId, ct);

    /// <summary>Nothing to undo: the run's staged rows are cleared by the next run (<see cref="MarketStore.DeleteStaleStagingAsync"/>).</summary>
    public override Task AbandonAsync(CancellationToken ct) => Task.CompletedTask;

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
