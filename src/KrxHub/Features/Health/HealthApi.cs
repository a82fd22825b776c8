using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.Observability;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Health;

/// <summary>One part of the hub as /health/ready sees it: healthy, degraded (working, with a problem to look at) or failed.</summary>
/// <param name="Description">A short, safe sentence: never the text of an infrastructure exception (that goes to the log).</param>
public sealed record ComponentHealthDto(string Name, string Status, string Description);

/// <param name="Status">live, or the worst component: healthy, degraded or failed (only failed answers 503).</param>
/// <param name="Components">store, calendar, kiwoom, krx, scheduler, live and outbox.</param>
/// <param name="CalendarEndsOn">The last day the KRX calendar covers, provisional days included (readiness only).</param>
/// <param name="CalendarPublishedThrough">The last day of KRX's published days (bundled, then override years); rule-derived, provisional days follow.</param>
/// <param name="CalendarNotice">Set while today's year, or in December next year, is provisional (the calendar component is then degraded).</param>
public sealed record HealthDto(string Status, string? Backend = null, int? SchemaVersion = null, int? ExpectedSchemaVersion = null,
    IReadOnlyList<ComponentHealthDto>? Components = null, CollectionStatusDto? Collection = null, DateOnly? CalendarEndsOn = null,
    DateOnly? CalendarPublishedThrough = null, string? CalendarNotice = null);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthDto("live"))).WithTags("Health");
        app.MapGet("/health/ready", ReadyAsync).WithTags("Health")
            .WithSummary("Per component (store, calendar, sources and breakers, scheduler, live source, alert outbox): healthy, degraded or failed; 503 only when one failed");
        return app;
    }

    private static async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> ReadyAsync(HttpContext context, MarketStore store, KrxCalendar calendar,
        TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var checks = new ReadinessChecks(context.RequestServices, store, time);
        var components = new List<ComponentHealthDto>();
        int? version = null;
        CollectionStatusDto? collection = null;
        try
        {
            version = await store.GetSchemaVersionAsync(ct);
            components.Add(ReadinessChecks.Store(version.Value));
            if (version == MarketStore.LatestSchemaVersion)
            {
                collection = await checks.CollectionAsync(ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception's text can name hosts, paths or credentials: it goes to the log, the answer says where to look.
            loggers.CreateLogger("KrxHub.Health").LogError(e, "health: the store did not answer (correlation id {CorrelationId})", CorrelationIds.Of(context));
            components.Add(new ComponentHealthDto("store", "failed",
                $"the {store.Backend} store did not answer; the hub's log has the error under correlation id {CorrelationIds.Of(context)}"));
        }

        var notice = TradingCalendar.CalendarCoverage.Notice(calendar, time.GetUtcNow());
        components.Add(ReadinessChecks.Calendar(calendar, notice));
        components.AddRange(checks.Sources());
        components.Add(checks.Scheduler(collection));
        components.Add(checks.Live());
        components.Add(await checks.OutboxAsync(store.Backend, version == MarketStore.LatestSchemaVersion, ct));

        var status = ReadinessChecks.Worst(components);
        var dto = new HealthDto(status, store.Backend, version, MarketStore.LatestSchemaVersion, components, collection, calendar.CoveredThrough,
            calendar.PublishedThrough, notice);
        return status == "failed" ? TypedResults.Json(dto, statusCode: StatusCodes.Status503ServiceUnavailable) : TypedResults.Ok(dto);
    }
}
