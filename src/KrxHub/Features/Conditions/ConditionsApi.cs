using KrxHub.Features.Access;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Conditions;

public sealed record ConditionRequest(string? Name, string? Expression, string? Market, bool? Active, string? Schedule, int? IntervalSeconds, IReadOnlyList<string>? Channels);

/// <summary>A condition: a user one, or (origin "kiwoom", schedule "realtime") one of Kiwoom's HTS conditions, id 0 until first activated.</summary>
public sealed record ConditionDto(long Id, string Name, string Expression, string? Market, bool Active, string Schedule, int IntervalSeconds,
    IReadOnlyList<string> Channels, string Origin, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? LastRunAt, DateOnly? LastSession,
    string? KiwoomSeq = null)
{
    public static ConditionDto From(StoredCondition c) => new(c.Id, c.Name, c.Expression, c.Market?.Name(), c.Active,
        c.Origin == ConditionOrigins.Kiwoom ? KiwoomConditionsApi.Schedule : c.Schedule, c.IntervalSeconds, c.Channels, c.Origin,
        c.CreatedAt, c.UpdatedAt, c.LastRunAt, c.LastSession, c.KiwoomSeq);
}

public sealed record ConditionEventDto(long Id, string Code, string Event, DateTimeOffset At, DateOnly Session, string? Live, JsonElement Values);

public sealed record ConditionResultsDto(long ConditionId, IReadOnlyList<string> Matching, IReadOnlyList<ConditionEventDto> Events);

public sealed record AlertDto(long Id, long ConditionId, string Code, string Event, string Channel, string IdempotencyKey, string Message,
    string Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? SentAt)
{
    public static AlertDto From(OutboxAlert a) => new(a.Id, a.ConditionId, a.Code.Value, a.Event, a.Channel, a.IdempotencyKey, a.Message,
        a.Status, a.Attempts, a.NextAttemptAt, a.LastError, a.CreatedAt, a.SentAt);
}

/// <summary>Saved conditions (CRUD), their results and entry/exit history, a manual run, and the alert outbox.</summary>
public static class ConditionsApi
{
    public const int MinimumIntervalSeconds = 5;
    public const int DefaultIntervalSeconds = 30;

    public static IEndpointRouteBuilder MapConditions(this IEndpointRouteBuilder app)
    {
        var conditions = app.MapGroup("/api/conditions").WithTags("Conditions");
        conditions.MapGet("/", async (MarketStore store, IServiceProvider services, CancellationToken ct) =>
            TypedResults.Ok((await store.GetConditionsAsync(ct)).Select(ConditionDto.From).Concat(await KiwoomConditionsApi.ListedAsync(services, ct)).ToList()))
            .WithCsv().WithSummary("Saved conditions (origin user), then Kiwoom's HTS conditions when Kiwoom keys are set (origin kiwoom)");
        conditions.MapGet("/{id:long}", GetAsync).WithSummary("One condition");
        conditions.MapPost("/", CreateAsync).WithSummary("Save a condition; a bad expression is a 400 with its column")
            .RequireAccess(Access.AccessSetup.BacktestsAndConditionsPolicy);
        conditions.MapPut("/{id:long}", UpdateAsync).WithSummary("Replace a condition")
            .RequireAccess(Access.AccessSetup.BacktestsAndConditionsPolicy);
        conditions.MapDelete("/{id:long}", DeleteAsync).WithSummary("Delete a condition with its matches and history")
            .RequireAccess(Access.AccessSetup.BacktestsAndConditionsPolicy);
        conditions.MapGet("/{id:long}/results", ResultsAsync).WithCsv<ConditionResultsDto>(x => x.Events).WithSummary("The current matching set and the entry/exit history in [from, to]");
        conditions.MapPost("/{id:long}/evaluate", EvaluateAsync).WithSummary("Evaluate now (live bars while a source is up, else the newest stored session or ?date=)")
            .RequireAccess(Access.AccessSetup.BacktestsAndConditionsPolicy);
        var alerts = app.MapGroup("/api/alerts").WithTags("Conditions");
        alerts.MapGet("/", AlertsAsync).WithCsv().WithSummary("Alerts of the outbox, newest first (status: pending, sent, dead)");
        alerts.MapPost("/{id:long}/retry", RetryAsync).WithSummary("Put a dead-lettered alert back in line");
        conditions.MapKiwoomConditions();
        alerts.MapAlertChannels();
        return app;
    }

    private static async Task<Results<Ok<ConditionDto>, NotFound>> GetAsync(long id, MarketStore store, CancellationToken ct) =>
        await store.GetConditionAsync(id, ct) is { } c ? TypedResults.Ok(ConditionDto.From(c)) : TypedResults.NotFound();

    private static async Task<Results<Created<ConditionDto>, ValidationProblem, Conflict<ProblemDetailsLike>>> CreateAsync(
        ConditionRequest request, MarketStore store, AlertChannelConfig alerts, CancellationToken ct)
    {
        if (Validate(request, 0, (await alerts.CurrentAsync(ct)).Effective, out var condition) is { } problem)
        {
            return problem;
        }

        var saved = await store.SaveConditionAsync(condition!, ct);
        return saved is null
            ? TypedResults.Conflict(new ProblemDetailsLike("Name taken", $"a condition named '{condition!.Name}' exists"))
            : TypedResults.Created($"/api/conditions/{saved.Id}", ConditionDto.From(saved));
    }

    private static async Task<Results<Ok<ConditionDto>, ValidationProblem, NotFound, Conflict<ProblemDetailsLike>>> UpdateAsync(
        long id, ConditionRequest request, MarketStore store, AlertChannelConfig alerts, CancellationToken ct)
    {
        if (await store.GetConditionAsync(id, ct) is not { } existing)
        {
            return TypedResults.NotFound();
        }

        if (KiwoomConditionsApi.ServerSide(existing) is { } serverSide)
        {
            return serverSide;
        }

        if (Validate(request, id, (await alerts.CurrentAsync(ct)).Effective, out var condition) is { } problem)
        {
            return problem;
        }

        var saved = await store.SaveConditionAsync(condition!, ct);
        return saved is null
            ? TypedResults.Conflict(new ProblemDetailsLike("Name taken", $"a condition named '{condition!.Name}' exists"))
            : TypedResults.Ok(ConditionDto.From(saved));
    }

    private static async Task<Results<NoContent, NotFound, Conflict<ProblemDetailsLike>>> DeleteAsync(long id, MarketStore store, CancellationToken ct)
    {
        if (await store.GetConditionAsync(id, ct) is { } existing && KiwoomConditionsApi.ServerSide(existing) is { } serverSide)
        {
            return serverSide;
        }

        return await store.DeleteConditionAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<ConditionResultsDto>, ValidationProblem, NotFound>> ResultsAsync(
        long id, string? from, string? to, MarketStore store, CancellationToken ct)
    {
        if (!ApiErrors.TryDate(from, "from", DateOnly.MinValue, out var f, out var problem) || !ApiErrors.TryDate(to, "to", DateOnly.MaxValue, out var t, out problem))
        {
            return problem!;
        }

        if (await store.GetConditionAsync(id, ct) is null)
        {
            return TypedResults.NotFound();
        }

        var matching = (await store.GetConditionMatchesAsync(id, ct)).Select(c => c.Value).Order(StringComparer.Ordinal).ToList();
        var events = (await store.GetConditionEventsAsync(id, f, t, ct))
            .Select(e => new ConditionEventDto(e.Id, e.Code.Value, e.Event, e.At, e.Session, e.Live, JsonDocument.Parse(e.Values).RootElement.Clone())).ToList();
        return TypedResults.Ok(new ConditionResultsDto(id, matching, events));
    }

    private static async Task<Results<Ok<ConditionRunDto>, ValidationProblem, NotFound, ProblemHttpResult, Conflict<ProblemDetailsLike>>> EvaluateAsync(
        long id, string? date, MarketStore store, ConditionRunner runner, CancellationToken ct)
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

        if (await store.GetConditionAsync(id, ct) is not { } condition)
        {
            return TypedResults.NotFound();
        }

        if (KiwoomConditionsApi.ServerSide(condition) is { } serverSide)
        {
            return serverSide;
        }

        // The scheduler's lease: an evaluation from the API never overlaps a scheduled pass (of any node) over the same matching sets.
        await using var lease = await WaitForLeaseAsync(store, ct);
        if (lease is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Conditions busy",
                detail: "a scheduled evaluation has held the conditions for 30 s; retry later");
        }

        try
        {
            return TypedResults.Ok((await runner.RunAsync([condition], d, ct)).Single());
        }
        catch (ScreenException e)
        {
            return ApiErrors.NotFound("No data to evaluate", e.Message);
        }
    }

    private static async Task<Storage.StoreLease?> WaitForLeaseAsync(MarketStore store, CancellationToken ct)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            if (await store.TryAcquireLeaseAsync(ConditionScheduler.LeaseName, ct) is { } lease)
            {
                return lease;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }

        return null;
    }

    private static async Task<Results<Ok<List<AlertDto>>, ValidationProblem>> AlertsAsync(string? status, string? limit, MarketStore store, CancellationToken ct)
    {
        if (status is not null && status is not (OutboxStatus.Pending or OutboxStatus.Sent or OutboxStatus.Dead))
        {
            return ApiErrors.BadParameter("status", $"'{status}' is not pending, sent or dead");
        }

        if (!ApiErrors.TryRange(limit, "limit", 100, 1, 1000, out var take, out var problem))
        {
            return problem!;
        }

        return TypedResults.Ok((await store.GetAlertsAsync(status, take, ct)).Select(AlertDto.From).ToList());
    }

    private static async Task<Results<NoContent, NotFound>> RetryAsync(long id, MarketStore store, TimeProvider time, CancellationToken ct) =>
        await store.RetryAlertAsync(id, time.GetUtcNow(), ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>A 400 naming the first bad field of a condition request, or null with the condition to save.</summary>
    private static ValidationProblem? Validate(ConditionRequest r, long id, AlertSettings alerts, out StoredCondition? condition)
    {
        condition = null;
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Trim().Length > 100)
        {
            return ApiErrors.BadParameter("name", "name is required, at most 100 characters");
        }

        if (string.IsNullOrWhiteSpace(r.Expression))
        {
            return ApiErrors.BadParameter("expression", "expression is required, e.g. close > sma(close, 20)");
        }

        try
        {
            ConditionParser.Parse(r.Expression);
        }
        catch (ConditionException e)
        {
            return ScreenApi.ConditionProblem(e);
        }

        if (!ApiErrors.TryMarket(r.Market, "market", out var market, out var problem))
        {
            return problem;
        }

        var schedule = r.Schedule ?? "interval";
        if (schedule is not ("interval" or "on-tick" or "eod"))
        {
            return ApiErrors.BadParameter("schedule", $"'{schedule}' is not interval, on-tick or eod");
        }

        var interval = r.IntervalSeconds ?? DefaultIntervalSeconds;
        if (interval < MinimumIntervalSeconds || interval > 86_400)
        {
            return ApiErrors.BadParameter("intervalSeconds", $"intervalSeconds must be {MinimumIntervalSeconds}..86400, not {interval}");
        }

        if (!TryChannels(r.Channels, alerts, out var channels, out problem))
        {
            return problem;
        }

        condition = new StoredCondition(id, r.Name.Trim(), r.Expression.Trim(), market, r.Active ?? true, schedule, interval, channels,
            default, default, null, null);
        return null;
    }

    /// <summary>The channels of a request (default log), each a known and configured channel; else a 400 naming the bad one.</summary>
    internal static bool TryChannels(IReadOnlyList<string>? requested, AlertSettings alerts, out List<string> channels, out ValidationProblem? problem)
    {
        problem = null;
        channels = (requested ?? ["log"]).Select(c => c.Trim().ToLowerInvariant()).Distinct().ToList();
        foreach (var channel in channels)
        {
            if (!AlertSettings.AllChannels.Contains(channel))
            {
                problem = ApiErrors.BadParameter("channels", $"'{channel}' is not one of {string.Join(", ", AlertSettings.AllChannels)}");
                return false;
            }

            if (!alerts.Configured.Contains(channel))
            {
                problem = ApiErrors.BadParameter("channels", $"channel '{channel}' is not configured: PUT /api/alerts/channels/{channel} or set its KRXHUB_ALERTS__ variables (see .env.example)");
                return false;
            }
        }

        return true;
    }
}

/// <summary>A small problem body for 409 answers.</summary>
public sealed record ProblemDetailsLike(string Title, string Detail);
