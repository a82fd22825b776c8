using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Stocks;

public static class StocksApi
{
    public static IEndpointRouteBuilder MapStocks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/stocks").WithTags("Stocks");
        group.MapGet("/", SearchAsync).WithSummary("Search the stock master by code or Korean/English name");
        group.MapGet("/{code}", GetAsync).WithSummary("One stock of the master (listed or delisted)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<StockDto>>, ValidationProblem>> SearchAsync(
        MarketStore store, string? market, string? q, string? limit, string? offset, CancellationToken ct)
    {
        if (!ApiErrors.TryMarket(market, "market", out var m, out var problem) ||
            !ApiErrors.TryRange(limit, "limit", 50, 1, 1000, out var take, out problem) ||
            !ApiErrors.TryRange(offset, "offset", 0, 0, int.MaxValue, out var skip, out problem))
        {
            return problem!;
        }

        var stocks = await store.SearchStocksAsync(m, q, take, skip, ct);
        return TypedResults.Ok<IReadOnlyList<StockDto>>(stocks.Select(StockDto.From).ToList());
    }

    private static async Task<Results<Ok<StockDto>, ValidationProblem, ProblemHttpResult>> GetAsync(
        MarketStore store, string code, CancellationToken ct)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem))
        {
            return problem!;
        }

        var stock = await store.GetStockAsync(c, ct);
        return stock is null
            ? ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master")
            : TypedResults.Ok(StockDto.From(stock));
    }
}
