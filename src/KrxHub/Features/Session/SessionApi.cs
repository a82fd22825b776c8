using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Sources.Simulation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Session;

public sealed record SessionTransitionDto(string Phase, DateTimeOffset At);

/// <summary>
/// The market phase at <see cref="At"/> (KST), the session hours of that KST <see cref="Date"/> (null on a holiday) and
/// the next phase change. <see cref="AlwaysOpen"/> says the simulated feed runs its all-day demo session, trading
/// whatever <see cref="Phase"/> the real calendar is in. <see cref="Provisional"/> says the day comes from the holiday rules
/// (KRX has not published it); <see cref="Reason"/> names a closed weekday.
/// </summary>
public sealed record SessionDto(
    string Phase,
    DateTimeOffset At,
    DateOnly Date,
    DateTimeOffset? Open,
    DateTimeOffset? Close,
    SessionTransitionDto Next,
    bool AlwaysOpen,
    bool Provisional,
    string? Reason,
    string Source);

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
            var day = clock.Calendar.Day(date);
            return TypedResults.Ok(new SessionDto(phase.Name(), kst, date, day.Hours?.Open, day.Hours?.Close,
                new SessionTransitionDto(next.Phase.Name(), next.At), simulator.AlwaysOpen, day.Provisional, day.Reason, day.SourceLabel));
        }
        catch (CalendarCoverageException e)
        {
            // Only before 1986 or after 2050: the rules cover every year the lunar calendar does.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Outside the KRX calendar", detail: e.Message);
        }
    }
}
