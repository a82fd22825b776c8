namespace KrxHub.Core;

/// <summary>
/// KRX's weekday closures of 2015–2026 that no holiday rule derives: election days (선거일, 공직선거법 §34) and temporary
/// public holidays (임시공휴일) declared by the government. Each is in the bundled XKRX history; this table only names them
/// (the reason of <see cref="KrxCalendar.Day"/>). Later ones cannot be known ahead: they come from the override file.
/// </summary>
public static class KrxAdHocClosures
{
    public const string Election = "선거일";
    public const string TemporaryHoliday = "임시공휴일";

    /// <summary>Date, reason, and what it was.</summary>
    public static readonly IReadOnlyList<(DateOnly Date, string Reason, string Occasion)> Known =
    [
        (new(2015, 8, 14), TemporaryHoliday, "광복 70주년"),
        (new(2016, 4, 13), Election, "제20대 국회의원선거"),
        (new(2016, 5, 6), TemporaryHoliday, "어린이날 연휴"),
        (new(2017, 5, 9), Election, "제19대 대통령선거"),
        (new(2017, 10, 2), TemporaryHoliday, "추석 연휴"),
        (new(2018, 6, 13), Election, "제7회 전국동시지방선거"),
        (new(2020, 4, 15), Election, "제21대 국회의원선거"),
        (new(2020, 8, 17), TemporaryHoliday, "광복절 연휴"),
        (new(2022, 3, 9), Election, "제20대 대통령선거"),
        (new(2022, 6, 1), Election, "제8회 전국동시지방선거"),
        (new(2023, 10, 2), TemporaryHoliday, "추석 연휴"),
        (new(2024, 4, 10), Election, "제22대 국회의원선거"),
        (new(2024, 10, 1), TemporaryHoliday, "국군의 날"),
        (new(2025, 1, 27), TemporaryHoliday, "설날 연휴"),
        (new(2025, 6, 3), Election, "제21대 대통령선거"),
        (new(2026, 6, 3), Election, "제9회 전국동시지방선거"),
    ];

    private static readonly Dictionary<DateOnly, string> ByDate = Known.ToDictionary(k => k.Date, k => k.Reason);

    /// <summary>The reason of a known ad-hoc closure, or null.</summary>
    public static string? ReasonFor(DateOnly date) => ByDate.GetValueOrDefault(date);
}
