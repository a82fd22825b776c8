using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Live;

public class KrxSessionClockTests
{
    private static readonly KrxSessionClock Clock = new(KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv")));

    private static DateTimeOffset Kst(string text) =>
        DateTimeOffset.ParseExact(text + " +09:00", "yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    private static string Describe(IEnumerable<PhaseTransition> timeline) =>
        string.Join(" | ", timeline.Select(t => $"{t.At:HH:mm} {t.Phase.Name()}"));

    [Fact]
    public void A_normal_day_has_the_KRX_timetable()
    {
        Assert.Equal("00:00 closed | 08:30 pre-open | 09:00 regular | 15:20 closing-auction | 15:30 after-hours | 18:00 closed",
            Describe(Clock.Timeline(new DateOnly(2024, 1, 3))));
    }

    [Fact]
    public void The_first_session_of_2024_opens_at_ten_with_its_auction_shifted_and_closes_as_usual()
    {
        Assert.Equal("00:00 closed | 09:30 pre-open | 10:00 regular | 15:20 closing-auction | 15:30 after-hours | 18:00 closed",
            Describe(Clock.Timeline(new DateOnly(2024, 1, 2))));
    }

    [Theory]
    [InlineData("2023-11-16")]
    [InlineData("2024-11-14")]
    [InlineData("2025-11-13")]
    public void A_CSAT_day_shifts_everything_by_an_hour_but_after_hours_still_ends_at_six(string date)
    {
        Assert.Equal("00:00 closed | 09:30 pre-open | 10:00 regular | 16:20 closing-auction | 16:30 after-hours | 18:00 closed",
            Describe(Clock.Timeline(DateOnly.Parse(date, CultureInfo.InvariantCulture))));
    }

    [Theory]
    [InlineData("2024-01-03 00:00:00", SessionPhase.Closed)]
    [InlineData("2024-01-03 08:29:59", SessionPhase.Closed)]
    [InlineData("2024-01-03 08:30:00", SessionPhase.PreOpen)]
    [InlineData("2024-01-03 08:59:59", SessionPhase.PreOpen)]
    [InlineData("2024-01-03 09:00:00", SessionPhase.Regular)]
    [InlineData("2024-01-03 15:19:59", SessionPhase.Regular)]
    [InlineData("2024-01-03 15:20:00", SessionPhase.ClosingAuction)]
    [InlineData("2024-01-03 15:30:00", SessionPhase.AfterHours)]
    [InlineData("2024-01-03 17:59:59", SessionPhase.AfterHours)]
    [InlineData("2024-01-03 18:00:00", SessionPhase.Closed)]
    [InlineData("2024-01-03 23:59:59", SessionPhase.Closed)]
    [InlineData("2024-01-02 09:00:00", SessionPhase.Closed)]
    [InlineData("2024-01-02 09:45:00", SessionPhase.PreOpen)]
    [InlineData("2024-01-02 10:00:00", SessionPhase.Regular)]
    [InlineData("2024-11-14 15:25:00", SessionPhase.Regular)]
    [InlineData("2024-11-14 16:25:00", SessionPhase.ClosingAuction)]
    [InlineData("2024-11-14 16:45:00", SessionPhase.AfterHours)]
    [InlineData("2024-01-06 12:00:00", SessionPhase.Holiday)] // Saturday
    [InlineData("2024-01-07 09:30:00", SessionPhase.Holiday)] // Sunday
    [InlineData("2024-04-10 10:00:00", SessionPhase.Holiday)] // National Assembly election
    [InlineData("2024-12-31 10:00:00", SessionPhase.Holiday)] // year-end closure
    [InlineData("2024-01-01 00:00:00", SessionPhase.Holiday)] // New Year's Day
    public void Phase_at_an_instant(string kst, SessionPhase expected)
    {
        Assert.Equal(expected, Clock.PhaseAt(Kst(kst)));
    }

    [Fact]
    public void Instants_in_any_offset_are_judged_in_KST()
    {
        // 2024-01-03 00:30 UTC is 09:30 KST.
        Assert.Equal(SessionPhase.Regular, Clock.PhaseAt(new DateTimeOffset(2024, 1, 3, 0, 30, 0, TimeSpan.Zero)));
        // 2024-01-05 23:00 UTC is Saturday 08:00 KST.
        Assert.Equal(SessionPhase.Holiday, Clock.PhaseAt(new DateTimeOffset(2024, 1, 5, 23, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("2024-01-03 07:00:00", SessionPhase.PreOpen, "2024-01-03 08:30:00")]
    [InlineData("2024-01-03 08:30:00", SessionPhase.Regular, "2024-01-03 09:00:00")]
    [InlineData("2024-01-03 12:00:00", SessionPhase.ClosingAuction, "2024-01-03 15:20:00")]
    [InlineData("2024-01-03 15:25:00", SessionPhase.AfterHours, "2024-01-03 15:30:00")]
    [InlineData("2024-01-03 16:00:00", SessionPhase.Closed, "2024-01-03 18:00:00")]
    [InlineData("2024-01-03 20:00:00", SessionPhase.PreOpen, "2024-01-04 08:30:00")]
    [InlineData("2024-01-02 08:45:00", SessionPhase.PreOpen, "2024-01-02 09:30:00")]
    [InlineData("2024-11-14 16:00:00", SessionPhase.ClosingAuction, "2024-11-14 16:20:00")]
    // Friday night: the weekend starts at midnight, and the two weekend days are one holiday stretch.
    [InlineData("2024-01-05 20:00:00", SessionPhase.Holiday, "2024-01-06 00:00:00")]
    [InlineData("2024-01-06 12:00:00", SessionPhase.Closed, "2024-01-08 00:00:00")]
    // Year end: 2024-12-30 is the last session, 12-31 and 01-01 are closed, 2025-01-02 opens at 10:00.
    [InlineData("2024-12-31 09:00:00", SessionPhase.Closed, "2025-01-02 00:00:00")]
    [InlineData("2025-01-02 00:00:00", SessionPhase.PreOpen, "2025-01-02 09:30:00")]
    public void Next_transition(string kst, SessionPhase phase, string at)
    {
        var next = Clock.NextTransition(Kst(kst));
        Assert.Equal(new PhaseTransition(phase, Kst(at)), next);
        Assert.Equal(KrxCalendar.KstOffset, next.At.Offset);
        Assert.Equal(phase, Clock.PhaseAt(next.At));
        Assert.NotEqual(phase, Clock.PhaseAt(next.At.AddTicks(-1)));
    }

    [Fact]
    public void Walking_the_transitions_of_a_month_visits_every_phase_of_every_session_in_order()
    {
        var at = Kst("2024-01-01 00:00:00");
        var opens = new List<DateOnly>();
        var regularMinutes = 0.0;
        while (at < Kst("2024-02-01 00:00:00"))
        {
            var next = Clock.NextTransition(at);
            Assert.True(next.At > at);
            if (Clock.PhaseAt(at) == SessionPhase.Regular)
            {
                regularMinutes += (next.At - at).TotalMinutes;
            }

            if (next.Phase == SessionPhase.Regular)
            {
                opens.Add(DateOnly.FromDateTime(next.At.DateTime));
            }

            at = next.At;
        }

        var calendar = Clock.Calendar;
        Assert.Equal(calendar.Sessions(new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 31)).ToArray(), opens);
        // 22 sessions of 6 h 20 min of continuous trading, less the hour 2024-01-02 opened late.
        Assert.Equal(22 * 380 - 60, regularMinutes);
    }

    [Fact]
    public void Outside_the_calendar_the_clock_says_so()
    {
        var error = Assert.Throws<CalendarCoverageException>(() => Clock.PhaseAt(Kst("2027-01-04 10:00:00")));
        Assert.Equal("2027-01-04 is outside the KRX calendar, which covers 1986-01-04..2026-12-30; add KRX's closed days of 2027 with a calendar override file", error.Message);
        Assert.Throws<CalendarCoverageException>(() => Clock.PhaseAt(Kst("1985-12-31 10:00:00")));
        // The last covered evening has no known next transition.
        Assert.Throws<CalendarCoverageException>(() => Clock.NextTransition(Kst("2026-12-30 20:00:00")));
    }

    [Fact]
    public void Phase_names_round_trip()
    {
        foreach (var phase in Enum.GetValues<SessionPhase>())
        {
            Assert.True(SessionPhases.TryParse(phase.Name(), out var parsed));
            Assert.Equal(phase, parsed);
        }

        Assert.False(SessionPhases.TryParse("lunch", out _));
        Assert.True(SessionPhase.ClosingAuction.IsMarketOpen());
        Assert.False(SessionPhase.AfterHours.IsMarketOpen());
    }
}
