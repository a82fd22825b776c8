using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Conditions;

public sealed record KiwoomRealtimeRequest(IReadOnlyList<string>? Channels);

/// <summary>One stock of a one-shot search, with Kiwoom's values (null where Kiwoom sent none).</summary>
public sealed record KiwoomSearchRowDto(string Code, string? Name, decimal? Price, decimal? Change, decimal? ChangePct, long? Volume, decimal? Open, decimal? High, decimal? Low)
{
    public static KiwoomSearchRowDto From(KiwoomConditionRow r) => new(r.Code.Value, r.Name, r.Price, r.Change, r.ChangePct, r.AccVolume, r.Open, r.High, r.Low);
}

public sealed record KiwoomSearchDto(string Seq, string Name, int Pages, bool Truncated, IReadOnlyList<KiwoomSearchRowDto> Rows);

/// <summary>A condition activated for real time: its row (entries, exits and alerts are under its id) and Kiwoom's matching set.</summary>
public sealed record KiwoomRealtimeDto(ConditionDto Condition, IReadOnlyList<string> Matching);

/// <summary>
/// Kiwoom's HTS conditions under /api/conditions/kiwoom: the list, a one-shot search, real-time activation and its stop.
/// Without Kiwoom keys every one is a 404; with keys but no logged-in WebSocket on this node a 503. Not GETs: admin only.
/// </summary>
public static class KiwoomConditionsApi
{
    /// <summary>The schedule a Kiwoom condition shows: Kiwoom evaluates it and pushes changes.</summary>
    public const string Schedule = "realtime";

    public static RouteGroupBuilder MapKiwoomConditions(this RouteGroupBuilder conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        conditions.MapGet("/kiwoom", (IServiceProvider services, CancellationToken ct) =>
                WithKiwoomAsync(services, async k => TypedResults.Ok((await k.ListAsync(ct)).Select(Dto).ToList())))
            .WithSummary("Kiwoom's HTS conditions (CNSRLST over the live WebSocket), with whether each is active in real time");
        conditions.MapPost("/kiwoom/{seq}/search", (string seq, IServiceProvider services, CancellationToken ct) =>
                WithKiwoomAsync(services, async k =>
                {
                    var (condition, search) = await k.SearchAsync(seq, ct);
                    return TypedResults.Ok(new KiwoomSearchDto(seq, condition.Name, search.Pages, search.Truncated, [.. search.Rows.Select(KiwoomSearchRowDto.From)]));
                }))
            .WithSummary("One-shot search of a Kiwoom condition (CNSRREQ search_type 0, every page): the stocks matching now");
        // The body is optional: read by hand, since a declared body parameter makes a POST without Content-Type match no endpoint.
        conditions.MapPost("/kiwoom/{seq}/realtime", (string seq, HttpRequest http, IServiceProvider services, AlertChannelConfig alerts, CancellationToken ct) =>
                WithKiwoomAsync(services, async k =>
                {
                    var request = http.HasJsonContentType() ? await http.ReadFromJsonAsync<KiwoomRealtimeRequest>(ct) : null;
                    if (!ConditionsApi.TryChannels(request?.Channels, (await alerts.CurrentAsync(ct)).Effective, out var channels, out var problem))
                    {
                        return problem!;
                    }

                    var (row, matching) = await k.StartAsync(seq, channels, ct);
                    return TypedResults.Ok(new KiwoomRealtimeDto(ConditionDto.From(row), [.. matching.Select(c => c.Value)]));
                }))
            .WithSummary("Activate a Kiwoom condition in real time (CNSRREQ search_type 1): entries and exits become events and alerts; at most 10 per login");
        conditions.MapDelete("/kiwoom/{seq}/realtime", (string seq, IServiceProvider services, CancellationToken ct) =>
                WithKiwoomAsync(services, async k => await k.StopAsync(seq, ct) is { } row
                    ? TypedResults.Ok(ConditionDto.From(row))
                    : ApiErrors.NotFound("Not active", $"Kiwoom condition {seq} was never activated in real time")))
            .WithSummary("Stop a Kiwoom condition's real-time pushes (CNSRCLR); its history stays");
        return conditions;
    }

    /// <summary>The Kiwoom conditions for GET /api/conditions: none without keys, and the stored rows only when Kiwoom cannot be asked.</summary>
    internal static async Task<IReadOnlyList<ConditionDto>> ListedAsync(IServiceProvider services, CancellationToken ct)
    {
        if (services.GetService<KiwoomConditions>() is not { } kiwoom)
        {
            return [];
        }

        return [.. (await kiwoom.ListAsync(ct)).Select(Dto)];
    }

    /// <summary>A 409 for a request that would edit or evaluate a Kiwoom condition as a user one; null for a user condition.</summary>
    internal static Conflict<ProblemDetailsLike>? ServerSide(StoredCondition condition) =>
        condition.Origin == ConditionOrigins.Kiwoom
            ? TypedResults.Conflict(new ProblemDetailsLike("Kiwoom condition",
                $"condition {condition.Id} is Kiwoom's HTS condition {condition.KiwoomSeq}: Kiwoom evaluates it; use /api/conditions/kiwoom/{condition.KiwoomSeq}/realtime"))
            : null;

    private static ConditionDto Dto(KiwoomConditionView view) => view.Row is { } row
        ? ConditionDto.From(row) with { Name = view.Name }
        : new ConditionDto(0, view.Name, "kiwoom:" + view.Seq, null, false, Schedule, 0, [], ConditionOrigins.Kiwoom, default, default, null, null, view.Seq);

    /// <summary>Runs <paramref name="action"/> with the Kiwoom conditions, Kiwoom's failures as problem answers.</summary>
    private static async Task<IResult> WithKiwoomAsync(IServiceProvider services, Func<KiwoomConditions, Task<IResult>> action)
    {
        if (services.GetService<KiwoomConditions>() is not { } kiwoom)
        {
            return ApiErrors.NotFound("Kiwoom not configured", "Kiwoom's server conditions need Kiwoom keys: set KRXHUB_KIWOOM__APPKEY and KRXHUB_KIWOOM__SECRETKEY");
        }

        try
        {
            return await action(kiwoom);
        }
        catch (KiwoomConditionNotFoundException e)
        {
            return ApiErrors.NotFound("No such Kiwoom condition", e.Message);
        }
        catch (ArgumentException e)
        {
            return ApiErrors.BadParameter("seq", e.Message);
        }
        catch (System.Text.Json.JsonException e)
        {
            return ApiErrors.BadParameter("body", "the body is not {\"channels\": [...]}: " + e.Message);
        }
        catch (KiwoomConditionLimitException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Real-time condition limit", detail: e.Message);
        }
        catch (KiwoomApiException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Kiwoom refused the request",
                detail: $"{e.ApiId}: return_code {e.ReturnCode}: {e.ReturnMessage}");
        }
        catch (KiwoomException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kiwoom WebSocket unavailable",
                detail: e.Message + " (condition search runs on the node that runs the live source, once it is logged in)");
        }
    }
}
