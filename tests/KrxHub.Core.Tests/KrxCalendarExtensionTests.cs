using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

public class KrxCalendarExtensionTests
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

    private static KrxCalendarExtension Parse(string text, string file = "test-2027.csv") =>
        KrxCalendarExtension.Parse(new StringReader(text), file);

    private static DateOnly D(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public void A_covered_year_is_its_weekdays_minus_the_listed_holidays_at_regular_hours_unless_special()
    {
        var calendar = Parse(Test2027).ApplyTo(Bundled);

        // 2027 has 261 weekdays; three of the four listed holidays are weekdays.
        Assert.Equal(Bundled.Count + 261 - 3, calendar.Count);
        Assert.Equal(D("2027-12-31"), calendar.CoveredThrough);
        Assert.Equal(D("2027-12-30"), calendar.LastSession);
        Assert.False(calendar.IsSession(D("2027-01-01")));
        Assert.False(calendar.IsSession(D("2027-02-09")));
        Assert.False(calendar.IsSession(D("2027-01-02")));
        Assert.True(calendar.IsSession(D("2027-02-08")));
        Assert.Equal((new TimeOnly(9, 0), new TimeOnly(15, 30)), (calendar.Hours(D("2027-02-08"))!.Value.OpenKst, calendar.Hours(D("2027-02-08"))!.Value.CloseKst));
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(15, 30)), (calendar.Hours(D("2027-01-04"))!.Value.OpenKst, calendar.Hours(D("2027-01-04"))!.Value.CloseKst));
        Assert.Equal((new TimeOnly(10, 0), new TimeOnly(16, 30)), (calendar.Hours(D("2027-11-18"))!.Value.OpenKst, calendar.Hours(D("2027-11-18"))!.Value.CloseKst));
        Assert.Equal(KrxCalendar.KstOffset, calendar.Hours(D("2027-02-08"))!.Value.Open.Offset);

        // The bundled part is unchanged, and the seam between the two reads as one calendar.
        Assert.Equal(Bundled.Hours(D("2026-12-30")), calendar.Hours(D("2026-12-30")));
        Assert.True(calendar.Covers(D("2026-12-31")));
        Assert.Equal(D("2027-01-04"), calendar.NextSession(D("2026-12-30")));
        Assert.Equal(D("2026-12-30"), calendar.PreviousSession(D("2027-01-04")));

        Assert.Collection(calendar.Parts,
            bundled => Assert.Equal((false, D("1986-01-04"), D("2026-12-30"), Bundled.Count), (bundled.IsExtension, bundled.From, bundled.Through, bundled.Sessions)),
            extension => Assert.Equal((true, "test-2027.csv", D("2027-01-01"), D("2027-12-31"), 258), (extension.IsExtension, extension.Source, extension.From, extension.Through, extension.Sessions)));
    }

    [Fact]
    public void The_session_clock_answers_for_the_extension_year_and_across_the_year_end()
    {
        var clock = new KrxSessionClock(Parse(Test2027).ApplyTo(Bundled));
        var kst = (string s) => DateTimeOffset.ParseExact(s + " +09:00", "yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);

        Assert.Equal(SessionPhase.Holiday, clock.PhaseAt(kst("2027-02-09 10:00")));
        Assert.Equal(SessionPhase.PreOpen, clock.PhaseAt(kst("2027-01-04 09:45")));
        Assert.Equal(SessionPhase.ClosingAuction, clock.PhaseAt(kst("2027-11-18 16:25")));
        // Without the extension the last bundled evening has no next transition; with it, 2026-12-31 is a known closure.
        Assert.Equal(new PhaseTransition(SessionPhase.Holiday, kst("2026-12-31 00:00")), clock.NextTransition(kst("2026-12-30 20:00")));
        Assert.Equal(new PhaseTransition(SessionPhase.Closed, kst("2027-01-04 00:00")), clock.NextTransition(kst("2026-12-31 12:00")));

        var beyond = Assert.Throws<CalendarCoverageException>(() => clock.PhaseAt(kst("2028-01-03 10:00")));
        Assert.Equal("2028-01-03 is outside the KRX calendar, which covers 1986-01-04..2027-12-31; add KRX's closed days of 2028 with a calendar extension file", beyond.Message);
        Assert.True(beyond.IsAfterEnd);
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
    public void Several_years_follow_each_other()
    {
        var calendar = Parse("year,2028\nyear,2027\nholiday,2027-02-09\nholiday,2028-01-26\n").ApplyTo(Bundled);

        Assert.Equal(D("2028-12-31"), calendar.CoveredThrough);
        Assert.True(calendar.IsSession(D("2028-01-03")));
        Assert.False(calendar.IsSession(D("2028-01-26")));
    }

    [Theory]
    [InlineData("year,2026\nholiday,2026-12-31", "test-2027.csv:1: year 2026 is already covered by the calendar (through 2026-12-30); an extension adds later years only, starting with 2027")]
    [InlineData("# a comment\nyear,2028\nholiday,2028-01-26", "test-2027.csv:2: year 2028 leaves a gap: the calendar covers through 2026-12-30, so the next year must be 2027")]
    [InlineData("year,2027\nyear,2029\nholiday,2027-02-09\nholiday,2029-02-13", "test-2027.csv:2: year 2029 leaves a gap: the calendar covers through 2027-12-31, so the next year must be 2028")]
    public void Years_must_follow_the_calendar_without_overlap_or_gap(string text, string expected)
    {
        var extension = Parse(text);

        var error = Assert.Throws<CalendarExtensionException>(() => extension.ApplyTo(Bundled));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("year,2027\nholiday,2027-02-30", "test-2027.csv:2: '2027-02-30' is not a date; use yyyy-MM-dd")]
    [InlineData("year,2027\nholiday,27-02-09", "test-2027.csv:2: '27-02-09' is not a date; use yyyy-MM-dd")]
    [InlineData("year,2027\nholiday,2027-02-09\nholiday,2027-02-09", "test-2027.csv:3: holiday 2027-02-09 is listed twice (first on line 2)")]
    [InlineData("year,twenty\nholiday,2027-02-09", "test-2027.csv:1: 'year,twenty' is not a year row; use year,yyyy (e.g. year,2027)")]
    [InlineData("year,2027\nyear,2027", "test-2027.csv:2: year 2027 is declared twice (first on line 1)")]
    [InlineData("year,2027\nclosed,2027-02-09", "test-2027.csv:2: 'closed' is not a row kind; use year, holiday or special (comment lines start with #)")]
    [InlineData("year,2027\nholiday,2027-02-09\nholiday,2028-01-03", "test-2027.csv:3: 2028-01-03 is in 2028, which no year,2028 row declares")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,10:00", "test-2027.csv:3: 'special,2027-01-04,10:00' is not a special-session row; use special,yyyy-MM-dd,HH:mm,HH:mm[,note] (open and close in KST)")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,10h,15:30", "test-2027.csv:3: open '10h' is not a time; use HH:mm in KST (e.g. 10:00)")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-04,15:30,10:00", "test-2027.csv:3: special session 2027-01-04 closes at 10:00, not after its open at 15:30")]
    [InlineData("year,2027\nholiday,2027-02-09\nspecial,2027-01-02,10:00,15:30", "test-2027.csv:3: special session 2027-01-02 is a Saturday; KRX trades on weekdays only")]
    [InlineData("year,2027\nspecial,2027-02-09,10:00,15:30\nholiday,2027-02-09", "test-2027.csv:2: 2027-02-09 is both a special session and a holiday (line 3)")]
    [InlineData("year,2027\nholiday,2027-01-02", "test-2027.csv:1: year 2027 lists no weekday holiday; KRX closes on weekdays every year (Seollal, Chuseok, the year end): add them as holiday,yyyy-MM-dd rows")]
    [InlineData("# only a comment\n\n", "test-2027.csv: declares no year; add a row such as year,2027")]
    public void A_bad_file_is_one_error_naming_the_file_and_line(string text, string expected)
    {
        var error = Assert.Throws<CalendarExtensionException>(() => Parse(text));

        Assert.Equal(expected, error.Message);
        Assert.Equal("test-2027.csv", error.File);
    }
}
