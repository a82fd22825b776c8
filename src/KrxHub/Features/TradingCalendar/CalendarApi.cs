using KrxHub.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.TradingCalendar;

/// <summary>One date of GET /api/calendar.</summary>
/// <param name="Open">The session's open, KST <c>HH:mm</c>; null when closed.</param>
/// <param name="Reason">Why a weekday is closed (<c>설날</c>, <c>대체공휴일(추석)</c>, <c>연말 휴장일</c>, <c>선거일</c>); null on sessions and weekends.</param>
/// <param name="Provisional">True where the day comes from the holiday rules only.</param>
/// <param name="Source"><c>bundled</c>, <c>override:&lt;file&gt;</c> or <c>rules</c>.</param>
public sealed record CalendarDayDto(DateOnly Date, bool Session, string? Open, string? Close, string? Reason, bool Provisional, string Source)
{
    public static CalendarDayDto From(CalendarDay day) => new(day.Date, day.IsSession,
        day.Hours?.OpenKst.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        day.Hours?.CloseKst.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        day.Reason, day.Provisional, day.SourceLabel);
}

/// <summary>The days of a range, and how far KRX's published days reach.</summary>
/// <param name="Notes">What the provisional days of the range cannot know (CSAT days, elections, temporary holidays).</param>
public sealed record CalendarRangeDto(DateOnly From, DateOnly To, int Sessions, DateOnly PublishedThrough, DateOnly CoveredThrough,
    IReadOnlyList<string> Notes, IReadOnlyList<CalendarDayDto> Days);

public static class CalendarApi
{
    public static IEndpointRouteBuilder MapCalendar(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/calendar", Get).WithCsv<CalendarRangeDto>(x => x.Days).WithTags("Calendar")
            .WithSummary("Every date of a range (at most a year; default: this KST year) with its session hours, closure reason, and whether it is published or provisional");
        return app;
    }

    private static Results<Ok<CalendarRangeDto>, ValidationProblem, ProblemHttpResult> Get(KrxCalendar calendar, TimeProvider time, string? from, string? to)
    {
        var today = KrxCalendar.KstDate(time.GetUtcNow());
        if (!ApiErrors.TryDate(from, "from", new DateOnly(today.Year, 1, 1), out var f, out var problem))
        {
            return problem!;
        }

        // Without `to`, the rest of from's year.
        if (!ApiErrors.TryDate(to, "to", new DateOnly(f.Year, 12, 31), out var t, out problem))
        {
            return problem!;
        }

        if (f > t)
        {
            return ApiErrors.BadParameter("to", $"to ({t:yyyy-MM-dd}) is before from ({f:yyyy-MM-dd})");
        }

        if (t >= f.AddYears(1))
        {
            return ApiErrors.BadParameter("to", $"the range {f:yyyy-MM-dd}..{t:yyyy-MM-dd} is longer than a year; ask for at most a year per request (to before {f.AddYears(1):yyyy-MM-dd})");
        }

        foreach (var (name, date) in new[] { ("from", f), ("to", t) })
        {
            if (!calendar.Covers(date))
            {
                return ApiErrors.NotFound("Outside the KRX calendar",
                    $"{name} {date:yyyy-MM-dd} is outside the KRX calendar, which covers {calendar.CoveredFrom:yyyy-MM-dd}..{calendar.CoveredThrough:yyyy-MM-dd}");
            }
        }

        var days = new List<CalendarDayDto>(t.DayNumber - f.DayNumber + 1);
        for (var d = f; d <= t; d = d.AddDays(1))
        {
            days.Add(CalendarDayDto.From(calendar.Day(d)));
        }

        var notes = new List<string>();
        var provisionalYears = days.Where(d => d.Provisional).Select(d => d.Date.Year).Distinct().ToList();
        foreach (var year in provisionalYears)
        {
            notes.Add($"{year} is provisional: derived from the holiday rules until KRX publishes its closed days (each December). "
                + $"The CSAT day (10:00 open, 16:30 close), election days and temporary holidays have no rule and are not in it.");
        }

        return TypedResults.Ok(new CalendarRangeDto(f, t, days.Count(d => d.Session), calendar.PublishedThrough, calendar.CoveredThrough, notes, days));
    }
}
