using KrxHub.Core;
using KrxHub.Features.Import;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>
/// ka10099 for KOSPI (0), KOSDAQ (10) and KONEX (50) into the stock master, as of today. All three lists are fetched
/// before anything is written: a failed market fails the run and leaves the master as it was. Stocks are never deleted;
/// the three lists whole are a complete listing, and a stock missing from two of them (of different days) is marked
/// delisted, inferred (<see cref="MarketStore.RecordCompleteListingAsync"/>).
/// </summary>
public sealed class MasterCollector(KiwoomClient client, MarketStore store, TimeProvider time)
{
    public async Task<ImportSummary> RunAsync(string job, object parameters, CancellationToken ct)
    {
        var asOf = KrxCalendar.KstDate(time.GetUtcNow());
        var records = new List<Stock>();
        var rejected = new List<RejectedRecord>();
        var seen = new HashSet<StockCode>();
        var notes = new List<string>();
        foreach (var market in new[] { Market.Kospi, Market.Kosdaq, Market.Konex })
        {
            KiwoomRows<KiwoomListedStock> list;
            try
            {
                list = await client.GetStockListAsync(market, ct);
            }
            catch (KiwoomException e)
            {
                var runId = await CollectionRunner.RecordFailureAsync(store, time, job, parameters,
                    $"{market.Name()} list: {e.Message.ReplaceLineEndings(" ")}; the master was not changed", rejected, "stocks", KiwoomClient.Source, CancellationToken.None);
                throw new CollectionFailedException($"{market.Name()} list: {e.Message.ReplaceLineEndings(" ")} (run {runId})", runId, e);
            }

            rejected.AddRange(list.Errors.Select(e => KiwoomRejections.From(null, e)));
            records.AddRange(list.Rows.Where(r => seen.Add(r.Code)).Select(r => r.ToStock(asOf)));
            if (list.Truncated)
            {
                notes.Add($"{market.Name()} list stopped at the page cap; raise KRXHUB_KIWOOM__PAGECAP");
            }
        }

        // The three lists whole (no page cap hit, no unreadable row) are a complete listing: who is missing may be delisted.
        var complete = notes.Count == 0 && rejected.Count == 0;
        if (!complete)
        {
            notes.Add("not a complete listing (a list was cut short or had unreadable rows): no stock is counted missing");
        }

        var summary = await ImportCommand.ImportStocksAsync(store, time, job, parameters, new ParsedRecords<Stock>(records, rejected), KiwoomClient.Source,
            complete ? new ImportCommand.CompleteListing(asOf, CoversUnclassified: true) : null, ct);
        return summary with { Notes = [.. notes, .. summary.Notes] };
    }
}
