using KrxHub.Core;
using KrxHub.Storage;

namespace KrxHub.Features.Quality;

public sealed record DayQualityDto(
    DateOnly Date,
    bool IsSession,
    long RawBars,
    long AdjustedBars,
    long NoTradeBars,
    long Quarantined,
    IReadOnlyDictionary<string, long> QuarantinedByReason,
    long ListedStocks,
    long ListedWithoutBar,
    bool MissingData,
    bool Provisional,
    string? CalendarReason);

public sealed record QualityRangeDto(
    DateOnly From,
    DateOnly To,
    int Sessions,
    IReadOnlyList<DateOnly> SessionsWithoutData,
    IReadOnlyList<DayQualityDto> Days);

/// <summary>The daily quality report, shared by GET /api/quality and `krxhub quality-report`.</summary>
public static class QualityReport
{
    public static async Task<DayQualityDto> ForDayAsync(MarketStore store, KrxCalendar calendar, DateOnly date, CancellationToken ct)
    {
        var q = await store.GetDayQualityAsync(date, ct);
        var isSession = calendar.IsSession(date);
        // A provisional day (holiday rules, not yet published by KRX) says so: its session flag may still change.
        var day = calendar.Covers(date) ? calendar.Day(date) : (CalendarDay?)null;
        return new DayQualityDto(date, isSession, q.RawBars, q.AdjustedBars, q.NoTradeBars,
            q.QuarantinedByReason.Values.Sum(), q.QuarantinedByReason, q.ListedStocks, q.ListedWithoutBar,
            isSession && q.RawBars + q.AdjustedBars == 0, day?.Provisional ?? false, day?.Reason);
    }

    /// <summary>Every session in the range, and which of them have no bars at all.</summary>
    public static async Task<QualityRangeDto> ForRangeAsync(MarketStore store, KrxCalendar calendar, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var sessions = calendar.Sessions(from, to).ToArray();
        var withData = (await store.GetDatesWithBarsAsync(from, to, ct)).ToHashSet();
        var days = new List<DayQualityDto>(sessions.Length);
        foreach (var d in sessions)
        {
            days.Add(await ForDayAsync(store, calendar, d, ct));
        }

        return new QualityRangeDto(from, to, sessions.Length, sessions.Where(d => !withData.Contains(d)).ToList(), days);
    }
}
