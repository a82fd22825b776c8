using KrxHub.Core;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>
/// ka10080 1-minute bars (raw, tic_scope 1) of one stock over a range of sessions, into the minute-bar pipeline.
/// <paramref name="labelIsEnd"/>: whether cntr_tm names the end of its minute (UNCONFIRMED, see <see cref="CollectionSettings.MinuteBarTime"/>).
/// </summary>
public sealed class MinuteBarsCollector(KiwoomClient client, MarketStore store, KrxCalendar calendar, TimeProvider time, bool labelIsEnd)
    : DatasetCollector<MinuteBar>
{
    public override CollectDataset Dataset => CollectDataset.Minute;

    public override string Source => KiwoomClient.Source;

    public override string QuarantineDataset => MinuteBarPipeline.Dataset;

    public override string ProgressBasis => "raw";

    public override async Task<UnitFetch<MinuteBar>> FetchAsync(BackfillUnit unit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var code = StockCode.Parse(unit.Key);
        var bars = new Dictionary<DateTimeOffset, MinuteBar>();
        var rejected = new List<RejectedRecord>();
        var requests = 0;
        var baseDate = unit.To;
        while (true)
        {
            var answer = await client.GetMinuteBarsAsync(code, PriceBasis.Raw, baseDate, unit.From, ct);
            requests += answer.Pages;
            var fetchedAt = time.GetUtcNow();
            rejected.AddRange(answer.Errors.Select(e => KiwoomRejections.From(code, e)));
            DateOnly? oldest = null;
            foreach (var b in answer.Rows)
            {
                var start = labelIsEnd ? b.Time.AddMinutes(-1) : b.Time;
                var day = KrxCalendar.KstDate(b.Time);
                oldest = oldest is { } o && o < day ? o : day;
                if (day >= unit.From && day <= unit.To)
                {
                    bars.TryAdd(start, new MinuteBar(code, start, b.Open, b.High, b.Low, b.Close, b.Volume, null, Source, fetchedAt));
                }
            }

            if (!answer.Truncated || oldest is not { } reached || reached <= unit.From)
            {
                return new UnitFetch<MinuteBar>([.. bars.Values.OrderBy(b => b.Start)], rejected, unit, requests);
            }

            if (reached > baseDate)
            {
                // The answer went no further back than the day asked for: asking again would loop.
                return new UnitFetch<MinuteBar>([.. bars.Values.OrderBy(b => b.Start)], rejected, unit with { From = reached }, requests);
            }

            // The oldest day may be cut off mid-session: ask again from that day unless it was the day just asked for.
            baseDate = reached < baseDate ? reached : reached.AddDays(-1);
        }
    }

    public override Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<MinuteBar> items, IReadOnlyList<RejectedRecord> rejected,
        CancellationToken ct) =>
        new MinuteBarPipeline(store, calendar, time).RunAsync(job, parameters, new ParsedRecords<MinuteBar>(items, rejected), Source, ct);
}
