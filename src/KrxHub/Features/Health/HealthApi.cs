using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.TradingCalendar;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KrxHub.Features.Health;

/// <param name="CalendarEndsOn">The last day the KRX calendar covers, provisional days included (readiness only).</param>
/// <param name="CalendarPublishedThrough">The last day of KRX's published days (bundled, then override years); rule-derived, provisional days follow.</param>
/// <param name="CalendarNotice">Set while today's year, or in December next year, is provisional; the hub stays ready.</param>
public sealed record HealthDto(string Status, string? Backend = null, int? SchemaVersion = null, int? ExpectedSchemaVersion = null, string? Error = null,
    CollectionStatusDto? Collection = null, DateOnly? CalendarEndsOn = null, DateOnly? CalendarPublishedThrough = null, string? CalendarNotice = null);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthDto("live"))).WithTags("Health");
        app.MapGet("/health/ready", ReadyAsync).WithTags("Health")
            .WithSummary("Ready when the store answers and every migration is applied; shows the Kiwoom circuit breaker, the last run of each collection job and the calendar's end");
        return app;
    }

    private static async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> ReadyAsync(MarketStore store, CollectionJobs jobs,
        [FromServices] CollectionScheduler? scheduler, KrxCalendar calendar, TimeProvider time, CancellationToken ct)
    {
        var calendarNotice = CalendarCoverage.Notice(calendar, time.GetUtcNow());
        try
        {
            var version = await store.GetSchemaVersionAsync(ct);
            var collection = version == MarketStore.LatestSchemaVersion ? await CollectionStatus.ReadAsync(store, jobs, scheduler, ct) : null;
            var dto = new HealthDto(version == MarketStore.LatestSchemaVersion ? "ready" : "migrations pending",
                store.Backend, version, MarketStore.LatestSchemaVersion, Collection: collection, CalendarEndsOn: calendar.CoveredThrough,
                CalendarPublishedThrough: calendar.PublishedThrough, CalendarNotice: calendarNotice);
            return version == MarketStore.LatestSchemaVersion
                ? TypedResults.Ok(dto)
                : TypedResults.Json(dto, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return TypedResults.Json(new HealthDto("store unreachable", store.Backend, Error: e.Message, CalendarEndsOn: calendar.CoveredThrough,
                CalendarPublishedThrough: calendar.PublishedThrough, CalendarNotice: calendarNotice),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
