using KrxHub.Core;

namespace KrxHub.Features.TradingCalendar;

/// <summary>How close the calendar's end is: /health/ready and `krxhub calendar` warn a month ahead.</summary>
public static class CalendarCoverage
{
    /// <summary>KRX publishes next year's closed days in December; a month's notice leaves time to add them.</summary>
    public const int WarningDays = 30;

    /// <summary>A one-line warning when the calendar ends within <see cref="WarningDays"/> days of <paramref name="now"/> (KST), else null.</summary>
    public static string? Warning(KrxCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var today = KrxCalendar.KstDate(now);
        var end = calendar.CoveredThrough;
        var daysLeft = end.DayNumber - today.DayNumber;
        var fix = $"set {CalendarSettings.ExtensionFileVariable} (or --calendar-file) to a file with KRX's closed days of {end.Year + 1}";
        return daysLeft < 0 ? $"the KRX calendar ended on {end:yyyy-MM-dd}: no session phases and no scheduled collection after it; {fix}"
            : daysLeft <= WarningDays ? $"the KRX calendar ends on {end:yyyy-MM-dd}, in {daysLeft} days; {fix}"
            : null;
    }
}
