using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>
/// ka10081 daily bars of one stock over a range, into the daily-bar pipeline. Raw bars page back from the range's end until
/// the range's start (should the runaway guard stop them early, they continue with an earlier base_dt). Adjusted bars are adjusted as of base_dt, so they are
/// always asked for as of <paramref name="asOf"/> (the last final session) and never continued from another base date:
/// every adjusted bar of the store shares one adjustment base, and the progress key names it.
/// </summary>
public sealed class DailyBarsCollector(KiwoomClient client, MarketStore store, KrxCalendar calendar, TimeProvider time, PriceBasis basis, DateOnly asOf)
    : DatasetCollector<RawDailyRow>
{
    public override CollectDataset Dataset => CollectDataset.Daily;

    public override string Source => KiwoomClient.Source;

    public override string QuarantineDataset => "daily_bars";

    public override string ProgressBasis => basis == PriceBasis.Raw
        ? "raw"
        : "adjusted@" + asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public override async Task<UnitFetch<RawDailyRow>> FetchAsync(BackfillUnit unit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var code = StockCode.Parse(unit.Key);
        var rows = new List<RawDailyRow>();
        var seen = new HashSet<DateOnly>();
        var requests = 0;
        var baseDate = basis == PriceBasis.Raw ? unit.To : asOf;
        while (true)
        {
            var chart = await client.GetDailyBarsAsync(code, baseDate, basis, unit.From, ct);
            requests += chart.Pages;
            DateOnly? oldest = null;
            foreach (var row in chart.Rows)
            {
                if (KiwoomValue.TryDate(row.Date, out var day) != FieldStatus.Ok)
                {
                    rows.Add(row); // the validator quarantines it with its reason
                    continue;
                }

                oldest = oldest is { } o && o < day ? o : day;
                if (day >= unit.From && day <= unit.To && seen.Add(day))
                {
                    rows.Add(row);
                }
            }

            if (!chart.Truncated || oldest is not { } reached || reached <= unit.From)
            {
                return new UnitFetch<RawDailyRow>(rows, [], unit, requests);
            }

            // Only the runaway guard (scaled to the range) stops a query before the range's start. Adjusted bars cannot go on
            // from another base date (it would adjust older bars differently), and a raw query that went no further back is stuck.
            if (basis == PriceBasis.Adjusted || reached > baseDate)
            {
                return new UnitFetch<RawDailyRow>(rows, [], unit with { From = reached }, requests);
            }

            baseDate = reached.AddDays(-1);
        }
    }

    public override Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<RawDailyRow> items, IReadOnlyList<RejectedRecord> rejected,
        CancellationToken ct) =>
        new DailyBarPipeline(store, calendar, time).RunAsync(job, parameters, items, rejected, basis, Source, null, ct);
}
