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
/// Live rankings of every stock, kept up to date one quote at a time. For each metric it holds one ordered index per
/// market and one for all markets, so an update costs O(log n) and a top-N read O(N), and the result is always exactly
/// the brute-force sort of the latest quotes: metric descending, ties broken by stock code ascending (ordinal), stocks
/// without a value for the metric left out. Not thread-safe: the caller serialises updates and reads.
/// </summary>
public sealed class RankingBoard
{
    private static readonly Market[] AllMarkets = Enum.GetValues<Market>();
    private static readonly RankingMetric[] AllMetrics = Enum.GetValues<RankingMetric>();

    private readonly Dictionary<StockCode, RankingQuote> _latest = [];

    // [metric][market index, or AllMarkets.Length for "all markets"]
    private readonly SortedSet<RankingQuote>[][] _indexes;

    public RankingBoard()
    {
        _indexes = new SortedSet<RankingQuote>[AllMetrics.Length][];
        foreach (var metric in AllMetrics)
        {
            var comparer = new RankingOrder(metric);
            _indexes[(int)metric] = new SortedSet<RankingQuote>[AllMarkets.Length + 1];
            for (var i = 0; i <= AllMarkets.Length; i++)
            {
                _indexes[(int)metric][i] = new SortedSet<RankingQuote>(comparer);
            }
        }
    }

    /// <summary>Incremented by every <see cref="Update"/> and <see cref="Clear"/>: a reader compares it to skip unchanged boards.</summary>
    public long Version { get; private set; }

    /// <summary>The number of stocks on the board.</summary>
    public int Count => _latest.Count;

    /// <summary>The latest quote time seen, or null when the board is empty.</summary>
    public DateTimeOffset? LatestTime { get; private set; }

    /// <summary>Replaces the stock's previous quote (if any) with <paramref name="quote"/>.</summary>
    public void Update(RankingQuote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        if (_latest.TryGetValue(quote.Code, out var previous))
        {
            foreach (var metric in AllMetrics)
            {
                if (metric.KeyOf(previous) is not null)
                {
                    _indexes[(int)metric][(int)previous.Market].Remove(previous);
                    _indexes[(int)metric][AllMarkets.Length].Remove(previous);
                }
            }
        }

        _latest[quote.Code] = quote;
        foreach (var metric in AllMetrics)
        {
            if (metric.KeyOf(quote) is not null)
            {
                _indexes[(int)metric][(int)quote.Market].Add(quote);
                _indexes[(int)metric][AllMarkets.Length].Add(quote);
            }
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
        foreach (var perMetric in _indexes)
        {
            foreach (var index in perMetric)
            {
                index.Clear();
            }
        }

        LatestTime = null;
        Version++;
    }

    /// <summary>The stock's latest quote, if any.</summary>
    public RankingQuote? Get(StockCode code) => _latest.GetValueOrDefault(code);

    /// <summary>The first <paramref name="n"/> stocks of one market (null: all markets) by <paramref name="metric"/>.</summary>
    public IReadOnlyList<RankingRow> Top(Market? market, RankingMetric metric, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var index = _indexes[(int)metric][market is { } m ? (int)m : AllMarkets.Length];
        var rows = new List<RankingRow>(Math.Min(n, index.Count));
        foreach (var quote in index)
        {
            if (rows.Count == n)
            {
                break;
            }

            rows.Add(ToRow(rows.Count + 1, quote));
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

    private static RankingRow ToRow(int rank, RankingQuote q) =>
        new(rank, q.Code, q.Name, q.Market, q.Price, q.ChangePct, q.Volume, q.Value);

    /// <summary>Metric descending, then code ascending: a total order, since a code appears once per index.</summary>
    private sealed class RankingOrder(RankingMetric metric) : IComparer<RankingQuote>
    {
        public int Compare(RankingQuote? x, RankingQuote? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            var byMetric = metric.KeyOf(y)!.Value.CompareTo(metric.KeyOf(x)!.Value);
            return byMetric != 0 ? byMetric : string.CompareOrdinal(x.Code.Value, y.Code.Value);
        }
    }
}
