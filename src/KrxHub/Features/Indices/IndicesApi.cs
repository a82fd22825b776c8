using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Indices;

/// <summary>A stored index: names, the sessions held and the last close with its provenance, and the live level when one flows.</summary>
public sealed record IndexDto(string Code, string Name, string NameEn, string? Market, long Sessions, DateOnly First, DateOnly Last,
    decimal LastClose, string Source, DateTimeOffset FetchedAt, LiveLevelDto? Live);

/// <summary>The latest live level (Kiwoom 0J, or the simulator's cap-weighted computation: <see cref="Simulated"/>).</summary>
public sealed record LiveLevelDto(decimal Level, decimal? Change, decimal? ChangePct, DateTimeOffset Time, string Source, bool Simulated);

public sealed record IndexBarDto(DateOnly Date, decimal? Open, decimal? High, decimal? Low, decimal Close, long? Volume,
    decimal? TradingValue, decimal? MarketCap, string Source, DateTimeOffset FetchedAt)
{
    public static IndexBarDto From(IndexBar b) => new(b.Date, b.Open, b.High, b.Low, b.Close, b.Volume, b.TradingValue, b.MarketCap, b.Source, b.FetchedAt);
}

public sealed record ConstituentDto(string Code, string? Name, string? Market, decimal? Close, decimal? MarketCap, decimal? Weight);

/// <summary>The constituent list in force on <see cref="RequestedDate"/>: the newest stored list dated on or before it.</summary>
public sealed record ConstituentsDto(string Index, string Name, DateOnly Date, DateOnly RequestedDate, int Count, string Source,
    DateTimeOffset FetchedAt, IReadOnlyList<ConstituentDto> Constituents);

public static class IndicesApi
{
    public static IEndpointRouteBuilder MapIndices(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/indices", ListAsync).WithCsv().WithTags("Indices")
            .WithSummary("Every index with stored daily bars (KRX codes: 1001 KOSPI, 2001 KOSDAQ, 1028 KOSPI 200), with its last close");
        app.MapGet("/api/indices/{code}/bars", GetBarsAsync).WithCsv().WithTags("Indices")
            .WithSummary("Daily bars of one index, ascending by date; {code} is a KRX index code or KOSPI, KOSDAQ, KOSPI200");
        app.MapGet("/api/indices/{code}/constituents", GetConstituentsAsync).WithCsv<ConstituentsDto>(x => x.Constituents).WithTags("Indices")
            .WithSummary("The stocks of an index on a date (default today): the newest stored KRX list dated on or before it");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<IndexDto>>> ListAsync(MarketStore store, LiveBus bus, CancellationToken ct)
    {
        var stored = await store.GetStoredIndicesAsync(ct);
        var live = bus.Indices.Levels;
        return TypedResults.Ok<IReadOnlyList<IndexDto>>([.. stored.Select(s =>
        {
            KrxIndex.TryParse(s.IndexCode, out var index);
            var level = live.GetValueOrDefault(s.IndexCode);
            return new IndexDto(index.Code, index.Name, index.NameEn, index.Market?.Name(), s.Sessions, s.First, s.Last, s.LastClose, s.Source, s.FetchedAt,
                level is null ? null : new LiveLevelDto(level.Level, level.Change, level.ChangePct, level.Time, level.Source, level.Source == LiveSources.Simulated));
        })]);
    }

    private static async Task<Results<Ok<IReadOnlyList<IndexBarDto>>, ValidationProblem, ProblemHttpResult>> GetBarsAsync(
        MarketStore store, string code, string? from, string? to, CancellationToken ct)
    {
        if (!TryIndex(code, out var index, out var problem) || !ApiErrors.TryDateRange(from, to, out var f, out var t, out problem))
        {
            return problem!;
        }

        var bars = await store.GetIndexBarsAsync(index.Code, f, t, ct);
        if (bars.Count == 0 && !(await store.GetStoredIndicesAsync(ct)).Any(s => s.IndexCode == index.Code))
        {
            return ApiErrors.NotFound("Unknown index", $"no bars of index {index.Code} are stored; GET /api/indices lists those that are");
        }

        return TypedResults.Ok<IReadOnlyList<IndexBarDto>>([.. bars.Select(IndexBarDto.From)]);
    }

    private static async Task<Results<Ok<ConstituentsDto>, ValidationProblem, ProblemHttpResult>> GetConstituentsAsync(
        MarketStore store, TimeProvider time, string code, string? date, CancellationToken ct)
    {
        if (!TryIndex(code, out var index, out var problem) ||
            !ApiErrors.TryDate(date, "date", KrxCalendar.KstDate(time.GetUtcNow()), out var d, out problem))
        {
            return problem!;
        }

        var list = await store.GetIndexConstituentsAsync(index.Code, d, ct);
        if (list.Count == 0)
        {
            var dates = await store.GetIndexConstituentDatesAsync(index.Code, ct);
            return ApiErrors.NotFound("No constituent list", dates.Count == 0
                ? $"no constituent list of index {index.Code} is stored (krxhub import a KRX MDCSTAT00601 body with --index {index.Code} --date)"
                : $"the first stored list of index {index.Code} is dated {dates[0]:yyyy-MM-dd}, after {d:yyyy-MM-dd}");
        }

        var master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        var newest = list.MaxBy(c => c.FetchedAt)!;
        return TypedResults.Ok(new ConstituentsDto(index.Code, index.Name, list[0].Date, d, list.Count, newest.Source, newest.FetchedAt,
            [.. list.Select(c => new ConstituentDto(c.Code.Value, c.Name ?? master.GetValueOrDefault(c.Code)?.Name,
                master.GetValueOrDefault(c.Code)?.Market.Name(), c.Close, c.MarketCap, c.Weight))]));
    }

    private static bool TryIndex(string code, out KrxIndex index, out ValidationProblem? problem)
    {
        problem = null;
        if (KrxIndex.TryParse(code, out index))
        {
            return true;
        }

        problem = ApiErrors.BadParameter("code", KrxIndex.Explain(code));
        return false;
    }
}
