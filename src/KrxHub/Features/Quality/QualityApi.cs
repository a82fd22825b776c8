using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Quality;

public sealed record QuarantineDto(
    long Id,
    long RunId,
    string Dataset,
    string Source,
    string? Code,
    DateOnly? Date,
    IReadOnlyList<string> Reasons,
    string Payload,
    long Line,
    DateTimeOffset QuarantinedAt);

public static class QualityApi
{
    /// <summary>Range reports walk day by day; keep them to about a year.</summary>
    private const int MaxRangeDays = 400;

    public static IEndpointRouteBuilder MapQuality(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/quality", GetAsync).WithTags("Quality")
            .WithSummary("Per-day report: bars accepted, rows quarantined by reason, listed stocks without data; or a from/to range with sessions missing data");
        app.MapGet("/api/quarantine", GetQuarantineAsync).WithCsv().WithTags("Quality")
            .WithSummary("Quarantined rows with their payload and reasons, newest first");
        return app;
    }

    private static async Task<Results<Ok<DayQualityDto>, Ok<QualityRangeDto>, ValidationProblem>> GetAsync(
        MarketStore store, KrxCalendar calendar, TimeProvider time, string? date, string? from, string? to, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(from) || !string.IsNullOrWhiteSpace(to))
        {
            var today = KrxCalendar.KstDate(time.GetUtcNow());
            if (!ApiErrors.TryDate(to, "to", today, out var t, out var problem) ||
                !ApiErrors.TryDate(from, "from", t.AddDays(-30), out var f, out problem))
            {
                return problem!;
            }

            if (f > t)
            {
                return ApiErrors.BadParameter("from", $"from ({f:yyyy-MM-dd}) is after to ({t:yyyy-MM-dd})");
            }

            if (t.DayNumber - f.DayNumber > MaxRangeDays)
            {
                return ApiErrors.BadParameter("from", $"the range may span at most {MaxRangeDays} days");
            }

            return TypedResults.Ok(await QualityReport.ForRangeAsync(store, calendar, f, t, ct));
        }

        DateOnly d;
        if (string.IsNullOrWhiteSpace(date))
        {
            // Default: the latest session that has data, else the last session up to today.
            var today = KrxCalendar.KstDate(time.GetUtcNow());
            var recent = await store.GetDatesWithBarsAsync(today.AddDays(-3650), today, ct);
            d = recent.Count > 0 ? recent.Max() : calendar.IsSession(today) ? today : calendar.PreviousSession(today) ?? today;
        }
        else if (!ApiErrors.TryDate(date, "date", default, out d, out var problem))
        {
            return problem!;
        }

        return TypedResults.Ok(await QualityReport.ForDayAsync(store, calendar, d, ct));
    }

    private static async Task<Results<Ok<IReadOnlyList<QuarantineDto>>, ValidationProblem>> GetQuarantineAsync(
        MarketStore store, string? date, string? reason, string? limit, string? offset, CancellationToken ct)
    {
        DateOnly? d = null;
        if (!string.IsNullOrWhiteSpace(date))
        {
            if (!ApiErrors.TryDate(date, "date", default, out var parsed, out var problem))
            {
                return problem!;
            }

            d = parsed;
        }

        if (!string.IsNullOrWhiteSpace(reason) && !ReasonCodes.All.Contains(reason.Trim()))
        {
            return ApiErrors.BadParameter("reason", $"unknown reason '{reason}'; known: {string.Join(", ", ReasonCodes.All)}");
        }

        if (!ApiErrors.TryRange(limit, "limit", 100, 1, 1000, out var take, out var p2) ||
            !ApiErrors.TryRange(offset, "offset", 0, 0, int.MaxValue, out var skip, out p2))
        {
            return p2!;
        }

        var rows = await store.GetQuarantineAsync(d, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), take, skip, ct);
        return TypedResults.Ok<IReadOnlyList<QuarantineDto>>(rows.Select(q => new QuarantineDto(q.Id, q.RunId, q.Dataset, q.Source,
            q.Code, q.Date, q.Reasons, q.Payload, q.Line, q.QuarantinedAt)).ToList());
    }
}
