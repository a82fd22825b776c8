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
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem) || !ApiErrors.TryDateRange(from, to, out var f, out var t, out problem))
        {
            return problem!;
        }

        if (await store.GetStockAsync(c, ct) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        var flows = await store.GetInvestorFlowsAsync(c, f, t, ct);
        return TypedResults.Ok(WithDerived(flows));
    }

    /// <summary>Adds institution-ex-pension for every session that has both institution-total and pension.</summary>
    internal static IReadOnlyList<InvestorFlowDto> WithDerived(IReadOnlyList<InvestorFlow> flows) =>
        FlowMeasures.WithExPension(flows, f => f.Date, f => f.Investor, FlowMeasures.Of, (date, investor, m, derived) => new InvestorFlowDto(
            date, investor, m.BuyVolume, m.SellVolume, m.NetVolume, m.BuyValue, m.SellValue, m.NetValue, m.Source, m.FetchedAt, derived));
}
