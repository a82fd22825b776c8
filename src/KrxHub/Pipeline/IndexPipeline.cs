using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Pipeline;

/// <summary>
/// Validate → promote for index bars and constituents, with the investor-flow pipeline's checks (future dates and
/// non-sessions are quarantined). Index files are small (an index's
/// whole history is ~10,000 rows), so they need no staging table.
/// </summary>
public sealed class IndexPipeline(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    public const string BarsDataset = "index_bars";
    public const string ConstituentsDataset = "index_constituents";

    public Task<ImportSummary> RunBarsAsync(string job, object parameters, ParsedRecords<IndexBar> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return new InvestorFlowPipeline(store, calendar, time).RunCoreAsync(job, parameters, parsed.Records, parsed.Rejected, source,
            b => (b.IndexCode, b.Date, true), b => JsonSerializer.Serialize(b), store.PromoteIndexBarsAsync, BarsDataset, ct);
    }

    /// <summary>
    /// KRX's list is kept whole even where the stock master lacks a constituent (a stock listed or delisted outside the master's
    /// snapshots): dropping it would leave the list short and its weights off.
    /// </summary>
    public Task<ImportSummary> RunConstituentsAsync(string job, object parameters, ParsedRecords<IndexConstituent> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return new InvestorFlowPipeline(store, calendar, time).RunCoreAsync(job, parameters, parsed.Records, parsed.Rejected, source,
            c => (c.Code.Value, c.Date, true), c => JsonSerializer.Serialize(c), store.PromoteIndexConstituentsAsync, ConstituentsDataset, ct);
    }
}
