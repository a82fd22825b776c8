using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Validation;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>The KRX Open API's index levels (KOSPI and KOSDAQ series, the indices named in the settings), one session per unit.</summary>
public sealed class KrxIndexCollector(KrxOpenApiClient client, MarketStore store, KrxCalendar calendar, TimeProvider time)
    : DatasetCollector<IndexBar>
{
    public override CollectDataset Dataset => CollectDataset.KrxIndices;

    public override string Source => KrxOpenApiClient.Source;

    public override string QuarantineDataset => IndexPipeline.BarsDataset;

    public override string ProgressBasis => "-";

    public override async Task<UnitFetch<IndexBar>> FetchAsync(BackfillUnit unit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var bars = new List<IndexBar>();
        var rejected = new List<RejectedRecord>();
        var requests = 0;
        for (var day = unit.From; day <= unit.To; day = day.AddDays(1))
        {
            if (calendar.Covers(day) && !calendar.IsSession(day))
            {
                continue;
            }

            var parsed = await client.GetIndexBarsAsync(day, ct);
            bars.AddRange(parsed.Records);
            rejected.AddRange(parsed.Rejected);
            requests += 2;
        }

        return new UnitFetch<IndexBar>(bars, rejected, unit, requests);
    }

    public override Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<IndexBar> items, IReadOnlyList<RejectedRecord> rejected,
        CancellationToken ct) =>
        new IndexPipeline(store, calendar, time).RunBarsAsync(job, parameters, new ParsedRecords<IndexBar>(items, rejected), Source, ct);

    /// <summary>A malformed day or a day without rows (not published yet) fails that day only; credentials and outages stop the run.</summary>
    public override string? UnitFailureReason(Exception error) => error switch
    {
        KrxPayloadException => ReasonCodes.BadPayload,
        KrxNoDataException => ReasonCodes.SourceRefused,
        _ => null,
    };
}
