using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.TradingCalendar;
using KrxHub.Sources.Simulation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Session;

public sealed record SessionTransitionDto(string Phase, DateTimeOffset At);

/// <summary>
/// The market phase at <see cref="At"/> (KST), the session hours of that KST <see cref="Date"/> (null on a holiday) and
/// the next phase change. <see cref="AlwaysOpen"/> says the simulated feed runs its all-day demo session, trading
/// whatever <see cref="Phase"/> the real calendar is in.
/// </summary>
public sealed record SessionDto(
    string Phase,
    DateTimeOffset At,
    DateOnly Date,
    DateTimeOffset? Open,
    DateTimeOffset? Close,
    SessionTransitionDto Next,
    bool AlwaysOpen);

public static class SessionApi
{
    public static IEndpointRouteBuilder MapSession(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/session", Get).WithTags("Session")
            .WithSummary("The KRX market phase now (or at ?at=), from the calendar, and the next transition");
        return app;
    }

    private static Results<Ok<SessionDto>, ValidationProblem, ProblemHttpResult> Get(
        KrxSessionClock clock, TimeProvider time, SimulatorOptions simulator, string? at)
    {
        var instant = time.GetUtcNow();
        if (!string.IsNullOrWhiteSpace(at))
        {
            // Without an offset (or Z) the instant is read as KST, the exchange's time.
            if (!DateTimeOffset.TryParse(at.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ||
                !DateTime.TryParse(at.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var local))
            {
                return ApiErrors.BadParameter("at", $"'{at}' is not an instant; use ISO 8601, e.g. 2024-11-14T16:25:00+09:00");
            }

            instant = local.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(local, KrxCalendar.KstOffset) : parsed;
        }

        var kst = instant.ToOffset(KrxCalendar.KstOffset);
        try
        {
            var phase = clock.PhaseAt(kst);
            var next = clock.NextTransition(kst);
            var date = DateOnly.FromDateTime(kst.DateTime);
            var hours = clock.Calendar.Hours(date);
            return TypedResults.Ok(new SessionDto(phase.Name(), kst, date, hours?.Open, hours?.Close,
                new SessionTransitionDto(next.Phase.Name(), next.At), simulator.AlwaysOpen));
        }
        catch (CalendarCoverageException e)
        {
            // Past the end, the operator can fix it without a release: say how.
            var detail = e.IsAfterEnd
                ? $"{e.Date:yyyy-MM-dd} is outside the KRX calendar, which ends on {e.CoveredThrough:yyyy-MM-dd}; add KRX's closed days of {e.Date.Year} "
                    + $"with {CalendarSettings.ExtensionFileVariable} (or serve --calendar-file), see README \"Trading calendar coverage\""
                : e.Message;
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Outside the KRX calendar", detail: detail);
        }
    }
}
