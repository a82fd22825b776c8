using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Investors;

public sealed record InvestorFlowDto(
    DateOnly Date,
    string Investor,
    long? BuyVolume,
    long? SellVolume,
    long? NetVolume,
    decimal? BuyValue,
    decimal? SellValue,
    decimal? NetValue,
    string Source,
    DateTimeOffset FetchedAt,
    bool Derived);

public static class InvestorsApi
{
    public static IEndpointRouteBuilder MapInvestors(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/stocks/{code}/investors", GetAsync).WithCsv().WithTags("Investors")
            .WithSummary("Investor flows per session and type; institution-ex-pension is derived (institution-total − pension)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<InvestorFlowDto>>, ValidationProblem, ProblemHttpResult>> GetAsync(
        MarketStore store, string code, string? from, string? to, CancellationToken ct)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem) ||
            !ApiErrors.TryDate(from, "from", DateOnly.MinValue, out var f, out problem) ||
            !ApiErrors.TryDate(to, "to", DateOnly.MaxValue, out var t, out problem))
        {
            return problem!;
        }

        if (f > t)
        {
            return ApiErrors.BadParameter("from", $"from ({f:yyyy-MM-dd}) is after to ({t:yyyy-MM-dd})");
        }

        if (await store.GetStockAsync(c, ct) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        var flows = await store.GetInvestorFlowsAsync(c, f, t, ct);
        return TypedResults.Ok(WithDerived(flows));
    }

    /// <summary>Adds institution-ex-pension for every session that has both institution-total and pension.</summary>
    internal static IReadOnlyList<InvestorFlowDto> WithDerived(IReadOnlyList<InvestorFlow> flows)
    {
        var result = new List<InvestorFlowDto>(flows.Count + flows.Count / 8);
        foreach (var day in flows.GroupBy(x => x.Date).OrderBy(g => g.Key))
        {
            result.AddRange(day.Select(x => new InvestorFlowDto(x.Date, x.Investor.Name(), x.BuyVolume, x.SellVolume,
                x.NetVolume, x.BuyValue, x.SellValue, x.NetValue, x.Source, x.FetchedAt, false)));
            if (FlowMeasures.ExPension(day, x => x.Investor, FlowMeasures.Of) is { } d)
            {
                result.Add(new InvestorFlowDto(day.Key, InvestorTypes.InstitutionExPension, d.BuyVolume, d.SellVolume, d.NetVolume,
                    d.BuyValue, d.SellValue, d.NetValue, FlowMeasures.DerivedSource, d.FetchedAt, true));
            }
        }

        return result;
    }
}

/// <summary>The measures of one flow row, for deriving institution-ex-pension the same way for a stock and for a market.</summary>
internal sealed record FlowMeasures(long? BuyVolume, long? SellVolume, long? NetVolume, decimal? BuyValue, decimal? SellValue, decimal? NetValue,
    DateTimeOffset FetchedAt)
{
    public const string DerivedSource = "derived";

    public static FlowMeasures Of(InvestorFlow f) => new(f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.FetchedAt);

    public static FlowMeasures Of(MarketInvestorFlow f) => new(f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.FetchedAt);

    /// <summary>institution-total − pension of one session, or null unless both are stored (never double counted, never stored).</summary>
    public static FlowMeasures? ExPension<T>(IEnumerable<T> day, Func<T, InvestorType> type, Func<T, FlowMeasures> measures)
    {
        FlowMeasures? total = null, pension = null;
        foreach (var row in day)
        {
            switch (type(row))
            {
                case InvestorType.InstitutionTotal:
                    total = measures(row);
                    break;
                case InvestorType.Pension:
                    pension = measures(row);
                    break;
            }
        }

        return total is null || pension is null ? null : new FlowMeasures(
            total.BuyVolume - pension.BuyVolume, total.SellVolume - pension.SellVolume, total.NetVolume - pension.NetVolume,
            total.BuyValue - pension.BuyValue, total.SellValue - pension.SellValue, total.NetValue - pension.NetValue,
            total.FetchedAt > pension.FetchedAt ? total.FetchedAt : pension.FetchedAt);
    }
}
