namespace KrxHub.Core.Backtesting;

/// <summary>One session a stock has no bar for (neither a bar nor a halt row) while it has bars before and after.</summary>
public sealed record DataGap(StockCode Code, DateOnly Date);

/// <summary>
/// The data holes a backtest ran over: sessions between a stock's first and last bar of the run with no bar at all. An
/// indicator spans such a hole silently and a signal may move by a day, so the result reports them.
/// </summary>
public sealed record DataGaps(int Count, IReadOnlyList<DataGap> First)
{
    /// <summary>How many (stock, session) pairs a result lists in <see cref="First"/>.</summary>
    public const int Listed = 10;

    public static DataGaps None { get; } = new(0, []);

    /// <summary>The gaps of every series, listed by date then code (the first <see cref="Listed"/>).</summary>
    public static DataGaps Find(IEnumerable<BarSeries> series, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(calendar);
        var list = series.Where(s => s.Count > 1).ToList();
        if (list.Count == 0)
        {
            return None;
        }

        // One span of sessions for all series, walked with a cursor: the next bar is almost always the next session.
        var sessions = calendar.Sessions(list.Min(s => s.FirstDate), list.Max(s => s.LastDate));
        var count = 0;
        var segments = new List<(int After, int Before, StockCode Code)>();
        foreach (var s in list)
        {
            var dates = s.DateColumn;
            var at = sessions.BinarySearch(dates[0]);
            for (var i = 1; i < dates.Length; i++)
            {
                var next = at >= 0 && at + 1 < sessions.Length && sessions[at + 1] == dates[i] ? at + 1 : sessions.BinarySearch(dates[i]);
                // A bar on a day the calendar does not list as a session is not a gap; the validator reports those.
                if (at >= 0 && next >= 0 && next - at > 1)
                {
                    count += next - at - 1;
                    segments.Add((at, next, s.Code));
                }

                at = next >= 0 ? next : ~next - 1;
            }
        }

        if (count == 0)
        {
            return None;
        }

        var listed = new List<DataGap>();
        foreach (var (after, before, code) in segments)
        {
            foreach (var date in sessions[(after + 1)..Math.Min(before, after + 1 + Listed)])
            {
                listed.Add(new DataGap(code, date));
            }
        }

        return new DataGaps(count, [.. listed.OrderBy(g => g.Date).ThenBy(g => g.Code.Value, StringComparer.Ordinal).Take(Listed)]);
    }

    /// <summary>The gaps of several runs (one per stock) as one report.</summary>
    public static DataGaps Combine(IEnumerable<DataGaps> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        var count = list.Sum(p => p.Count);
        return count == 0 ? None : new DataGaps(count,
            [.. list.SelectMany(p => p.First).OrderBy(g => g.Date).ThenBy(g => g.Code.Value, StringComparer.Ordinal).Take(Listed)]);
    }
}
