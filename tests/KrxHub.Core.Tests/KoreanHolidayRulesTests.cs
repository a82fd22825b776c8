using System.Globalization;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

public class KoreanHolidayRulesTests
{
    private static readonly KrxCalendar Bundled = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    private static DateOnly D(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every weekday closure of 2015–2026 that KRX made without a rule to derive it, with its reason. Anything else the rules
    /// get wrong, in either direction, fails the reproduction test.
    /// </summary>
    private static readonly (string Date, string Reason, string Why)[] AdHoc =
    [
        ("2015-08-14", "임시공휴일", "광복 70주년 temporary holiday"),
        ("2016-04-13", "선거일", "20th National Assembly election"),
        ("2016-05-06", "임시공휴일", "temporary holiday bridging 어린이날 to the weekend"),
        ("2017-05-09", "선거일", "19th presidential election (early, after the impeachment)"),
        ("2017-10-02", "임시공휴일", "temporary holiday before 추석"),
        ("2018-06-13", "선거일", "7th local elections"),
        ("2020-04-15", "선거일", "21st National Assembly election"),
        ("2020-08-17", "임시공휴일", "temporary holiday after 광복절"),
        ("2022-03-09", "선거일", "20th presidential election"),
        ("2022-06-01", "선거일", "8th local elections"),
        ("2023-10-02", "임시공휴일", "temporary holiday between 추석 and 개천절"),
        ("2024-04-10", "선거일", "22nd National Assembly election"),
        ("2024-10-01", "임시공휴일", "국군의 날 declared a temporary holiday"),
        ("2025-01-27", "임시공휴일", "temporary holiday before 설날"),
        ("2025-06-03", "선거일", "21st presidential election (early)"),
        ("2026-06-03", "선거일", "9th local elections"),
    ];

    [Fact]
    public void The_rules_reproduce_every_weekday_closure_of_2015_to_2026_except_the_listed_ad_hoc_days()
    {
        var adHoc = AdHoc.ToDictionary(a => D(a.Date), a => a.Reason);
        var differences = new List<string>();
        for (var year = 2015; year <= 2026; year++)
        {
            var byRule = KoreanHolidayRules.WeekdayClosures(year).ToDictionary(c => c.Date, c => c.Reason);
            for (var day = new DateOnly(year, 1, 1); day.Year == year; day = day.AddDays(1))
            {
                if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
                {
                    continue;
                }

                var closedByKrx = !Bundled.IsSession(day);
                var closedByRule = byRule.ContainsKey(day);
                if (closedByKrx == closedByRule)
                {
                    Assert.False(adHoc.ContainsKey(day), $"{day:yyyy-MM-dd} is listed as ad hoc, but the rules agree with KRX");
                    continue;
                }

                if (!(closedByKrx && adHoc.ContainsKey(day)))
                {
                    differences.Add($"{day:yyyy-MM-dd} {day.DayOfWeek}: KRX {(closedByKrx ? "closed" : "open")}, rules {(closedByRule ? "closed (" + byRule[day] + ")" : "open")}");
                }
            }
        }

        Assert.Empty(differences);
    }

    [Fact]
    public void The_layered_calendar_names_the_ad_hoc_closures_of_the_bundled_years()
    {
        var calendar = KrxCalendar.Layered(Bundled);
        foreach (var (date, reason, _) in AdHoc)
        {
            var day = calendar.Day(D(date));
            Assert.False(day.IsSession);
            Assert.Equal(reason, day.Reason);
            Assert.Equal(CalendarSource.Bundled, day.Source);
            Assert.False(day.Provisional);
        }
    }

    [Fact]
    public void The_weekday_closures_of_2027_are_those_derived_by_hand_from_the_law()
    {
        // By hand (관공서의 공휴일에 관한 규정, as amended 2021 and 2023; 노동절 from 2026):
        // 1/1 Fri 신정. 설날 = lunar 1/1 = 2/7 (Sun): block 2/6 Sat, 2/7 Sun, 2/8 Mon; the Sunday earns one substitute, 2/9 Tue.
        // 3/1 Mon. 5/1 Sat 노동절: weekend substitute 5/3 Mon. 5/5 Wed. 부처님오신날 lunar 4/8 = 5/13 Thu. 6/6 Sun (no substitute).
        // 8/15 Sun: 8/16 Mon. 추석 = lunar 8/15 = 9/15 Wed: block 9/14-16 Tue-Thu. 10/3 Sun: 10/4 Mon. 10/9 Sat: 10/11 Mon.
        // 12/25 Sat: 12/27 Mon. 12/31 Fri: 연말 휴장일.
        (string, string)[] expected =
        [
            ("2027-01-01", "신정"),
            ("2027-02-08", "설날"),
            ("2027-02-09", "대체공휴일(설날)"),
            ("2027-03-01", "삼일절"),
            ("2027-05-03", "대체공휴일(노동절)"),
            ("2027-05-05", "어린이날"),
            ("2027-05-13", "부처님오신날"),
            ("2027-08-16", "대체공휴일(광복절)"),
            ("2027-09-14", "추석"),
            ("2027-09-15", "추석"),
            ("2027-09-16", "추석"),
            ("2027-10-04", "대체공휴일(개천절)"),
            ("2027-10-11", "대체공휴일(한글날)"),
            ("2027-12-27", "대체공휴일(성탄절)"),
            ("2027-12-31", "연말 휴장일"),
        ];

        var closures = KoreanHolidayRules.WeekdayClosures(2027);

        Assert.Equal(expected.Select(e => (D(e.Item1), e.Item2)), closures.Select(c => (c.Date, c.Reason)));
        // Only the 노동절 substitute rests on a rule KRX has not applied yet.
        Assert.Equal([D("2027-05-03")], closures.Where(c => c.Provisional).Select(c => c.Date));

        var sessions = KoreanHolidayRules.Sessions(2027);
        Assert.Equal(261 - expected.Length, sessions.Count);
        Assert.Equal((D("2027-01-04"), new TimeOnly(10, 0), new TimeOnly(15, 30)), (sessions[0].Date, sessions[0].OpenKst, sessions[0].CloseKst));
        Assert.All(sessions.Skip(1), s => Assert.Equal((new TimeOnly(9, 0), new TimeOnly(15, 30)), (s.OpenKst, s.CloseKst)));
    }

    [Fact]
    public void A_holiday_block_shared_with_another_holiday_earns_one_substitute_per_shared_or_sunday_day()
    {
        // 2017: 추석 block 10/3-10/5 starts on 개천절: one substitute, 10/6 (the bundled history agrees: KRX closed 10/2-10/6).
        Assert.Contains(KoreanHolidayRules.WeekdayClosures(2017), c => c == new RuleClosure(D("2017-10-06"), "대체공휴일(추석)"));
        // 2036: 추석 = 10/4 (Sat): block 10/3 Fri (개천절 too), 10/4 Sat, 10/5 Sun: two substitutes, 10/6 and 10/7.
        var substitutes2036 = KoreanHolidayRules.WeekdayClosures(2036).Where(c => c.Reason == "대체공휴일(추석)").Select(c => c.Date);
        Assert.Equal([D("2036-10-06"), D("2036-10-07")], substitutes2036);
        // 2025: 부처님오신날 on 어린이날 (5/5): the substitute of 어린이날 is 5/6 (KRX closed 5/5 and 5/6).
        Assert.Contains(KoreanHolidayRules.WeekdayClosures(2025), c => c == new RuleClosure(D("2025-05-06"), "대체공휴일(어린이날)"));
    }

    [Theory]
    // Leap-month years: 2025 (leap 6th month), 2028 (leap 5th), 2031 (leap 3rd), 2033 (leap 11th).
    [InlineData(2025, "2025-01-29", "2025-10-06")]
    // 2028: the new moon of January falls at 00:12 KST on the 27th (15:12 UTC on the 26th), so 설날 is 1/27 in Korea while
    // the Chinese New Year (UTC+8) is 1/26: the Korean calendar, not the Chinese one, decides.
    [InlineData(2028, "2028-01-27", "2028-10-03")]
    [InlineData(2031, "2031-01-23", "2031-10-01")]
    [InlineData(2033, "2033-01-31", "2033-09-08")]
    public void Leap_month_years_place_seollal_and_chuseok_on_the_lunar_dates(int year, string seollal, string chuseok)
    {
        Assert.True(new KoreanLunisolarCalendar().GetLeapMonth(year) > 0, $"{year} should have a leap month");
        Assert.Equal(D(seollal), KoreanHolidayRules.FromLunar(year, 1, 1));
        Assert.Equal(D(chuseok), KoreanHolidayRules.FromLunar(year, 8, 15));

        // And back through .NET's own conversion: the solar dates are lunar 1/1 and 8/15 of a non-leap month.
        var lunar = new KoreanLunisolarCalendar();
        foreach (var (date, month, day) in new[] { (D(seollal), 1, 1), (D(chuseok), 8, 15) })
        {
            var instant = date.ToDateTime(TimeOnly.MinValue);
            var index = lunar.GetMonth(instant);
            var leap = lunar.GetLeapMonth(lunar.GetYear(instant));
            Assert.False(lunar.IsLeapMonth(lunar.GetYear(instant), index));
            Assert.Equal(month, leap > 0 && index >= leap ? index - 1 : index);
            Assert.Equal(day, lunar.GetDayOfMonth(instant));
        }

        var closures = KoreanHolidayRules.WeekdayClosures(year).Select(c => c.Date).ToHashSet();
        foreach (var center in new[] { D(seollal), D(chuseok) })
        {
            foreach (var d in new[] { center.AddDays(-1), center, center.AddDays(1) })
            {
                Assert.True(d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || closures.Contains(d), $"{d:yyyy-MM-dd} should be closed");
            }
        }
    }

    [Fact]
    public void Every_year_to_2050_has_the_year_end_closure_and_a_plausible_count_of_sessions()
    {
        for (var year = 2027; year <= KoreanHolidayRules.LastYear; year++)
        {
            var closures = KoreanHolidayRules.WeekdayClosures(year);
            Assert.Equal(KoreanHolidayRules.YearEndReason, closures[^1].Reason);
            Assert.InRange(KoreanHolidayRules.Sessions(year).Count, 240, 252);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => KoreanHolidayRules.WeekdayClosures(2051));
        Assert.Throws<ArgumentOutOfRangeException>(() => KoreanHolidayRules.WeekdayClosures(2014));
    }
}
