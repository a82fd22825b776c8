using KrxHub.Core;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>ka10059 net buying per investor type of one stock over a range (amounts or share counts), into the investor pipeline.</summary>
public sealed class InvestorFlowsCollector(KiwoomClient client, MarketStore store, KrxCalendar calendar, TimeProvider time, KiwoomFlowMeasure measure)
    : DatasetCollector<InvestorFlow>
{
    public override CollectDataset Dataset => CollectDataset.Investors;

    public override string Source => KiwoomClient.Source;

    public override string QuarantineDataset => "investor_flows";

    public override string ProgressBasis => measure == KiwoomFlowMeasure.Value ? "net-value" : "net-volume";

    public override async Task<UnitFetch<InvestorFlow>> FetchAsync(BackfillUnit unit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var code = StockCode.Parse(unit.Key);
        var flows = new List<InvestorFlow>();
        var rejected = new List<RejectedRecord>();
        var seen = new HashSet<(DateOnly, InvestorType)>();
        var requests = 0;
        var date = unit.To;
        while (true)
        {
            var answer = await client.GetInvestorFlowsAsync(code, date, measure, KiwoomTradeSide.Net, unit.From, ct);
            requests += answer.Pages;
            rejected.AddRange(answer.Errors.Select(e => KiwoomRejections.From(code, e)));
            DateOnly? oldest = null;
            foreach (var flow in answer.Rows)
            {
                oldest = oldest is { } o && o < flow.Date ? o : flow.Date;
                if (flow.Date >= unit.From && flow.Date <= unit.To && seen.Add((flow.Date, flow.Investor)))
                {
                    flows.Add(flow);
                }
            }

            if (!answer.Truncated || oldest is not { } reached || reached <= unit.From)
            {
                return new UnitFetch<InvestorFlow>(flows, rejected, unit, requests);
            }

            if (reached > date)
            {
                // The answer went no further back than the date asked for: asking again would loop.
                return new UnitFetch<InvestorFlow>(flows, rejected, unit with { From = reached }, requests);
            }

            date = reached.AddDays(-1);
        }
    }

    public override Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<InvestorFlow> items, IReadOnlyList<RejectedRecord> rejected,
        CancellationToken ct) =>
        new InvestorFlowPipeline(store, calendar, time).RunAsync(job, parameters, new ParsedRecords<InvestorFlow>(items, rejected), Source, ct);
}
