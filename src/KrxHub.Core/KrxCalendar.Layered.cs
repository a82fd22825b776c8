namespace KrxHub.Core;

/// <summary>Building the three layers: the bundled session file, the operator's override file, the holiday rules.</summary>
public sealed partial class KrxCalendar
{
    /// <summary>
    /// The three layers: <paramref name="bundled"/> (a calendar built from a session file, taken as whole years), then
    /// <paramref name="overrides"/> where it speaks, then the rules for every later day through 31 December of
    /// <paramref name="lastYear"/>.
    /// </summary>
    /// <exception cref="CalendarOverrideException">The override file names a bundled year or one after <paramref name="lastYear"/>.</exception>
    public static KrxCalendar Layered(KrxCalendar bundled, KrxCalendarOverrides? overrides = null, int lastYear = KoreanHolidayRules.LastYear)
    {
        ArgumentNullException.ThrowIfNull(bundled);
        if (bundled._parts.Length != 1)
        {
            throw new ArgumentException("the calendar is already layered; layer the bundled session file", nameof(bundled));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(lastYear, KoreanHolidayRules.LastYear);
        var firstYear = bundled.FirstSession.Year;
        var bundledEndYear = bundled.LastSession.Year;
        overrides?.CheckYears(bundledEndYear, lastYear);

        var hours = new Dictionary<DateOnly, SessionHours>(bundled._hours);
        var reasons = new Dictionary<DateOnly, (string Reason, string? File)>();
        var overrideDays = new Dictionary<DateOnly, string>();
        var bundledThrough = new DateOnly(bundledEndYear, 12, 31);
        var parts = new List<CalendarPart> { new(bundled._parts[0].Source, new DateOnly(firstYear, 1, 1), bundledThrough, 0, CalendarSource.Bundled) };

        // Name the bundled closures the rules or the known ad-hoc list can name.
        for (var year = Math.Max(firstYear, KoreanHolidayRules.FirstYear); year <= bundledEndYear; year++)
        {
            var byRule = KoreanHolidayRules.WeekdayClosures(year).ToDictionary(c => c.Date, c => c.Reason);
            foreach (var day in Weekdays(year))
            {
                if (!hours.ContainsKey(day) && (byRule.GetValueOrDefault(day) ?? KrxAdHocClosures.ReasonFor(day)) is { } reason)
                {
                    reasons[day] = (reason, null);
                }
            }
        }

        for (var year = bundledEndYear + 1; year <= lastYear; year++)
        {
            var ruleClosures = KoreanHolidayRules.WeekdayClosures(year).ToDictionary(c => c.Date, c => c.Reason);
            var closed = new Dictionary<DateOnly, (string Reason, string? File)>();
            var special = new Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)>();
            CalendarSource kind;
            string source;
            if (overrides is not null && overrides.IsPublishedYear(year))
            {
                // A published year: exactly the listed closures, named by their note, else by the rule that matches.
                kind = CalendarSource.Override;
                source = overrides.File;
                foreach (var (date, note) in overrides.HolidaysIn(year))
                {
                    closed[date] = (note ?? ruleClosures.GetValueOrDefault(date) ?? UnnamedClosure, overrides.File);
                }
            }
            else
            {
                kind = CalendarSource.Rules;
                source = "rules";
                foreach (var (date, reason) in ruleClosures)
                {
                    closed[date] = (reason, null);
                }

                foreach (var (date, note) in overrides?.HolidaysIn(year) ?? [])
                {
                    closed[date] = (note ?? ruleClosures.GetValueOrDefault(date) ?? UnnamedClosure, overrides!.File);
                    overrideDays[date] = overrides.File;
                }
            }

            foreach (var (date, open, close) in overrides?.SpecialsIn(year) ?? [])
            {
                special[date] = (open, close);
                closed.Remove(date);
                if (kind == CalendarSource.Rules)
                {
                    overrideDays[date] = overrides!.File;
                }
            }

            var first = true;
            foreach (var day in Weekdays(year))
            {
                if (closed.TryGetValue(day, out var why))
                {
                    reasons[day] = why;
                    continue;
                }

                var (open, close) = special.TryGetValue(day, out var given) ? given
                    : (first ? KoreanHolidayRules.FirstSessionOpen : KoreanHolidayRules.RegularOpen, KoreanHolidayRules.RegularClose);
                hours[day] = KoreanHolidayRules.Hours(day, open, close);
                first = false;
            }

            var from = new DateOnly(year, 1, 1);
            var through = new DateOnly(year, 12, 31);
            if (parts[^1].Kind == kind && parts[^1].Source == source && parts[^1].Through.AddDays(1) == from)
            {
                parts[^1] = parts[^1] with { Through = through };
            }
            else
            {
                parts.Add(new CalendarPart(source, from, through, 0, kind));
            }
        }

        var sessions = hours.Keys.Order().ToArray();
        var counted = parts.Select(p => p with
        {
            Sessions = CountBetween(sessions, p.From, p.Through),
        }).ToArray();
        return new KrxCalendar(hours, counted, bundledThrough, reasons, overrideDays);
    }

    private static int CountBetween(DateOnly[] sorted, DateOnly from, DateOnly through)
    {
        var start = Array.BinarySearch(sorted, from);
        start = start >= 0 ? start : ~start;
        var end = Array.BinarySearch(sorted, through);
        end = end >= 0 ? end + 1 : ~end;
        return Math.Max(0, end - start);
    }

    private static IEnumerable<DateOnly> Weekdays(int year)
    {
        for (var day = new DateOnly(year, 1, 1); day.Year == year; day = day.AddDays(1))
        {
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                yield return day;
            }
        }
    }
}
