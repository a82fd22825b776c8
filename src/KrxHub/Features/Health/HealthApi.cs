using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.TradingCalendar;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KrxHub.Features.Health;

/// <param name="CalendarEndsOn">The last day the KRX calendar covers (readiness only).</param>
/// <param name="CalendarWarning">Set when the calendar ends within 30 days or has ended; the hub stays ready, but needs an extension file.</param>
public sealed record HealthDto(string Status, string? Backend = null, int? SchemaVersion = null, int? ExpectedSchemaVersion = null, string? Error = null,
    CollectionStatusDto? Collection = null, DateOnly? CalendarEndsOn = null, string? CalendarWarning = null);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthDto("live"))).WithTags("Health");
        app.MapGet("/health/ready", ReadyAsync).WithTags("Health")
            .WithSummary("Ready when the store answers and every migration is applied; shows the Kiwoom circuit breaker, the last run of each collection job and the calendar's end");
        return app;
    }

    private static async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> ReadyAsync(IMarketStore store, CollectionJobs jobs,
        [FromServices] CollectionScheduler? scheduler, KrxCalendar calendar, TimeProvider time, CancellationToken ct)
    {
        var calendarWarning = CalendarCoverage.Warning(calendar, time.GetUtcNow());
        try
        {
            var version = await store.GetSchemaVersionAsync(ct);
            var collection = version == MarketStore.LatestSchemaVersion ? await CollectionStatus.ReadAsync(store, jobs, scheduler, ct) : null;
            var dto = new HealthDto(version == MarketStore.LatestSchemaVersion ? "ready" : "migrations pending",
                store.Backend, version, MarketStore.LatestSchemaVersion, Collection: collection, CalendarEndsOn: calendar.CoveredThrough, CalendarWarning: calendarWarning);
            return version == MarketStore.LatestSchemaVersion
                ? TypedResults.Ok(dto)
                : TypedResults.Json(dto, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return TypedResults.Json(new HealthDto("store unreachable", store.Backend, Error: e.Message, CalendarEndsOn: calendar.CoveredThrough, CalendarWarning: calendarWarning),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
