using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Investors;

public sealed record MarketInvestorFlowDto(
    string Market,
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

/// <summary>GET /api/investors: market-wide flows by investor type (KRX MDCSTAT02202/02203 as stored).</summary>
public static class MarketInvestorsApi
{
    public static IEndpointRouteBuilder MapMarketInvestors(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/investors", GetAsync).WithCsv().WithTags("Investors")
            .WithSummary("Market-wide investor flows per session and type; institution-ex-pension is derived (institution-total − pension)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<MarketInvestorFlowDto>>, ValidationProblem>> GetAsync(
        MarketStore store, string? market, string? from, string? to, CancellationToken ct)
    {
        if (!ApiErrors.TryMarket(market, "market", out var m, out var problem) ||
            !ApiErrors.TryDate(from, "from", DateOnly.MinValue, out var f, out problem) ||
            !ApiErrors.TryDate(to, "to", DateOnly.MaxValue, out var t, out problem))
        {
            return problem!;
        }

        if (f > t)
        {
            return ApiErrors.BadParameter("from", $"from ({f:yyyy-MM-dd}) is after to ({t:yyyy-MM-dd})");
        }

        var flows = await store.GetMarketInvestorFlowsAsync(m, f, t, ct);
        return TypedResults.Ok(WithDerived(flows));
    }

    /// <summary>The stored rows, plus institution-ex-pension for every market and session that has both institution-total and pension.</summary>
    internal static IReadOnlyList<MarketInvestorFlowDto> WithDerived(IReadOnlyList<MarketInvestorFlow> flows)
    {
        var result = new List<MarketInvestorFlowDto>(flows.Count + flows.Count / 8);
        foreach (var day in flows.GroupBy(x => (x.Market, x.Date)).OrderBy(g => g.Key.Market).ThenBy(g => g.Key.Date))
        {
            var market = day.Key.Market.Name();
            result.AddRange(day.Select(x => new MarketInvestorFlowDto(market, x.Date, x.Investor.Name(), x.BuyVolume, x.SellVolume,
                x.NetVolume, x.BuyValue, x.SellValue, x.NetValue, x.Source, x.FetchedAt, false)));
            if (FlowMeasures.ExPension(day, x => x.Investor, FlowMeasures.Of) is { } d)
            {
                result.Add(new MarketInvestorFlowDto(market, day.Key.Date, InvestorTypes.InstitutionExPension, d.BuyVolume, d.SellVolume,
                    d.NetVolume, d.BuyValue, d.SellValue, d.NetValue, FlowMeasures.DerivedSource, d.FetchedAt, true));
            }
        }

        return result;
    }
}
