using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Storage;

namespace KrxHub.Pipeline;

/// <summary>
/// Where a pipeline run is: rows read so far, and whether it has begun promoting its bars (one transaction);
/// <paramref name="FirstLoad"/> when its bars went straight into daily_bars (see <see cref="DailyBarLoad"/>).
/// </summary>
public readonly record struct PipelineProgress(long RowsRead, bool Promoting, bool FirstLoad = false);

/// <summary>
/// source → validate → stage → promote for daily bars. Rows are validated in small chunks (bounded memory),
/// good rows are staged under the run id in larger transactions, rejected rows go to quarantine, and one transaction promotes
/// the whole run at the end: a run that dies half-way leaves production untouched, and re-running
/// promotes exactly the same rows (identical rows change nothing). A first load on SQLite writes its bars straight into
/// daily_bars inside the one transaction instead of staging them (<see cref="DailyBarLoad"/>); the guarantees are the same.
/// </summary>
public sealed partial class DailyBarPipeline(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    /// <summary>
    /// Rows validated at a time. Small on purpose: a chunk's raw rows, their text and their bars stay alive until the
    /// chunk is validated and handed over, and with large chunks the collector copies all of them to older generations
    /// (25,000-row chunks cost 2 s of GC pauses on the 986k-bar file with workstation GC; 1,000-row chunks 0.6 s).
    /// </summary>
    public const int ChunkSize = 1_000;

    /// <summary>Bars (and rejects) written to staging (and quarantine) per transaction: fewer, larger transactions keep staging and promotion fast.</summary>
    public const int StagingBatchSize = 25_000;

    public Task<ImportSummary> RunAsync(
        string job,
        object parameters,
        IEnumerable<RawDailyRow> rows,
        PriceBasis basis,
        string source,
        IProgress<PipelineProgress>? progress,
        CancellationToken ct) => RunAsync(job, parameters, rows, [], basis, source, progress, ct);

    /// <summary>
    /// As above, with <paramref name="rejectedUpstream"/>: answers of the source that never became rows (an HTML page or
    /// truncated JSON for one stock), quarantined under this run and counted as read and quarantined.
    /// </summary>
    public async Task<ImportSummary> RunAsync(
        string job,
        object parameters,
        IEnumerable<RawDailyRow> rows,
        IReadOnlyList<Sources.Import.RejectedRecord> rejectedUpstream,
        PriceBasis basis,
        string source,
        IProgress<PipelineProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rejectedUpstream);
        var stopwatch = Stopwatch.StartNew();
        await store.AbandonDeadRunsAsync(ct);
        await store.DeleteStaleStagingAsync(ct);

        var now = time.GetUtcNow();
        var master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        var validator = new DailyBarValidator(calendar, master, KrxCalendar.KstDate(now));
        var runId = await store.StartRunAsync(job, JsonSerializer.Serialize(parameters), now, ct);

        var state = new RunState();
        DailyBarLoad? load = null;
        // Cancelled when the run fails, so that validation blocked on a full queue (staging failed) ends instead of waiting forever.
        using var stages = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.CompletedTask;
        try
        {
            if (rejectedUpstream.Count > 0)
            {
                await store.QuarantineAsync([.. rejectedUpstream.Select(r =>
                    new QuarantineEntry(runId, "daily_bars", source, r.Code, r.Date, [r.Reason], r.Payload, r.Line, now))], ct);
                foreach (var r in rejectedUpstream)
                {
                    state.Read++;
                    state.Quarantined++;
                    state.Count(r.Reason);
                }
            }

            load = await store.BeginDailyBarLoadAsync(runId, basis, ct);

            // Two stages on two cores: validation goes on while the previous staging batch is written. The queue holds
            // up to one staging batch of validated chunks (their bars; the raw rows are gone by then). Reading the file
            // on a third thread was tried: with three busy threads on two cores the rows were in 0.3 s later.
            var chunks = Channel.CreateBounded<ValidatedChunk>(
                new BoundedChannelOptions(StagingBatchSize / ChunkSize) { SingleReader = true, SingleWriter = true });
            producer = Task.Run(async () =>
            {
                try
                {
                    foreach (var chunk in rows.Chunk(ChunkSize))
                    {
                        stages.Token.ThrowIfCancellationRequested();
                        await chunks.Writer.WriteAsync(await ValidateChunkAsync(runId, chunk, basis, source, now, validator, state, stages.Token), stages.Token);
                    }

                    chunks.Writer.Complete();
                }
                catch (Exception e)
                {
                    chunks.Writer.Complete(e);
                    throw;
                }
            }, stages.Token);

            var pending = new PendingStaging();
            await foreach (var chunk in chunks.Reader.ReadAllAsync(ct))
            {
                if (chunk.ConflictsWithStaged.Count > 0)
                {
                    // The earlier versions may still be pending: stage them first, so that unstaging finds them.
                    await FlushAsync(load, pending, state, ct);
                }

                await TakeChunkAsync(load, chunk, source, now, state, pending, ct);
                if (pending.Bars.Count + pending.Quarantine.Count >= StagingBatchSize)
                {
                    await FlushAsync(load, pending, state, ct);
                }

                progress?.Report(new PipelineProgress(state.Read, Promoting: false, load.IsFirstLoad));
            }

            await producer;
            await FlushAsync(load, pending, state, ct);
            progress?.Report(new PipelineProgress(state.Read, Promoting: true, load.IsFirstLoad));
            var promoted = await load.PromoteAsync(ct);
            // A first load's write lock ends here, before the writes below (they would wait for it).
            await load.DisposeAsync();
            // Raw bars carry KRX's base prices: a new or corrected one can reveal (or take back) a corporate action.
            var adjustmentEvents = basis == PriceBasis.Raw && promoted.Changed > 0
                ? await store.RefreshAdjustmentEventsAsync(state.LastClose.Keys, calendar, ct)
                : (int?)null;

            var masterUpdates = MasterUpdates(master, state.Described);
            await store.UpsertStocksAsync(masterUpdates, ct);
            var summary = new ImportSummary(runId, "daily_bars", state.Read, state.Accepted, state.Quarantined,
                state.DuplicatesDropped, state.NoTrade, promoted.Changed, promoted.Unchanged,
                state.ByReason, stopwatch.Elapsed)
            {
                StocksUpdated = masterUpdates.Count,
                Repaired = state.Repaired,
                AdjustmentEvents = adjustmentEvents,
                Notes = ProvisionalNotes(calendar, validator),
            };
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded, state.Read, state.Accepted,
                state.Quarantined, promoted.Changed, time.GetUtcNow(), null), CancellationToken.None);
            return summary;
        }
        catch (Exception e)
        {
            await stages.CancelAsync();
            try
            {
                await producer;
            }
            catch (Exception)
            {
                // Its failure (or cancellation) is this one, or follows from it.
            }

            // Nothing of this run reaches production; its staging rows are cleared by the next run, and a first load takes
            // its bars back out (ending its write lock, which the run's record below would wait for).
            if (load is not null)
            {
                try
                {
                    await load.AbandonAsync(CancellationToken.None);
                }
                catch (Exception)
                {
                    // Then the load's transaction rolled back whole (its quarantine with it); the run's own failure is
                    // what is recorded and thrown below.
                }
                finally
                {
                    await load.DisposeAsync();
                }
            }

            await store.FinishRunAsync(runId, new RunOutcome(
                e is OperationCanceledException ? RunStatus.Abandoned : RunStatus.Failed,
                state.Read, state.Accepted, state.Quarantined, 0, time.GetUtcNow(), OneLine(e)), CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Sources that carry name, market and listed shares (marcap, KRX MDCSTAT01501) update the master entries
    /// of the stocks they describe, as of their latest session. Entries describing an earlier date than the
    /// master's own are left alone (the store enforces it too), and no stock is created from a price file.
    /// </summary>
    private static List<Stock> MasterUpdates(Dictionary<StockCode, Stock> master, Dictionary<StockCode, Description> described)
    {
        var updates = new List<Stock>();
        foreach (var (code, d) in described)
        {
            if (!master.TryGetValue(code, out var stock) || (stock.AsOf is { } asOf && d.Date < asOf))
            {
                continue;
            }

            var market = Markets.TryParse(d.Market, out var m) ? m : stock.Market;
            var updated = stock with
            {
                Name = d.Name,
                Market = market,
                Segment = d.Market is { Length: > 0 } && Markets.TryParse(d.Market, out _) ? d.Market : stock.Segment,
                ListedShares = d.ListedShares ?? stock.ListedShares,
                AsOf = d.Date,
            };
            if (updated with { AsOf = stock.AsOf } != stock || stock.AsOf is null)
            {
                updates.Add(updated);
            }
        }

        return updates;
    }

    /// <summary>What a price row says about its stock.</summary>
    private readonly record struct Description(DateOnly Date, string Name, string? Market, long? ListedShares);

    /// <summary>Consumer side, in chunk order: keeps the counts, takes conflicting versions back out of staging, and queues the chunk's bars and rejects.</summary>
    private static async Task TakeChunkAsync(DailyBarLoad load, ValidatedChunk chunk, string source, DateTimeOffset fetchedAt, RunState state,
        PendingStaging pending, CancellationToken ct)
    {
        var runId = load.RunId;
        state.Read += chunk.Read;
        state.DuplicatesDropped += chunk.DuplicatesDropped;
        pending.Quarantine.AddRange(chunk.Rejected.Select(r => ToQuarantine(runId, source, r, fetchedAt)));
        if (chunk.ConflictsWithStaged.Count > 0)
        {
            // The earlier version was staged with a previous chunk: take it back out and quarantine it too.
            foreach (var bar in await load.TakeBackAsync(chunk.ConflictsWithStaged, ct))
            {
                state.Accepted--;
                if (bar.NoTrade)
                {
                    state.NoTrade--;
                }

                pending.Quarantine.Add(new QuarantineEntry(runId, "daily_bars", source, bar.Code.Value, bar.Date,
                    [ReasonCodes.ConflictingDuplicate], BarPayload(bar), 0, fetchedAt));
                state.Quarantined++;
                state.Count(ReasonCodes.ConflictingDuplicate);
            }
        }

        foreach (var r in chunk.Rejected)
        {
            state.Quarantined++;
            foreach (var reason in r.Reasons.Distinct())
            {
                state.Count(reason);
            }
        }

        pending.Bars.AddRange(chunk.ToStage);
    }

    /// <summary>Writes the queued bars to the load (staging: in one transaction), then the queued rejects to quarantine.</summary>
    private static async Task FlushAsync(DailyBarLoad load, PendingStaging pending, RunState state, CancellationToken ct)
    {
        if (pending.Bars.Count > 0)
        {
            await load.AddAsync(pending.Bars, ct);
        }

        if (pending.Quarantine.Count > 0)
        {
            await load.QuarantineAsync(pending.Quarantine, ct);
        }

        state.Accepted += pending.Bars.Count;
        state.NoTrade += pending.Bars.Count(b => b.NoTrade);
        state.Repaired += pending.Bars.Count(b => b.RepairedFrom is not null);
        pending.Bars.Clear();
        pending.Quarantine.Clear();
    }

    /// <summary>Validated bars and rejects waiting for the next staging transaction.</summary>
    private sealed class PendingStaging
    {
        public readonly List<DailyBar> Bars = new(StagingBatchSize + ChunkSize);
        public readonly List<QuarantineEntry> Quarantine = [];
    }

    private static QuarantineEntry ToQuarantine(long runId, string source, ValidatedRow row, DateTimeOffset at)
    {
        StockCode.TryParse(row.Raw.Code, out var code);
        var date = KrxText.ParseDateOrNull(row.Raw.Date);
        return new QuarantineEntry(runId, "daily_bars", source, code.Value ?? row.Raw.Code?.Trim(), date,
            row.Reasons.Distinct().ToList(), row.Raw.Payload, row.Raw.Line, at);
    }

    private static string BarPayload(DailyBar b) => string.Join(',', b.Code, b.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        b.Open, b.High, b.Low, b.Close, b.Volume);

    private static int ValueHash(DailyBar b) => HashCode.Combine(
        HashCode.Combine(b.Open, b.High, b.Low, b.Close), b.Volume, b.TradingValue, b.MarketCap, b.ListedShares, b.NoTrade, b.BasePrice, b.RepairedFrom);

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    private sealed class RunState
    {
        public long Read;
        public long Accepted;
        public long Quarantined;
        public long DuplicatesDropped;
        public long NoTrade;
        public long Repaired;
        public readonly Dictionary<string, long> ByReason = new(StringComparer.Ordinal);
        public readonly Dictionary<StockCode, PreviousClose> LastClose = [];
        private readonly Dictionary<StockCode, Dictionary<DateOnly, int>> _seen = [];
        private (StockCode Code, Dictionary<DateOnly, int> Dates)? _lastSeen;

        /// <summary>
        /// The value hash of each date of the stock seen so far in this run. Per stock, and the last stock's kept at hand:
        /// files come grouped by stock, and one dictionary of a million (code, date) keys cost a string hash and a cache
        /// miss per row.
        /// </summary>
        public Dictionary<DateOnly, int> SeenDates(StockCode code)
        {
            if (_lastSeen is { } last && last.Code == code)
            {
                return last.Dates;
            }

            if (!_seen.TryGetValue(code, out var dates))
            {
                _seen[code] = dates = [];
            }

            _lastSeen = (code, dates);
            return dates;
        }
        public readonly Dictionary<StockCode, Description> Described = [];

        public void Count(string reason) => ByReason[reason] = ByReason.GetValueOrDefault(reason) + 1;
    }

    /// <summary>One note per date rejected as not_a_session on a provisional calendar day: the operator may need to correct the rules.</summary>
    internal static IReadOnlyList<string> ProvisionalNotes(KrxCalendar calendar, DailyBarValidator validator) =>
        [.. validator.ProvisionalRejections.Select(d => $"{ReasonCodes.NotASession}: {calendar.Day(d).DescribeClosed()}")];
}
