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
        if (!ApiErrors.TryMarket(market, "market", out var m, out var problem) || !ApiErrors.TryDateRange(from, to, out var f, out var t, out problem))
        {
            return problem!;
        }

        var flows = await store.GetMarketInvestorFlowsAsync(m, f, t, ct);
        return TypedResults.Ok(WithDerived(flows));
    }

    /// <summary>The stored rows, plus institution-ex-pension for every market and session that has both institution-total and pension.</summary>
    internal static IReadOnlyList<MarketInvestorFlowDto> WithDerived(IReadOnlyList<MarketInvestorFlow> flows) =>
        FlowMeasures.WithExPension(flows, f => (f.Market, f.Date), f => f.Investor, FlowMeasures.Of, (session, investor, m, derived) =>
            new MarketInvestorFlowDto(session.Market.Name(), session.Date, investor, m.BuyVolume, m.SellVolume, m.NetVolume, m.BuyValue, m.SellValue,
                m.NetValue, m.Source, m.FetchedAt, derived));
}
