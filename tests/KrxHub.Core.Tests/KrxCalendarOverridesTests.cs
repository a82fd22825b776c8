using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

public class KrxCalendarOverridesTests
{
    private static readonly KrxCalendar Bundled = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    // TEST data: made-up closed days to exercise the rules, NOT KRX's list for 2027.
    private const string Test2027 = """
        # TEST extension: invented closed days, not KRX's 2027 list
        year,2027
        holiday,2027-01-01,TEST new year
        holiday,2027-02-09, TEST weekday holiday
        holiday,2027-02-13,TEST Saturday is accepted and changes nothing

        special,2027-01-04,10:00,15:30,TEST late first open
        special,2027-11-18,10:00,16:30
        holiday,2027-12-31
        """;

    private static KrxCalendarOverrides Parse(string text, string file = "test-2027.csv") =>
        KrxCalendarOverrides.Parse(new StringReader(text), file);

    private static DateOnly D(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public void A_published_year_is_its_weekdays_minus_the_listed_holidays_and_the_rules_take_the_years_after_it()
    {
        var calendar = Parse(Test2027).ApplyTo(Bundled);

        Assert.Equal(D("2026-12-31"), Bundled.LastSession.AddDays(1));
        Assert.Equal(D("2050-12-31"), calendar.CoveredThrough);
        Assert.Equal(D("2027-12-31"), calendar.PublishedThrough);
        Assert.False(calendar.IsSession(D("2027-01-01")));
        Assert.False(calendar.IsSession(D("2027-02-09")));
        Assert.False(calendar.IsSession(D("2027-01-02")));
        Assert.True(calendar.IsSession(D("2027-02-08")));
        // Nothing but the listed days closes a published year: the rules' 2027-03-01 is a session here.
        Assert.True(calendar.IsSession(D("2027-03-01")));
        Assert.Equal((new TimeOnly(9, 0), new TimeOnly(15, 30)), (calendar.Hours(D("2027-02-08"))!.Value.OpenKst, calendar.Hours(D("2027-02-08"))!.Value.CloseKst));
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(15, 30)), (calendar.Hours(D("2027-01-04"))!.Value.OpenKst, calendar.Hours(D("2027-01-04"))!.Value.CloseKst));
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(16, 30)), (calendar.Hours(D("2027-11-18"))!.Value.OpenKst, calendar.Hours(D("2027-11-18"))!.Value.CloseKst));
        Assert.Equal(KrxCalendar.KstOffset, calendar.Hours(D("2027-02-08"))!.Value.Open.Offset);

        // The bundled part is unchanged, and the seams read as one calendar.
        Assert.Equal(Bundled.Hours(D("2026-12-30")), calendar.Hours(D("2026-12-30")));
        Assert.Equal(D("2027-01-04"), calendar.NextSession(D("2026-12-30")));
        Assert.Equal(D("2026-12-30"), calendar.PreviousSession(D("2027-01-04")));
        Assert.Equal(D("2028-01-03"), calendar.NextSession(D("2027-12-30")));

        // Days say where they come from: the note names a listed holiday, the matching rule names an unnoted one.
        Assert.Equal(new CalendarDay(D("2026-12-31"), null, "연말 휴장일", false, CalendarSource.Bundled, Bundled.Parts[0].Source), calendar.Day(D("2026-12-31")));
        Assert.Equal(new CalendarDay(D("2027-01-01"), null, "TEST new year", false, CalendarSource.Override, "test-2027.csv"), calendar.Day(D("2027-01-01")));
        Assert.Equal("연말 휴장일", calendar.Day(D("2027-12-31")).Reason);
        Assert.Equal("override:test-2027.csv", calendar.Day(D("2027-06-01")).SourceLabel);
        var rules = calendar.Day(D("2028-01-26"));
        Assert.Equal((false, "설날", true, "rules"), (rules.IsSession, rules.Reason, rules.Provisional, rules.SourceLabel));

        Assert.Collection(calendar.Parts,
            bundled => Assert.Equal((CalendarSource.Bundled, D("1986-01-01"), D("2026-12-31"), Bundled.Count), (bundled.Kind, bundled.From, bundled.Through, bundled.Sessions)),
            published => Assert.Equal((CalendarSource.Override, "test-2027.csv", D("2027-01-01"), D("2027-12-31"), 258), (published.Kind, published.Source, published.From, published.Through, published.Sessions)),
            derived => Assert.Equal((CalendarSource.Rules, D("2028-01-01"), D("2050-12-31")), (derived.Kind, derived.From, derived.Through)));
        Assert.Equal(calendar.Count, calendar.Parts.Sum(p => p.Sessions));
    }

    [Fact]
    public void The_session_clock_answers_across_every_seam_and_stops_after_2050()
    {
        var clock = new KrxSessionClock(Parse(Test2027).ApplyTo(Bundled));
        var kst = (string s) => DateTimeOffset.ParseExact(s + " +09:00", "yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

        Assert.Equal(SessionPhase.Holiday, clock.PhaseAt(kst("2027-02-09 10:00")));
        Assert.Equal(SessionPhase.PreOpen, clock.PhaseAt(kst("2027-01-04 09:45")));
        Assert.Equal(SessionPhase.ClosingAuction, clock.PhaseAt(kst("2027-11-18 16:25")));
        Assert.Equal(new PhaseTransition(SessionPhase.Holiday, kst("2026-12-31 00:00")), clock.NextTransition(kst("2026-12-30 20:00")));
        Assert.Equal(new PhaseTransition(SessionPhase.Closed, kst("2027-01-04 00:00")), clock.NextTransition(kst("2026-12-31 12:00")));
        // 2028 comes from the rules: its first session opens at 10:00.
        Assert.Equal(SessionPhase.PreOpen, clock.PhaseAt(kst("2028-01-03 09:45")));
        Assert.Equal(SessionPhase.Regular, clock.PhaseAt(kst("2050-12-29 10:00")));

        var beyond = Assert.Throws<CalendarCoverageException>(() => clock.PhaseAt(kst("2051-01-02 10:00")));
        Assert.Equal("2051-01-02 is outside the KRX calendar, which covers 1986-01-01..2050-12-31; the holiday rules end with 2050", beyond.Message);
        Assert.True(beyond.IsAfterEnd);
    }

    [Fact]
    public void Single_days_amend_a_rule_year_and_win_over_the_rules()
    {
        var calendar = Parse("""
            # TEST amendments: an invented election day, a CSAT day, and a rule holiday KRX trades on
            holiday,2028-04-12,선거일
            special,2028-11-16,10:00,16:30,CSAT
            special,2027-05-03,09:00,15:30
            """, "amend-TEST.csv").ApplyTo(Bundled);

        Assert.Equal(D("2026-12-31"), calendar.PublishedThrough);
        Assert.Equal(new CalendarDay(D("2028-04-12"), null, "선거일", false, CalendarSource.Override, "amend-TEST.csv"), calendar.Day(D("2028-04-12")));
        var csat = calendar.Day(D("2028-11-16"));
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(16, 30), false, "override:amend-TEST.csv"), (csat.Hours!.Value.OpenKst, csat.Hours!.Value.CloseKst, csat.Provisional, csat.SourceLabel));
        var opened = calendar.Day(D("2027-05-03"));
        Assert.Equal((true, null, "override:amend-TEST.csv"), (opened.IsSession, opened.Reason, opened.SourceLabel));
        // The other days of those years stay the rules' and provisional.
        Assert.True(calendar.Day(D("2028-04-11")).Provisional);
        Assert.Equal("대체공휴일(추석)", calendar.Day(D("2028-10-05")).Reason);
        Assert.Equal([D("2027-05-03"), D("2028-04-12"), D("2028-11-16")], calendar.OverrideDays);
        Assert.Single(calendar.Parts, p => p.Kind == CalendarSource.Rules);
    }

    [Theory]
    [InlineData(2021)]
    [InlineData(2022)]
    [InlineData(2023)]
    [InlineData(2024)]
    [InlineData(2025)]
    [InlineData(2026)]
    public void The_rules_rebuild_a_real_bundled_year_from_its_closed_days_and_special_sessions(int year)
    {
        // The bundled weekday holidays and special sessions of one year, typed as an operator would type KRX's list,
        // extend the bundled calendar cut at the end of the year before: every session and its hours must match.
        var lines = new List<string> { $"year,{year}" };
        lines.AddRange(File.ReadLines(TestPaths.Data("calendar", "xkrx-weekday-holidays-2020-2026.csv")).Skip(1)
            .Where(l => l.StartsWith($"{year}-", StringComparison.Ordinal)).Select(l => $"holiday,{l}"));
        lines.AddRange(File.ReadLines(TestPaths.Data("calendar", "xkrx-special-sessions-2020-2026.csv")).Skip(1)
            .Where(l => l.StartsWith($"{year}-", StringComparison.Ordinal)).Select(l => $"special,{l}"));
        var before = new KrxCalendar(Bundled.Sessions(Bundled.FirstSession, new DateOnly(year - 1, 12, 31)).ToArray().Select(d => Bundled.Hours(d)!.Value));

        var rebuilt = Parse(string.Join('\n', lines), $"rebuilt-{year}.csv").ApplyTo(before);

        var from = new DateOnly(year, 1, 1);
        var to = new DateOnly(year, 12, 31);
        Assert.Equal(Bundled.Sessions(from, to).ToArray(), rebuilt.Sessions(from, to).ToArray());
        foreach (var day in Bundled.Sessions(from, to))
        {
            var (expected, actual) = (Bundled.Hours(day)!.Value, rebuilt.Hours(day)!.Value);
            Assert.True(expected.Open == actual.Open && expected.Close == actual.Close, $"{day:yyyy-MM-dd}: bundled {expected.OpenKst}-{expected.CloseKst}, rebuilt {actual.OpenKst}-{actual.CloseKst}");
        }
    }

    [Fact]
    public void Published_years_may_leave_a_gap_that_the_rules_fill()
    {
        var calendar = Parse("year,2029\nyear,2028\nholiday,2028-01-26\nholiday,2029-02-13\n").ApplyTo(Bundled);

        Assert.Equal(D("2026-12-31"), calendar.PublishedThrough);
        Assert.True(calendar.Day(D("2027-05-03")).Provisional);
        Assert.True(calendar.IsSession(D("2028-01-03")));
        Assert.False(calendar.IsSession(D("2028-01-26")));
        Assert.Equal(CalendarSource.Override, calendar.Day(D("2029-06-01")).Source);
        Assert.Equal([CalendarSource.Bundled, CalendarSource.Rules, CalendarSource.Override, CalendarSource.Rules], calendar.Parts.Select(p => p.Kind));
        Assert.Equal(D("2029-12-31"), calendar.Parts[2].Through);
    }

    [Theory]
    [InlineData("year,2026\nholiday,2026-12-31", "test-2027.csv:1: year 2026 is in the bundled calendar (KRX's published days through 2026-12-31), which an override file cannot change; it covers 2027 and later")]
    [InlineData("# a comment\nholiday,2026-11-19,CSAT", "test-2027.csv:2: 2026-11-19 is in the bundled calendar (KRX's published days through 2026-12-31), which an override file cannot change; it covers 2027 and later")]
    [InlineData("year,2051\nholiday,2051-01-02", "test-2027.csv:1: year 2051 is after 2050, the last year the KRX calendar covers")]
    [InlineData("special,2051-11-16,10:00,16:30", "test-2027.csv:1: 2051-11-16 is after 2050, the last year the KRX calendar covers")]
    public void Rows_must_fall_between_the_bundled_years_and_2050(string text, string expected)
    {
        var extension = Parse(text);

        var error = Assert.Throws<CalendarOverrideException>(() => extension.ApplyTo(Bundled));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("year,2027\nholiday,2027-02-30", "test-2027.csv:2: '2027-02-30' is not a date; use yyyy-MM-dd")]
    [InlineData("year,2027\nholiday,27-02-09", "test-2027.csv:2: '27-02-09' is not a date; use yyyy-MM-dd")]
    [InlineData("year,2027\nholiday,2027-02-09\nholiday,2027-02-09", "test-2027.csv:3: holiday 2027-02-09 is listed twice (first on line 2)")]
    [InlineData("year,twenty\nholiday,2027-02-09", "test-2027.csv:1: 'year,twenty' is not a year row; use year,yyyy (e.g. year,2027)")]
    [InlineData("year,2027\nyear,2027", "test-2027.csv:2: year 2027 is declared twice (first on line 1)")]
    [InlineData("year,2027\nclosed,2027-02-09", "test-2027.csv:2: 'closed' is not a row kind; use year, holiday or special (comment lines start with #)")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,10:00", "test-2027.csv:3: 'special,2027-01-04,10:00' is not a special-session row; use special,yyyy-MM-dd,HH:mm,HH:mm[,note] (open and close in KST)")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,10h,15:30", "test-2027.csv:3: open '10h' is not a time; use HH:mm in KST (e.g. 10:00)")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,15:30,10:00", "test-2027.csv:3: special session 2027-01-04 closes at 10:00, not after its open at 15:30")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-02,10:00,15:30", "test-2027.csv:3: special session 2027-01-02 is a Saturday; KRX trades on weekdays only")]
    [InlineData("year,2027\nspecial,2027-02-09,10:00,15:30\nholiday,2027-02-09", "test-2027.csv:2: 2027-02-09 is both a special session and a holiday (line 3)")]
    [InlineData("year,2027\nholiday,2027-01-02", "test-2027.csv:1: year 2027 lists no weekday holiday; KRX closes on weekdays every year (Seollal, Chuseok, the year end): add them as holiday,yyyy-MM-dd rows")]
    [InlineData("# only a comment\n\n", "test-2027.csv: lists nothing; add a published year (year,2027 and its holiday rows) or single days (holiday,… or special,…)")]
    public void A_bad_file_is_one_error_naming_the_file_and_line(string text, string expected)
    {
        var error = Assert.Throws<CalendarOverrideException>(() => Parse(text));

        Assert.Equal(expected, error.Message);
        Assert.Equal("test-2027.csv", error.File);
    }
}
