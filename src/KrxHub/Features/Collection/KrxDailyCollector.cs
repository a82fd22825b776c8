using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>
/// The KRX Open API's all-stock day of every market (raw basis, with names, markets and listed shares), one session per
/// unit, into the daily-bar pipeline. The markets of a day come all or nothing.
/// </summary>
public sealed class KrxDailyCollector(KrxOpenApiClient client, MarketStore store, KrxCalendar calendar, TimeProvider time)
    : DatasetCollector<RawDailyRow>
{
    /// <summary>The progress key of a unit: every market at once.</summary>
    public const string AllMarkets = "ALL";

    public override CollectDataset Dataset => CollectDataset.KrxDaily;

    public override string Source => KrxOpenApiClient.Source;

    public override string QuarantineDataset => "daily_bars";

    public override string ProgressBasis => "raw";

    public override async Task<UnitFetch<RawDailyRow>> FetchAsync(BackfillUnit unit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var rows = new List<RawDailyRow>();
        var requests = 0;
        for (var day = unit.From; day <= unit.To; day = day.AddDays(1))
        {
            if (calendar.Covers(day) && !calendar.IsSession(day))
            {
                continue;
            }

            foreach (var market in await client.GetAllMarketsDailyAsync(day, ct))
            {
                rows.AddRange(market.Rows);
            }

            requests += KrxOpenApiClient.MarketsOn(day).Count;
        }

        return new UnitFetch<RawDailyRow>(rows, [], unit, requests);
    }

    public override Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<RawDailyRow> items, IReadOnlyList<RejectedRecord> rejected,
        CancellationToken ct) =>
        new DailyBarPipeline(store, calendar, time).RunAsync(job, parameters, items, rejected, PriceBasis.Raw, Source, null, ct);

    /// <summary>A malformed day or a day without rows (not published yet) fails that day only; credentials and outages stop the run.</summary>
    public override string? UnitFailureReason(Exception error) => error switch
    {
        KrxPayloadException => ReasonCodes.BadPayload,
        KrxNoDataException => ReasonCodes.SourceRefused,
        _ => null,
    };
}
