using System.Globalization;

namespace KrxHub.Core;

/// <summary>A day KRX is closed by rule, with the reason in Korean (<c>설날</c>, <c>대체공휴일(추석)</c>, <c>연말 휴장일</c>).</summary>
/// <param name="Provisional">
/// True where the rule itself is not settled: the 노동절 (May Day) substitute day, which KRX has not yet had to apply
/// (exchange_calendars gives it the weekend rule from 2026; an override file corrects it).
/// </param>
public readonly record struct RuleClosure(DateOnly Date, string Reason, bool Provisional = false);

/// <summary>
/// KRX's closed days derived from the Korean public-holiday law (관공서의 공휴일에 관한 규정) and KRX's own closures, for
/// any year from 2015 to <see cref="LastYear"/>. Pure: no I/O, no clock. What it cannot know — election days, temporary
/// holidays (임시공휴일), market-wide closures, CSAT days — comes from the bundled history and the operator's override file.
/// <list type="bullet">
/// <item>Lunar holidays from <see cref="KoreanLunisolarCalendar"/> (leap months handled): 설날 (the day before, the day and
/// the day after lunar 1/1), 부처님오신날 (lunar 4/8), 추석 (the day before, the day and the day after lunar 8/15).</item>
/// <item>Solar holidays: 신정 1/1, 삼일절 3/1, 어린이날 5/5, 현충일 6/6, 광복절 8/15, 개천절 10/3, 한글날 10/9, 성탄절 12/25;
/// KRX also closes on 5/1 (근로자의 날, 노동절 from 2026) and on the year's last weekday (연말 휴장일).</item>
/// <item>Substitute holidays (대체공휴일), each the next weekday that is neither a holiday nor already a substitute:
/// 설날 and 추석 (since 2014), one for each day of the block on a Sunday or on another holiday; 어린이날 (since 2014) on a
/// Saturday, Sunday or another holiday; 3/1, 8/15, 10/3, 10/9 (since 2021-08) and 부처님오신날, 성탄절 (since 2023-05) on a
/// Saturday or Sunday; 노동절 (from 2026, provisional) on a Saturday or Sunday. 현충일 and 1/1 have none.</item>
/// </list>
/// </summary>
public static class KoreanHolidayRules
{
    /// <summary>The first year the rules are claimed to reproduce (the test checks 2015–2026 against KRX's published days).</summary>
    public const int FirstYear = 2015;

    /// <summary>The last year <see cref="KoreanLunisolarCalendar"/> covers whole.</summary>
    public const int LastYear = 2050;

    /// <summary>KRX's regular hours, and the 10:00 open of the first session of every year.</summary>
    public static readonly TimeOnly RegularOpen = new(9, 0);

    public static readonly TimeOnly RegularClose = new(15, 30);

    public static readonly TimeOnly FirstSessionOpen = new(10, 0);

    public const string YearEndReason = "연말 휴장일";

    private static readonly KoreanLunisolarCalendar Lunar = new();

    /// <summary>The weekday closures of <paramref name="year"/> by rule, ascending (weekend holidays are left out: KRX is closed anyway).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside <see cref="FirstYear"/>..<see cref="LastYear"/>.</exception>
    public static IReadOnlyList<RuleClosure> WeekdayClosures(int year)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(year, FirstYear);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(year, LastYear);
        var holidays = Holidays(year);
        return [.. holidays.Where(h => IsWeekday(h.Key)).OrderBy(h => h.Key).Select(h => h.Value)];
    }

    /// <summary>The sessions of <paramref name="year"/> by rule: weekdays that are not closures, 09:00–15:30 KST, the first at 10:00.</summary>
    public static IReadOnlyList<SessionHours> Sessions(int year)
    {
        var closed = WeekdayClosures(year).Select(c => c.Date).ToHashSet();
        var sessions = new List<SessionHours>(250);
        for (var day = new DateOnly(year, 1, 1); day.Year == year; day = day.AddDays(1))
        {
            if (IsWeekday(day) && !closed.Contains(day))
            {
                sessions.Add(Hours(day, sessions.Count == 0 ? FirstSessionOpen : RegularOpen, RegularClose));
            }
        }

        return sessions;
    }

    /// <summary>The solar date of a lunar date (month 1–12, not the leap month) in the lunar year <paramref name="lunarYear"/>.</summary>
    public static DateOnly FromLunar(int lunarYear, int month, int day)
    {
        // KoreanLunisolarCalendar numbers the months of a leap year 1..13, the leap month taking the number after the month
        // it repeats (GetLeapMonth returns that number): every month from it on moves up by one.
        var leap = Lunar.GetLeapMonth(lunarYear);
        var index = leap > 0 && month >= leap ? month + 1 : month;
        return DateOnly.FromDateTime(Lunar.ToDateTime(lunarYear, index, day, 0, 0, 0, 0));
    }

    internal static SessionHours Hours(DateOnly day, TimeOnly open, TimeOnly close) =>
        new(day, new DateTimeOffset(day.ToDateTime(open), KrxCalendar.KstOffset), new DateTimeOffset(day.ToDateTime(close), KrxCalendar.KstOffset));

    private static bool IsWeekday(DateOnly day) => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    /// <summary>Every closed day of the year (weekends among them where a holiday falls there), keyed by date.</summary>
    private static SortedDictionary<DateOnly, RuleClosure> Holidays(int year)
    {
        var days = new SortedDictionary<DateOnly, RuleClosure>();
        void Add(DateOnly date, string reason, bool provisional = false)
        {
            // Two holidays on one day (개천절 in the 추석 block) keep the first name; the substitute rules see both.
            days.TryAdd(date, new RuleClosure(date, reason, provisional));
        }

        var seollal = FromLunar(year, 1, 1);
        var seollalBlock = new[] { seollal.AddDays(-1), seollal, seollal.AddDays(1) };
        var buddha = FromLunar(year, 4, 8);
        var chuseok = FromLunar(year, 8, 15);
        var chuseokBlock = new[] { chuseok.AddDays(-1), chuseok, chuseok.AddDays(1) };

        var named = new List<(DateOnly Date, string Name)>
        {
            (new DateOnly(year, 1, 1), "신정"),
            (new DateOnly(year, 3, 1), "삼일절"),
            (new DateOnly(year, 5, 1), year >= 2026 ? "노동절" : "근로자의 날"),
            (new DateOnly(year, 5, 5), "어린이날"),
            (buddha, "부처님오신날"),
            (new DateOnly(year, 6, 6), "현충일"),
            (new DateOnly(year, 8, 15), "광복절"),
            (new DateOnly(year, 10, 3), "개천절"),
            (new DateOnly(year, 10, 9), "한글날"),
            (new DateOnly(year, 12, 25), "성탄절"),
        };
        named.AddRange(seollalBlock.Select(d => (d, "설날")));
        named.AddRange(chuseokBlock.Select(d => (d, "추석")));

        // How many holidays fall on each date: a block day shared with another holiday earns a substitute.
        var count = named.GroupBy(n => n.Date).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (date, name) in named.OrderBy(n => n.Date))
        {
            if (date.Year == year)
            {
                Add(date, name);
            }
        }

        // The substitutes, in the order of the holidays that earn them; each takes the first free weekday after its holiday.
        var substitutes = new List<(DateOnly After, string Name, bool Provisional)>();
        void BlockSubstitutes(DateOnly[] block, string name)
        {
            foreach (var d in block)
            {
                if (d.DayOfWeek == DayOfWeek.Sunday || count[d] > 1)
                {
                    substitutes.Add((block[^1], name, false));
                }
            }
        }

        BlockSubstitutes(seollalBlock, "설날");
        BlockSubstitutes(chuseokBlock, "추석");
        var childrensDay = new DateOnly(year, 5, 5);
        if (!IsWeekday(childrensDay) || count[childrensDay] > 1)
        {
            substitutes.Add((childrensDay, "어린이날", false));
        }

        // Since 2021-08-04 for the national days, since 2023-05-04 for 부처님오신날 and 성탄절: the first case of each is
        // after its law, so the year alone decides (광복절 2021-08-15 is the first national day on a weekend under it).
        var weekendRules = new List<(DateOnly Date, string Name, bool Applies, bool Provisional)>
        {
            (new DateOnly(year, 3, 1), "삼일절", year >= 2022, false),
            (new DateOnly(year, 8, 15), "광복절", year >= 2021, false),
            (new DateOnly(year, 10, 3), "개천절", year >= 2021, false),
            (new DateOnly(year, 10, 9), "한글날", year >= 2021, false),
            (buddha, "부처님오신날", year >= 2023, false),
            (new DateOnly(year, 12, 25), "성탄절", year >= 2023, false),
            (new DateOnly(year, 5, 1), "노동절", year >= 2026, true),
        };
        foreach (var (date, name, applies, provisional) in weekendRules)
        {
            if (applies && !IsWeekday(date))
            {
                substitutes.Add((date, name, provisional));
            }
        }

        foreach (var (after, name, provisional) in substitutes.OrderBy(s => s.After))
        {
            var day = after.AddDays(1);
            while (!IsWeekday(day) || days.ContainsKey(day))
            {
                day = day.AddDays(1);
            }

            Add(day, $"대체공휴일({name})", provisional);
        }

        // The year-end closure: the last weekday of the year that is not already closed.
        var yearEnd = new DateOnly(year, 12, 31);
        while (!IsWeekday(yearEnd) || days.ContainsKey(yearEnd))
        {
            yearEnd = yearEnd.AddDays(-1);
        }

        Add(yearEnd, YearEndReason);
        return days;
    }
}
