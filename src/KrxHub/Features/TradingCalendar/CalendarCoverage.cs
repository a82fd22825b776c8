using KrxHub.Core;

namespace KrxHub.Features.TradingCalendar;

/// <summary>
/// How far the calendar's published and provisional days reach, and the notice /health/ready, `krxhub serve` and
/// `krxhub calendar` give while a year the hub is in (or, in December, the next one) is provisional.
/// </summary>
public static class CalendarCoverage
{
    /// <summary>
    /// A one-line notice when today's year is provisional, or when it is December and next year is: KRX publishes next
    /// year's closed days each December. Null when both are published.
    /// </summary>
    public static string? Notice(KrxCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var today = KrxCalendar.KstDate(now);
        var fix = $"add KRX's published closed days to the file named by {CalendarSettings.ExtensionFileVariable} (or --calendar-file); see docs/calendar.md";
        if (!calendar.Covers(today))
        {
            return today > calendar.CoveredThrough
                ? $"the KRX calendar ended on {calendar.CoveredThrough:yyyy-MM-dd}: no session phases and no scheduled collection after it"
                : null;
        }

        if (calendar.IsProvisional(today))
        {
            return $"the KRX calendar of {today.Year} is provisional: derived from the holiday rules, so election days, temporary holidays and the CSAT day are not in it; {fix}";
        }

        var nextYear = new DateOnly(today.Year + 1, 1, 1);
        return today.Month == 12 && calendar.IsProvisional(nextYear)
            ? $"the KRX calendar of {nextYear.Year} is provisional (derived from the holiday rules) until KRX publishes it this month; {fix}"
            : null;
    }

    /// <summary>The first provisional day, or null when every covered day is published.</summary>
    public static DateOnly? ProvisionalFrom(KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return calendar.PublishedThrough < calendar.CoveredThrough ? calendar.PublishedThrough.AddDays(1) : null;
    }
}
