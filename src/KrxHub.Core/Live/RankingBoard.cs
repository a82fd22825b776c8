namespace KrxHub.Core.Live;

/// <summary>What a ranking orders by: the day's accumulated volume, the day's trading value, or the change % against the previous close.</summary>
public enum RankingMetric
{
    Volume,
    Value,
    Change,
}

public static class RankingMetrics
{
    /// <summary>The wire name: volume, value, change.</summary>
    public static string Name(this RankingMetric metric) => metric switch
    {
        RankingMetric.Volume => "volume",
        RankingMetric.Value => "value",
        RankingMetric.Change => "change",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
    };

    public static bool TryParse(string? text, out RankingMetric metric)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "VOLUME":
                metric = RankingMetric.Volume;
                return true;
            case "VALUE":
                metric = RankingMetric.Value;
                return true;
            case "CHANGE":
                metric = RankingMetric.Change;
                return true;
            default:
                metric = default;
                return false;
        }
    }

    /// <summary>The value a quote is ranked by, or null when the quote has none (it is then left out of that ranking).</summary>
    public static decimal? KeyOf(this RankingMetric metric, RankingQuote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        return metric switch
        {
            RankingMetric.Volume => quote.Volume,
            RankingMetric.Value => quote.Value,
            RankingMetric.Change => quote.ChangePct,
            _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, null),
        };
    }
}

/// <summary>
/// One stock's ranking inputs at one moment: its market (from the stock master), last price, change % against the
/// previous close, and the day's accumulated volume and trading value. Null <see cref="ChangePct"/> or <see cref="Value"/>
/// means unknown: the stock is then left out of that metric's ranking.
/// </summary>
public sealed record RankingQuote(
    StockCode Code,
    string Name,
    Market Market,
    decimal Price,
    decimal? ChangePct,
    long Volume,
    decimal? Value,
    DateTimeOffset Time);

/// <summary>One row of a ranking; <see cref="Rank"/> starts at 1.</summary>
public sealed record RankingRow(
    int Rank,
    StockCode Code,
    string Name,
    Market Market,
    decimal Price,
    decimal? ChangePct,
    long Volume,
    decimal? Value);

/// <summary>
/// Live rankings of every stock, kept up to date one quote at a time. For each metric and each scope (one market, or
/// all) a list holds the first stocks in order, at most <see cref="Depth"/>, with one invariant: every eligible stock
/// outside the list ranks after the list's last member. A quote touches at most six lists, and for most quotes (stocks
/// far from the top) a list costs one comparison. A member that falls behind the last one leaves, so the list shrinks
/// (accumulated volume and value only grow during a day, so in practice only change % lists do); a read that needs
/// more rows than a list holds rebuilds it from the latest quotes first. The rows are always exactly the brute-force sort
/// of the latest quotes (<see cref="Rank"/>): metric descending, ties broken by stock code ascending (ordinal), stocks
/// without a value for the metric left out. Not thread-safe: the caller serialises updates and reads.
/// </summary>
public sealed class RankingBoard
{
    /// <summary>The most rows a ranking can have.</summary>
    public const int Depth = 128;

    private static readonly Market[] AllMarkets = Enum.GetValues<Market>();
    private static readonly RankingMetric[] AllMetrics = Enum.GetValues<RankingMetric>();
    private static readonly int Scopes = AllMarkets.Length + 1;

    private readonly Dictionary<StockCode, Entry> _latest = [];
    private readonly TopList[] _lists;

    public RankingBoard()
    {
        _lists = new TopList[AllMetrics.Length * Scopes];
        foreach (var metric in AllMetrics)
        {
            for (var scope = 0; scope < Scopes; scope++)
            {
                _lists[ListIndex(metric, scope)] = new TopList(metric, scope == AllMarkets.Length ? null : AllMarkets[scope]);
            }
        }
    }

    /// <summary>Incremented by every <see cref="Update"/> and <see cref="Clear"/>.</summary>
    public long Version { get; private set; }

    /// <summary>The number of stocks on the board.</summary>
    public int Count => _latest.Count;

    /// <summary>The latest quote time seen, or null when the board is empty.</summary>
    public DateTimeOffset? LatestTime { get; private set; }

    /// <summary>Replaces the stock's previous quote (if any) with <paramref name="quote"/>.</summary>
    public void Update(RankingQuote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        if (!_latest.TryGetValue(quote.Code, out var entry))
        {
            entry = new Entry(quote);
            _latest[quote.Code] = entry;
            Place(entry, null);
        }
        else
        {
            var previous = entry.Quote;
            entry.Quote = quote;
            Place(entry, previous);
        }

        if (LatestTime is null || quote.Time > LatestTime)
        {
            LatestTime = quote.Time;
        }

        Version++;
    }

    /// <summary>Empties the board (a new trading day starts from nothing).</summary>
    public void Clear()
    {
        _latest.Clear();
        foreach (var list in _lists)
        {
            list.Clear();
        }

        LatestTime = null;
        Version++;
    }

    /// <summary>The stock's latest quote, if any.</summary>
    public RankingQuote? Get(StockCode code) => _latest.GetValueOrDefault(code)?.Quote;

    /// <summary>
    /// A number that changes whenever the rows of this ranking may have changed (a member's quote, the order or the
    /// membership), and stays the same otherwise: readers skip rankings whose version they have seen.
    /// </summary>
    public long ListVersion(Market? market, RankingMetric metric) => _lists[ListIndex(metric, ScopeOf(market))].Version;

    /// <summary>The first <paramref name="n"/> (at most <see cref="Depth"/>) stocks of one market (null: all markets) by <paramref name="metric"/>.</summary>
    public IReadOnlyList<RankingRow> Top(Market? market, RankingMetric metric, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Depth);
        var index = ListIndex(metric, ScopeOf(market));
        var list = _lists[index];
        if (list.Count < Math.Min(n, list.Eligible))
        {
            Rebuild(index);
        }

        var rows = new List<RankingRow>(Math.Min(n, list.Count));
        for (var i = 0; i < list.Count && i < n; i++)
        {
            rows.Add(ToRow(i + 1, list[i]));
        }

        return rows;
    }

    /// <summary>
    /// The reference definition the incremental board must equal: filter by market, drop quotes without the metric,
    /// sort by the metric descending then code ascending, take n. Used for past dates and by the tests.
    /// </summary>
    public static IReadOnlyList<RankingRow> Rank(IEnumerable<RankingQuote> quotes, Market? market, RankingMetric metric, int n)
    {
        ArgumentNullException.ThrowIfNull(quotes);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return quotes
            .Where(q => (market is null || q.Market == market) && metric.KeyOf(q) is not null)
            .OrderByDescending(q => metric.KeyOf(q))
            .ThenBy(q => q.Code.Value, StringComparer.Ordinal)
            .Take(n)
            .Select((q, i) => ToRow(i + 1, q))
            .ToList();
    }

    private static int ScopeOf(Market? market) => market is { } m ? (int)m : AllMarkets.Length;

    private static int ListIndex(RankingMetric metric, int scope) => (int)metric * Scopes + scope;

    private static RankingRow ToRow(int rank, RankingQuote q) =>
        new(rank, q.Code, q.Name, q.Market, q.Price, q.ChangePct, q.Volume, q.Value);

    /// <summary>Moves the entry within every list its old or new quote belongs to.</summary>
    private void Place(Entry entry, RankingQuote? previous)
    {
        foreach (var metric in AllMetrics)
        {
            Place(entry, previous, ListIndex(metric, (int)entry.Quote.Market));
            Place(entry, previous, ListIndex(metric, AllMarkets.Length));
            if (previous is not null && previous.Market != entry.Quote.Market)
            {
                Place(entry, previous, ListIndex(metric, (int)previous.Market));
            }
        }
    }

    private void Place(Entry entry, RankingQuote? previous, int index)
    {
        var list = _lists[index];
        var bit = 1 << index;
        var quote = entry.Quote;
        var wasEligible = previous is not null && list.Accepts(previous);
        var isEligible = list.Accepts(quote);
        list.Eligible += (isEligible ? 1 : 0) - (wasEligible ? 1 : 0);

        var wasMember = (entry.Member & bit) != 0;
        if (wasMember)
        {
            list.Remove(previous!);
            entry.Member &= ~bit;
        }

        if (!isEligible)
        {
            return;
        }

        // With every other eligible stock in the list, the quote belongs in it wherever it ranks; otherwise only ahead
        // of the last member (an outsider might rank between the last member and the quote).
        var othersOutside = list.Eligible - 1 - list.Count;
        if (othersOutside == 0 || (list.Count > 0 && list.Compare(quote, list[list.Count - 1]) < 0))
        {
            list.Insert(quote);
            entry.Member |= bit;
            if (list.Count > Depth)
            {
                _latest[list.RemoveLast().Code].Member &= ~bit;
            }
        }
    }

    /// <summary>Refills a list from the latest quotes: one pass, keeping the first <see cref="Depth"/> in order.</summary>
    private void Rebuild(int index)
    {
        var list = _lists[index];
        var bit = 1 << index;
        var eligible = list.Eligible;
        list.Clear();
        list.Eligible = eligible;
        foreach (var entry in _latest.Values)
        {
            entry.Member &= ~bit;
            if (!list.Accepts(entry.Quote) || (list.Count == Depth && list.Compare(entry.Quote, list[Depth - 1]) > 0))
            {
                continue;
            }

            list.Insert(entry.Quote);
            entry.Member |= bit;
            if (list.Count > Depth)
            {
                _latest[list.RemoveLast().Code].Member &= ~bit;
            }
        }
    }

    /// <summary>A stock's latest quote and the lists (bit per list index) it is a member of.</summary>
    private sealed class Entry(RankingQuote quote)
    {
        public RankingQuote Quote = quote;
        public int Member;
    }

    /// <summary>The first stocks of one metric and scope, in ranking order, at most <see cref="Depth"/> + 1 while updating.</summary>
    private sealed class TopList(RankingMetric metric, Market? market)
    {
        private readonly RankingQuote[] _items = new RankingQuote[Depth + 1];

        public int Count { get; private set; }

        /// <summary>Stocks on the board that belong in this ranking (right market, metric known).</summary>
        public int Eligible { get; set; }

        public long Version { get; private set; }

        public RankingQuote this[int i] => _items[i];

        public bool Accepts(RankingQuote q) => (market is null || q.Market == market) && metric.KeyOf(q) is not null;

        /// <summary>Metric descending, then code ascending: a total order, since a code appears once.</summary>
        public int Compare(RankingQuote x, RankingQuote y)
        {
            var byMetric = metric.KeyOf(y)!.Value.CompareTo(metric.KeyOf(x)!.Value);
            return byMetric != 0 ? byMetric : string.CompareOrdinal(x.Code.Value, y.Code.Value);
        }

        public void Insert(RankingQuote q)
        {
            var at = Find(q);
            at = at >= 0 ? at : ~at;
            Array.Copy(_items, at, _items, at + 1, Count - at);
            _items[at] = q;
            Count++;
            Version++;
        }

        public void Remove(RankingQuote q)
        {
            var at = Find(q);
            if (at < 0)
            {
                throw new InvalidOperationException($"ranking list out of step: {q.Code} is not where it should be");
            }

            Array.Copy(_items, at + 1, _items, at, Count - at - 1);
            _items[--Count] = null!;
            Version++;
        }

        public RankingQuote RemoveLast()
        {
            var last = _items[--Count];
            _items[Count] = null!;
            return last;
        }

        public void Clear()
        {
            Array.Clear(_items);
            Count = 0;
            Eligible = 0;
            Version++;
        }

        private int Find(RankingQuote q)
        {
            int lo = 0, hi = Count - 1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                var c = Compare(_items[mid], q);
                if (c == 0)
                {
                    return mid;
                }

                if (c < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return ~lo;
        }
    }
}
