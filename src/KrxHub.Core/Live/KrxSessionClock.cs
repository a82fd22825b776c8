namespace KrxHub.Core.Live;

/// <summary>A phase and the instant (KST offset) it starts.</summary>
public readonly record struct PhaseTransition(SessionPhase Phase, DateTimeOffset At);

/// <summary>The calendar cannot answer for an instant: its KST date lies outside the calendar's coverage.</summary>
public sealed class CalendarCoverageException(DateOnly date, DateOnly firstSession, DateOnly coveredThrough)
    : Exception($"{date:yyyy-MM-dd} is outside the KRX calendar, which covers {firstSession:yyyy-MM-dd}..{coveredThrough:yyyy-MM-dd}"
        + (date > coveredThrough && coveredThrough.Year >= KoreanHolidayRules.LastYear ? $"; the holiday rules end with {KoreanHolidayRules.LastYear}"
            : date > coveredThrough ? $"; add KRX's closed days of {date.Year} with a calendar override file" : string.Empty))
{
    public DateOnly Date { get; } = date;

    public DateOnly FirstSession { get; } = firstSession;

    /// <summary>The last day the calendar covers (<see cref="KrxCalendar.CoveredThrough"/>).</summary>
    public DateOnly CoveredThrough { get; } = coveredThrough;

    /// <summary>True when the date lies after the end of the calendar (past 2050, where the holiday rules end), not before its start.</summary>
    public bool IsAfterEnd => Date > CoveredThrough;
}

/// <summary>
/// The market phases of each day, derived from the session open and close that <see cref="KrxCalendar"/> holds for it.
/// The timetable is today's KRX one (broker-apis.md §4), anchored on the real open and close of each session so that
/// late opens and late closes move it consistently, as KRX announces them:
/// <list type="bullet">
/// <item><see cref="SessionPhase.PreOpen"/>: the 30 minutes before the open (08:30–09:00; 09:30–10:00 on the 10:00 opens of the
/// first session of the year and of CSAT days, when the pre-market off-hours trading also moves to 09:30–09:40).</item>
/// <item><see cref="SessionPhase.Regular"/>: from the open to 10 minutes before the close.</item>
/// <item><see cref="SessionPhase.ClosingAuction"/>: the last 10 minutes before the close (15:20–15:30; 16:20–16:30 on CSAT days).</item>
/// <item><see cref="SessionPhase.AfterHours"/>: from the close to 18:00. Orders for the after-market close-price trading are taken
/// from the close (matched 15:40–16:00), then single-price trading runs to 18:00. The end stays at 18:00 on CSAT days,
/// when everything before it starts an hour later.</item>
/// <item><see cref="SessionPhase.Closed"/>: the rest of a session day (midnight to the pre-open, 18:00 to midnight).</item>
/// <item><see cref="SessionPhase.Holiday"/>: every KST day that is not a session (weekends, holidays, closures), all day.</item>
/// </list>
/// The lunch break of sessions before 2000 is not modelled. Dates outside the calendar throw <see cref="CalendarCoverageException"/>.
/// </summary>
public sealed class KrxSessionClock
{
    public static readonly TimeSpan OpeningAuction = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan ClosingAuction = TimeSpan.FromMinutes(10);
    public static readonly TimeOnly AfterHoursEnd = new(18, 0);

    // Long enough for any run of non-session days in the calendar (Chuseok and Seollal with weekends, the year end).
    private const int MaxDaysWithoutTransition = 31;

    private readonly KrxCalendar _calendar;

    public KrxSessionClock(KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        _calendar = calendar;
    }

    public KrxCalendar Calendar => _calendar;

    /// <summary>The phase at <paramref name="instant"/> (any offset; phases are evaluated in KST).</summary>
    public SessionPhase PhaseAt(DateTimeOffset instant)
    {
        var kst = instant.ToOffset(KrxCalendar.KstOffset);
        var phase = SessionPhase.Holiday;
        foreach (var start in Timeline(DateOnly.FromDateTime(kst.DateTime)))
        {
            if (start.At > kst)
            {
                break;
            }

            phase = start.Phase;
        }

        return phase;
    }

    /// <summary>
    /// The first instant strictly after <paramref name="instant"/> at which the phase changes, with the phase that starts then.
    /// Consecutive non-session days are one <see cref="SessionPhase.Holiday"/> stretch.
    /// </summary>
    public PhaseTransition NextTransition(DateTimeOffset instant)
    {
        var kst = instant.ToOffset(KrxCalendar.KstOffset);
        var current = PhaseAt(kst);
        var date = DateOnly.FromDateTime(kst.DateTime);
        for (var day = 0; day <= MaxDaysWithoutTransition; day++)
        {
            foreach (var start in Timeline(date.AddDays(day)))
            {
                if (start.At > kst && start.Phase != current)
                {
                    return start;
                }
            }
        }

        throw new InvalidOperationException($"no phase change within {MaxDaysWithoutTransition} days after {kst:O}; the calendar file looks wrong");
    }

    /// <summary>
    /// The phases of one KST day in order, each with the instant it starts; the first starts at midnight.
    /// A non-session day is a single <see cref="SessionPhase.Holiday"/>.
    /// </summary>
    public IReadOnlyList<PhaseTransition> Timeline(DateOnly date)
    {
        if (!_calendar.Covers(date))
        {
            throw new CalendarCoverageException(date, _calendar.CoveredFrom, _calendar.CoveredThrough);
        }

        var midnight = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), KrxCalendar.KstOffset);
        if (_calendar.Hours(date) is not { } hours)
        {
            return [new PhaseTransition(SessionPhase.Holiday, midnight)];
        }

        var open = hours.Open.ToOffset(KrxCalendar.KstOffset);
        var close = hours.Close.ToOffset(KrxCalendar.KstOffset);
        var afterHoursEnd = new DateTimeOffset(date.ToDateTime(AfterHoursEnd), KrxCalendar.KstOffset);
        return
        [
            new PhaseTransition(SessionPhase.Closed, midnight),
            new PhaseTransition(SessionPhase.PreOpen, open - OpeningAuction),
            new PhaseTransition(SessionPhase.Regular, open),
            new PhaseTransition(SessionPhase.ClosingAuction, close - ClosingAuction),
            new PhaseTransition(SessionPhase.AfterHours, close),
            new PhaseTransition(SessionPhase.Closed, afterHoursEnd > close ? afterHoursEnd : close),
        ];
    }
}
