using KrxHub.Core;
using KrxHub.Core.Validation;
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
    string? CalendarReason)
{
    /// <summary>Rows kept with a note, by code; not errors: <c>no_trade_kept</c> (halts) and <c>adjustment_rounding</c>.</summary>
    public IReadOnlyDictionary<string, long> Kept { get; init; } = new Dictionary<string, long>();
}

/// <summary>One stock's sessions in the range and its listed period that have neither a bar nor a halt row.</summary>
public sealed record StockGapDto(string Code, string Name, int ListedSessions, int MissingSessions, IReadOnlyList<DateOnly> FirstMissing);

public sealed record QualityRangeDto(
    DateOnly From,
    DateOnly To,
    int Sessions,
    IReadOnlyList<DateOnly> SessionsWithoutData,
    IReadOnlyList<DayQualityDto> Days,
    IReadOnlyList<StockGapDto> StockGaps);

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
            isSession && q.RawBars + q.AdjustedBars == 0, day?.Provisional ?? false, day?.Reason)
        {
            Kept = new SortedDictionary<string, long>(StringComparer.Ordinal)
            {
                [ReasonCodes.NoTradeKept] = q.NoTradeBars,
                [ReasonCodes.AdjustmentRounding] = q.RepairedBars,
            },
        };
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

        return new QualityRangeDto(from, to, sessions.Length, sessions.Where(d => !withData.Contains(d)).ToList(), days,
            await StockGapsAsync(store, sessions, from, to, ct));
    }

    /// <summary>How many first missing sessions a stock's gap entry lists.</summary>
    public const int ListedMissingSessions = 5;

    /// <summary>Per listed stock, the sessions of the range inside its listed period with neither a bar nor a halt row (stocks without gaps left out).</summary>
    private static async Task<IReadOnlyList<StockGapDto>> StockGapsAsync(MarketStore store, DateOnly[] sessions, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var barDates = await store.GetBarDatesByStockAsync(from, to, ct);
        var gaps = new List<StockGapDto>();
        foreach (var stock in (await store.GetAllStocksAsync(ct)).OrderBy(s => s.Code.Value, StringComparer.Ordinal))
        {
            var listed = sessions.Where(stock.IsListedOn).ToArray();
            if (listed.Length == 0)
            {
                continue;
            }

            var have = barDates.TryGetValue(stock.Code, out var dates) ? dates.ToHashSet() : [];
            var missing = listed.Where(d => !have.Contains(d)).ToArray();
            if (missing.Length > 0)
            {
                gaps.Add(new StockGapDto(stock.Code.Value, stock.Name, listed.Length, missing.Length, [.. missing.Take(ListedMissingSessions)]));
            }
        }

        return gaps;
    }
}
