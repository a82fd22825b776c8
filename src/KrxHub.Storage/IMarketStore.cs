using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Validation;

namespace KrxHub.Storage;

/// <summary>
/// The one storage seam: SQLite (embedded default) and PostgreSQL (scale) implement it. Bulk paths:
/// staging then atomic promotion; every method passes its CancellationToken on.
/// </summary>
public interface IMarketStore : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgresql".</summary>
    string Backend { get; }

    /// <summary>Applies missing migrations (idempotent). Safe to call from several nodes at once on PostgreSQL.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>The highest applied migration, or 0 when the schema does not exist.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken ct);

    // --- stock master (never deleted) ---
    /// <summary>Inserts or updates by code. A null field in the incoming row keeps the stored value.</summary>
    Task UpsertStocksAsync(IReadOnlyCollection<Stock> stocks, CancellationToken ct);
    Task<IReadOnlyList<Stock>> GetAllStocksAsync(CancellationToken ct);
    Task<Stock?> GetStockAsync(StockCode code, CancellationToken ct);
    /// <summary>Search by code prefix or Korean/English name substring (case-insensitive), ordered by code.</summary>
    Task<IReadOnlyList<Stock>> SearchStocksAsync(Market? market, string? query, int limit, int offset, CancellationToken ct);
    Task<long> CountStocksAsync(CancellationToken ct);

    // --- daily bars: stage, then promote in one transaction ---
    /// <summary>For each code, the last raw close strictly before the given date.</summary>
    Task<IReadOnlyDictionary<StockCode, PreviousClose>> GetLastRawClosesBeforeAsync(IReadOnlyDictionary<StockCode, DateOnly> firstDates, CancellationToken ct);
    /// <summary>Appends validated bars to the staging table under the run id (PostgreSQL: COPY).</summary>
    Task StageDailyBarsAsync(long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct);
    /// <summary>Removes staged bars of the run for the given keys and returns them (used when a later row conflicts).</summary>
    Task<IReadOnlyList<DailyBar>> UnstageDailyBarsAsync(long runId, IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct);
    /// <summary>
    /// One transaction: upserts every staged bar of the run into daily_bars, writing only rows whose values
    /// differ (a corrected row replaces the old one with its new fetched_at; an identical row changes nothing),
    /// then clears the run's staging rows.
    /// </summary>
    Task<PromotionResult> PromoteDailyBarsAsync(long runId, CancellationToken ct);
    /// <summary>Deletes staging rows of runs that are no longer running (abandoned, failed, finished).</summary>
    Task DeleteStaleStagingAsync(CancellationToken ct);
    /// <summary>Bars of one stock in [from, to], ascending by date.</summary>
    Task<IReadOnlyList<DailyBar>> GetBarsAsync(StockCode code, DateOnly from, DateOnly to, PriceBasis basis, CancellationToken ct);
    /// <summary>All bars of one session, optionally for one market (from the master) and one basis, ordered by code.</summary>
    Task<IReadOnlyList<DailyBar>> GetBarsOnDateAsync(DateOnly date, Market? market, PriceBasis? basis, CancellationToken ct);
    Task<long> CountDailyBarsAsync(CancellationToken ct);
    /// <summary>
    /// Bars on one basis in [from, to] as one column-wise series per stock, ordered by code: the backtest's bulk read.
    /// <paramref name="codes"/> null reads every stock. No-trade bars come with volume 0.
    /// </summary>
    Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct);
    /// <summary>Distinct dates that have at least one bar, in [from, to].</summary>
    Task<IReadOnlyList<DateOnly>> GetDatesWithBarsAsync(DateOnly from, DateOnly to, CancellationToken ct);

    // --- investor flows (one transaction per batch; null measures keep the stored value) ---
    Task<PromotionResult> PromoteInvestorFlowsAsync(IReadOnlyList<InvestorFlow> flows, CancellationToken ct);
    Task<PromotionResult> PromoteMarketInvestorFlowsAsync(IReadOnlyList<MarketInvestorFlow> flows, CancellationToken ct);
    Task<IReadOnlyList<InvestorFlow>> GetInvestorFlowsAsync(StockCode code, DateOnly from, DateOnly to, CancellationToken ct);

    // --- index constituents ---
    Task UpsertIndexConstituentsAsync(IReadOnlyList<IndexConstituent> rows, CancellationToken ct);

    // --- quarantine ---
    Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct);
    Task<IReadOnlyList<QuarantineEntry>> GetQuarantineAsync(DateOnly? date, string? reason, int limit, int offset, CancellationToken ct);

    // --- quality ---
    Task<DayQuality> GetDayQualityAsync(DateOnly date, CancellationToken ct);

    // --- collection runs ---
    /// <summary>Inserts or replaces minute bars by (code, start). Counts rows whose stored values changed.</summary>
    Task<PromotionResult> UpsertMinuteBarsAsync(IReadOnlyList<MinuteBar> bars, CancellationToken ct);

    /// <summary>Minute bars of one stock with from &lt;= start &lt; to, oldest first.</summary>
    Task<IReadOnlyList<MinuteBar>> GetMinuteBarsAsync(StockCode code, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);

    /// <summary>
    /// Tries to become the one runner of <paramref name="name"/> (a scheduled job, the live source) among every
    /// process on this store: a PostgreSQL session advisory lock, or an exclusive lock file next to the SQLite
    /// database. Returns null when another holder has it. Disposing the lease releases it; a crashed holder
    /// releases it with its connection or file handle.
    /// </summary>
    Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct);

    Task<long> StartRunAsync(string job, string parametersJson, DateTimeOffset startedAt, CancellationToken ct);
    Task FinishRunAsync(long runId, RunOutcome outcome, CancellationToken ct);
    Task<IReadOnlyList<CollectionRun>> GetRunsAsync(int limit, int offset, CancellationToken ct);
    /// <summary>Marks runs of this host whose process is gone as abandoned, and clears their staging rows.</summary>
    Task<int> AbandonDeadRunsAsync(CancellationToken ct);

    /// <summary>The newest run of every job name, ordered by job.</summary>
    Task<IReadOnlyList<CollectionRun>> GetLatestRunPerJobAsync(CancellationToken ct);

    // --- collection state: source tokens, backfill progress, scheduled occurrences ---
    /// <summary>The stored token of an upstream source ("kiwoom"), or null.</summary>
    Task<SourceToken?> GetSourceTokenAsync(string source, CancellationToken ct);

    /// <summary>Stores (replacing) or, with null, forgets the token of an upstream source.</summary>
    Task SaveSourceTokenAsync(string source, SourceToken? token, CancellationToken ct);

    /// <summary>Completed backfill units of one dataset and basis whose range overlaps [from, to].</summary>
    Task<IReadOnlyList<BackfillUnit>> GetCompletedUnitsAsync(string dataset, string basis, DateOnly from, DateOnly to, CancellationToken ct);

    /// <summary>Records units as fetched and promoted (one transaction; recording a unit twice is a no-op).</summary>
    Task CompleteUnitsAsync(IReadOnlyCollection<BackfillUnit> units, DateTimeOffset completedAt, CancellationToken ct);

    /// <summary>True when some node has recorded this occurrence (e.g. "2026-04-14") of a scheduled job as done.</summary>
    Task<bool> IsOccurrenceDoneAsync(string job, string occurrence, CancellationToken ct);

    /// <summary>Records an occurrence of a scheduled job as done; false when it was recorded already (by any node).</summary>
    Task<bool> RecordOccurrenceAsync(string job, string occurrence, long? runId, DateTimeOffset completedAt, CancellationToken ct);
}
