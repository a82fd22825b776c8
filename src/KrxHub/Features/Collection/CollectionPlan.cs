using KrxHub.Core;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>Which units a collection fetches: per stock (or market scope) the requested range minus what is complete.</summary>
public static class CollectionPlan
{
    /// <summary>The master's stocks that were listed on some day of [from, to], by code.</summary>
    public static async Task<IReadOnlyList<StockCode>> ListedStocksAsync(MarketStore store, DateOnly from, DateOnly to, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        return [.. (await store.GetAllStocksAsync(ct))
            .Where(s => (s.ListingDate is null || s.ListingDate <= to) && (s.DelistingDate is null || s.DelistingDate > from))
            .Select(s => s.Code)
            .OrderBy(c => c.Value, StringComparer.Ordinal)];
    }

    /// <summary>
    /// For each key, the parts of [from, to] that no completed unit covers, trimmed to sessions; gaps without a session
    /// (weekends, holidays) are dropped. Outside the calendar's span dates are kept as they are.
    /// </summary>
    public static IReadOnlyList<BackfillUnit> MissingUnits(string dataset, string basis, IEnumerable<string> keys, DateOnly from, DateOnly to,
        IReadOnlyList<BackfillUnit> completed, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(completed);
        ArgumentNullException.ThrowIfNull(calendar);
        var byKey = completed.GroupBy(u => u.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(u => u.From).ToList(), StringComparer.Ordinal);
        var units = new List<BackfillUnit>();
        foreach (var key in keys)
        {
            var cursor = from;
            foreach (var done in byKey.GetValueOrDefault(key) ?? [])
            {
                if (done.To < cursor)
                {
                    continue;
                }

                if (done.From > cursor)
                {
                    AddGap(units, dataset, basis, key, cursor, Min(done.From.AddDays(-1), to), calendar);
                }

                if (done.To >= to)
                {
                    cursor = DateOnly.MaxValue;
                    break;
                }

                cursor = Max(cursor, done.To.AddDays(1));
            }

            if (cursor <= to)
            {
                AddGap(units, dataset, basis, key, cursor, to, calendar);
            }
        }

        return units;
    }

    private static void AddGap(List<BackfillUnit> units, string dataset, string basis, string key, DateOnly from, DateOnly to, KrxCalendar calendar)
    {
        if (to < from)
        {
            return;
        }

        if (calendar.Covers(from) && calendar.Covers(to))
        {
            var sessions = calendar.Sessions(from, to);
            if (sessions.IsEmpty)
            {
                return;
            }

            (from, to) = (sessions[0], sessions[^1]);
        }

        units.Add(new BackfillUnit(dataset, basis, key, from, to));
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
