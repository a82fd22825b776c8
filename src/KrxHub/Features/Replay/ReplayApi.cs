using System.Globalization;
using KrxHub.Core;
using KrxHub.Features.Access;
using KrxHub.Features.Conditions;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Replay;

/// <summary>A recording by the name of one of its files (in the hub's recordings directory) or by its date (every part of that day).</summary>
public sealed record ConditionReplayRequest(string? File, string? Date);

/// <summary>POST /api/conditions/{id}/replay: what a saved condition would have fired over a recorded day.</summary>
public static class ReplayApi
{
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(30);

    public static IEndpointRouteBuilder MapReplay(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/conditions/{id:long}/replay", ReplayAsync).WithTags("Conditions")
            .WithSummary("What the condition would have fired over a recorded day: the entry/exit timeline, evaluated every ?every= (default 30s) of recorded time; writes nothing")
            .RequireAccess(AccessSetup.BacktestsAndConditionsPolicy);
        return app;
    }

    private static async Task<Results<Ok<ConditionReplayDto>, ValidationProblem, ProblemHttpResult>> ReplayAsync(
        long id, ConditionReplayRequest request, string? every, MarketStore store, KrxCalendar calendar, EventRecorder recorder, CancellationToken ct)
    {
        if (!TryEvery(every, out var interval))
        {
            return ApiErrors.BadParameter("every", $"'{every}' is not an interval of 1s to 1h such as 30s, 5m or 90");
        }

        if (string.IsNullOrWhiteSpace(request.File) == string.IsNullOrWhiteSpace(request.Date))
        {
            return ApiErrors.BadParameter("file", "give either file (a recording's file name) or date (yyyy-MM-dd), not both");
        }

        DateOnly? date = null;
        if (!string.IsNullOrWhiteSpace(request.Date))
        {
            if (!ApiErrors.TryDate(request.Date, "date", default, out var d, out var problem))
            {
                return problem!;
            }

            date = d;
        }

        if (await store.GetConditionAsync(id, ct) is not { } condition)
        {
            return ApiErrors.NotFound("Unknown condition", $"no condition with id {id}");
        }

        if (RecordingFiles.Resolve(recorder.Directory, request.File, date) is not { } files)
        {
            return ApiErrors.NotFound("No recording", date is { } day
                ? $"no recording of {day:yyyy-MM-dd} in the hub's recordings directory"
                : $"no recording named '{request.File}' in the hub's recordings directory (a file name, without a directory)");
        }

        try
        {
            return TypedResults.Ok(await ConditionReplay.RunAsync(store, calendar, condition, files, interval, ct));
        }
        catch (ScreenException e)
        {
            return ApiErrors.NotFound("Nothing to replay", e.Message);
        }
    }

    /// <summary>30s, 5m, 1h or plain seconds (90); 1 s to 1 h.</summary>
    public static bool TryEvery(string? text, out TimeSpan every)
    {
        every = DefaultEvery;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var t = text.Trim().ToLowerInvariant();
        var (number, unit) = t[^1] switch
        {
            's' => (t[..^1], 1),
            'm' => (t[..^1], 60),
            'h' => (t[..^1], 3600),
            _ => (t, 1),
        };
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || (long)n * unit > 3600)
        {
            return false;
        }

        every = TimeSpan.FromSeconds(n * unit);
        return true;
    }
}
