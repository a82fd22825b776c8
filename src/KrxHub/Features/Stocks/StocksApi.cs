using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Stocks;

public static class StocksApi
{
    /// <summary>The largest page of <c>?asOf=</c> (the whole KRX universe is about 2,900 stocks).</summary>
    public const int MaxUniverse = 5000;

    public static IEndpointRouteBuilder MapStocks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/stocks").WithTags("Stocks");
        group.MapGet("/", SearchAsync).WithCsv().WithSummary("Search the stock master by code or Korean/English name; ?asOf= gives the universe listed on that date");
        group.MapGet("/{code}", GetAsync).WithSummary("One stock of the master (listed or delisted)");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<StockDto>>, ValidationProblem>> SearchAsync(
        MarketStore store, string? market, string? q, string? asOf, string? limit, string? offset, CancellationToken ct)
    {
        if (!ApiErrors.TryMarket(market, "market", out var m, out var problem) ||
            !ApiErrors.TryDate(asOf, "asOf", default, out var listedOn, out problem))
        {
            return problem!;
        }

        // The universe of a date is asked for whole: up to MaxUniverse stocks by default, instead of a page of 50.
        var universe = !string.IsNullOrWhiteSpace(asOf);
        if (!ApiErrors.TryRange(limit, "limit", universe ? MaxUniverse : 50, 1, universe ? MaxUniverse : 1000, out var take, out problem) ||
            !ApiErrors.TryRange(offset, "offset", 0, 0, int.MaxValue, out var skip, out problem))
        {
            return problem!;
        }

        var stocks = await store.SearchStocksAsync(m, q, universe ? listedOn : null, take, skip, ct);
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
