using KrxHub.Core.Backtesting;
using KrxHub.Core.Indicators;

namespace KrxHub.Core.Conditions;

/// <summary>
/// The stored sessions before today, prepared once for live evaluation. During a session only today's bar moves, so what
/// every function knows after the history — an EMA's, RSI's, MACD's or ATR's stream, a window's partial sums or extreme, the
/// values ref and cross read — is computed once per history and shared by every cycle of the day; a cycle then takes one
/// step per stock and function from it (<see cref="ConditionEvaluator(ScreenUniverse, ConditionHistory)"/>). That step does
/// the same decimal operations in the same order as a whole-series evaluation over the history plus today's bar, so the two
/// agree (tests compare them over real bars). States are built lazily, per sub-expression, on first use.
/// </summary>
/// <remarks>Thread-safe: a scheduled cycle and a live screen may read the same history at once.</remarks>
public sealed class ConditionHistory
{
    private readonly ConditionEvaluator _past;
    private readonly Dictionary<StockCode, int> _index;
    private readonly decimal?[] _previousCloses;
    private readonly Dictionary<string, object> _states = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(decimal Value, int Count), decimal?[]> _constants = new();

    /// <param name="history">Every stock that may trade today, with its stored bars before today (possibly none), in the
    /// order live universes are built in; <see cref="ScreenUniverse.NetBuying"/> loaded through today.</param>
    public ConditionHistory(ScreenUniverse history)
    {
        ArgumentNullException.ThrowIfNull(history);
        _past = new ConditionEvaluator(history);
        _index = new Dictionary<StockCode, int>(history.Count);
        _previousCloses = new decimal?[history.Count];
        for (var h = 0; h < history.Count; h++)
        {
            _index[history.Stocks[h].Code] = h;
            var bars = history.Bars[h];
            _previousCloses[h] = bars.Count == 0 ? null : bars.CloseAt(bars.Count - 1);
        }
    }

    public ScreenUniverse Universe => _past.Universe;

    /// <summary>The basis of the stored bars (today's live bars are built on it).</summary>
    public PriceBasis Basis { get; init; } = PriceBasis.Adjusted;

    /// <summary>The stock's index in <see cref="Universe"/>, or −1.</summary>
    public int IndexOf(StockCode code) => _index.TryGetValue(code, out var h) ? h : -1;

    /// <summary>The node's whole series over the history for stock <paramref name="h"/> (ending the session before today).</summary>
    internal decimal?[] Past(ConditionNode node, int h) => PastOfAll(node)[h];

    /// <summary>The node's whole series over the history, per stock of the history.</summary>
    internal decimal?[][] PastOfAll(ConditionNode node)
    {
        lock (_gate)
        {
            return _past.AllSeries(node, ConditionEvaluator.Whole);
        }
    }

    /// <summary>A column of one number (a literal of a condition), shared by the cycles instead of filled anew by each; read-only.</summary>
    internal decimal?[] Constant(decimal value, int count) => _constants.GetOrAdd((value, count), k =>
    {
        var values = new decimal?[k.Count];
        Array.Fill(values, k.Value);
        return values;
    });

    /// <summary>The stored close before today, or null for a stock without history.</summary>
    internal decimal? PreviousClose(int h) => _previousCloses[h];

    /// <summary>Per stock of the history, the state of <paramref name="key"/>, built on first use.</summary>
    internal T[] State<T>(string key, Func<int, T> build)
    {
        lock (_gate)
        {
            if (_states.TryGetValue(key, out var cached))
            {
                return (T[])cached;
            }
        }

        // Built outside the lock (Past takes it per call); two cycles racing to build the same state build equal ones.
        var states = new T[Universe.Count];
        for (var h = 0; h < states.Length; h++)
        {
            states[h] = build(h);
        }

        lock (_gate)
        {
            return (T[])(_states.TryAdd(key, states) ? states : _states[key]);
        }
    }

    /// <summary>The sequential sum (and sum of squares) of the last <paramref name="count"/> values, as a window indicator adds
    /// them before today's; null when there are fewer or one is unknown.</summary>
    internal static (decimal Sum, decimal Squares)? WindowSums(decimal?[] past, int count)
    {
        if (past.Length < count)
        {
            return null;
        }

        var (sum, squares) = (0m, 0m);
        for (var t = past.Length - count; t < past.Length; t++)
        {
            if (past[t] is not { } v)
            {
                return null;
            }

            sum += v;
            squares += v * v;
        }

        return (sum, squares);
    }

    /// <summary>The extreme of the last <paramref name="count"/> values in the same order as a window scan; null when fewer or one is unknown.</summary>
    internal static decimal? WindowExtreme(decimal?[] past, int count, bool highest)
    {
        if (past.Length < count)
        {
            return null;
        }

        decimal? best = null;
        for (var t = past.Length - count; t < past.Length; t++)
        {
            if (past[t] is not { } v)
            {
                return null;
            }

            best = best is not { } b ? v : highest ? Math.Max(b, v) : Math.Min(b, v);
        }

        return best;
    }

    /// <summary>A stream fed with the history's values after its last unknown one (what an indicator over the whole series sees).</summary>
    internal static T Fed<T>(decimal?[] past, T stream, Action<T, decimal> add)
    {
        var start = Array.FindLastIndex(past, v => v is null) + 1;
        for (var t = start; t < past.Length; t++)
        {
            add(stream, past[t]!.Value);
        }

        return stream;
    }

    /// <summary>An ATR stream fed with the stock's whole stored high, low and close.</summary>
    internal AtrStream FedAtr(int h, int period)
    {
        var bars = Universe.Bars[h];
        var stream = new AtrStream(period);
        for (var t = 0; t < bars.Count; t++)
        {
            stream.Add(bars.HighColumn[t], bars.LowColumn[t], bars.CloseColumn[t]);
        }

        return stream;
    }
}
