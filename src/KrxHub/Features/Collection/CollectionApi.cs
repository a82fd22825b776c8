using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Collection;

public static class CollectionApi
{
    public static IEndpointRouteBuilder MapCollection(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/collection/runs", GetRunsAsync).WithCsv().WithTags("Collection")
            .WithSummary("Collection and import runs, newest first: job, parameters, status, counts, timings, error");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<CollectionRun>>, ValidationProblem>> GetRunsAsync(
        MarketStore store, string? limit, string? offset, CancellationToken ct)
    {
        if (!ApiErrors.TryRange(limit, "limit", 50, 1, 1000, out var take, out var problem) ||
            !ApiErrors.TryRange(offset, "offset", 0, 0, int.MaxValue, out var skip, out problem))
        {
            return problem!;
        }

        return TypedResults.Ok(await store.GetRunsAsync(take, skip, ct));
    }
}
