using KrxHub.Core.Backtesting;
using KrxHub.Core.Indicators;

namespace KrxHub.Core.Conditions;

/// <summary>
/// Everything a screen reads, column-wise over the universe: stock i has the daily series <see cref="Bars"/>[i] whose last
/// bar is the evaluated session (today's live bar during a session), and today's scalars at index i.
/// </summary>
public sealed class ScreenUniverse
{
    public required DateOnly Date { get; init; }

    public required IReadOnlyList<Stock> Stocks { get; init; }

    public required IReadOnlyList<BarSeries> Bars { get; init; }

    /// <summary>Today's trading value, market capitalisation and listed shares per stock (null where the source has none).</summary>
    public required IReadOnlyList<decimal?> TradingValue { get; init; }

    public required IReadOnlyList<decimal?> MarketCap { get; init; }

    public required IReadOnlyList<decimal?> ListedShares { get; init; }

    /// <summary>Net buying value per investor type name ("foreign"…), stock and date; only the types the conditions use are loaded.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>> NetBuying { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>();

    public int Count => Stocks.Count;
}

/// <summary>A value a matching stock had for one field or function of the condition.</summary>
public readonly record struct ScreenValue(string Expression, decimal? Number, string? Text, bool? Truth);

/// <summary>What a condition found: the matching stocks (indices into the universe) and those it could not judge.</summary>
public sealed record ScreenOutcome(IReadOnlyList<int> Matches, int NotEnoughHistory, IReadOnlyList<ConditionNode> Reported)
{
    /// <summary>Per stock of the universe: true (match), false, or null (not enough history).</summary>
    public IReadOnlyList<bool?> Truth { get; init; } = [];
}

/// <summary>
/// Evaluates conditions over a whole universe at once. Each distinct sub-expression (by canonical text) is computed once
/// per evaluator and shared by every condition that uses it, so twenty conditions that all use sma(close, 20) compute it once.
/// Truth is three-valued: a stock without enough history for a function is unknown, never a match, and counted.
/// </summary>
public sealed partial class ConditionEvaluator
{
    private readonly Dictionary<string, (int Tail, decimal?[][] Values)> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool?[]> _truths = new(StringComparer.Ordinal);

    public ConditionEvaluator(ScreenUniverse universe)
    {
        ArgumentNullException.ThrowIfNull(universe);
        Universe = universe;
    }

    public ScreenUniverse Universe { get; }

    public ScreenOutcome Evaluate(ConditionNode condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var truth = Truth(condition);
        var matches = new List<int>();
        var unknown = 0;
        for (var i = 0; i < truth.Length; i++)
        {
            if (truth[i] == true)
            {
                matches.Add(i);
            }
            else if (truth[i] is null)
            {
                unknown++;
            }
        }

        return new ScreenOutcome(matches, unknown, ReportedNodes(condition)) { Truth = truth };
    }

    /// <summary>The value of every field and function of the condition for stock <paramref name="i"/>, in order of appearance.</summary>
    public IReadOnlyList<ScreenValue> ValuesOf(ScreenOutcome outcome, int i)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return [.. outcome.Reported.Select(n => n.Kind switch
        {
            ValueKind.Number => new ScreenValue(n.Text, Current(n, i), null, null),
            ValueKind.Text => new ScreenValue(n.Text, null, TextOf(n, i), null),
            _ => new ScreenValue(n.Text, null, null, Truth(n)[i]),
        })];
    }

    private static List<ConditionNode> ReportedNodes(ConditionNode root)
    {
        var found = new List<ConditionNode>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Walk(ConditionNode node)
        {
            switch (node)
            {
                case FieldNode or CallNode when seen.Add(node.Text):
                    found.Add(node);
                    break;
            }

            switch (node)
            {
                case UnaryNode u:
                    Walk(u.Operand);
                    break;
                case BinaryNode b:
                    Walk(b.Left);
                    Walk(b.Right);
                    break;
                case BetweenNode b:
                    Walk(b.Value);
                    Walk(b.Low);
                    Walk(b.High);
                    break;
                case CallNode c:
                    foreach (var a in c.Arguments)
                    {
                        Walk(a);
                    }

                    break;
            }
        }

        Walk(root);
        return found;
    }

    // ---------------------------------------------------------------- truth values (today only)

    private bool?[] Truth(ConditionNode node)
    {
        if (_truths.TryGetValue(node.Text, out var cached))
        {
            return cached;
        }

        var n = Universe.Count;
        var result = new bool?[n];
        switch (node)
        {
            case UnaryNode { Operator: "not" } u:
                var inner = Truth(u.Operand);
                for (var i = 0; i < n; i++)
                {
                    result[i] = !inner[i];
                }

                break;
            case BinaryNode { Operator: "and" or "or" } b:
                var (l, r) = (Truth(b.Left), Truth(b.Right));
                if (b.Operator == "and")
                {
                    for (var i = 0; i < n; i++)
                    {
                        result[i] = l[i] == false || r[i] == false ? false : l[i] is null || r[i] is null ? null : true;
                    }
                }
                else
                {
                    for (var i = 0; i < n; i++)
                    {
                        result[i] = l[i] == true || r[i] == true ? true : l[i] is null || r[i] is null ? null : false;
                    }
                }

                break;
            case BinaryNode { Left.Kind: ValueKind.Text } b:
                for (var i = 0; i < n; i++)
                {
                    var (lt, rt) = (TextOf(b.Left, i), TextOf(b.Right, i));
                    var equal = string.Equals(lt, rt, StringComparison.OrdinalIgnoreCase);
                    result[i] = lt is null || rt is null ? b.Operator == "!=" && (lt is null) != (rt is null) : b.Operator == "==" ? equal : !equal;
                }

                break;
            case BinaryNode b:
                var (left, right, holds) = (TodayColumn(b.Left), TodayColumn(b.Right), Comparison(b.Operator));
                for (var i = 0; i < n; i++)
                {
                    result[i] = left[i] is { } x && right[i] is { } y ? holds(decimal.Compare(x, y)) : null;
                }

                break;
            case BetweenNode b:
                var (value, low, high) = (TodayColumn(b.Value), TodayColumn(b.Low), TodayColumn(b.High));
                for (var i = 0; i < n; i++)
                {
                    var (v, lo, hi) = (value[i], low[i], high[i]);
                    result[i] = v is null || lo is null || hi is null ? null : v >= lo && v <= hi;
                }

                break;
            case CallNode { Name: "cross_up" or "cross_down" } c:
                var (a, bs) = (Series(c.Arguments[0], 2), Series(c.Arguments[1], 2));
                for (var i = 0; i < n; i++)
                {
                    var (x, y) = (a[i], bs[i]);
                    if (x.Length < 2 || x[^1] is not { } a1 || x[^2] is not { } a0 || y[^1] is not { } b1 || y[^2] is not { } b0)
                    {
                        result[i] = null;
                        continue;
                    }

                    result[i] = c.Name == "cross_up" ? a0 <= b0 && a1 > b1 : a0 >= b0 && a1 < b1;
                }

                break;
            default:
                throw new InvalidOperationException($"'{node.Text}' is not a truth value");
        }

        _truths[node.Text] = result;
        return result;
    }

    /// <summary>The test a comparison operator makes of <see cref="decimal.Compare"/>'s sign (chosen once per node, not per stock).</summary>
    private static Func<int, bool> Comparison(string op) => op switch
    {
        "==" => c => c == 0,
        "!=" => c => c != 0,
        "<" => c => c < 0,
        "<=" => c => c <= 0,
        ">" => c => c > 0,
        _ => c => c >= 0,
    };

    private string? TextOf(ConditionNode node, int i) => node switch
    {
        TextLiteral t => t.Value,
        FieldNode { Name: "market" } => Universe.Stocks[i].Market.Name(),
        FieldNode { Name: "industry" } => Universe.Stocks[i].Industry,
        FieldNode { Name: "code" } => Universe.Stocks[i].Code.Value,
        FieldNode { Name: "name" } => Universe.Stocks[i].Name,
        _ => throw new InvalidOperationException($"'{node.Text}' is not text"),
    };

    // ---------------------------------------------------------------- numbers (the trailing values of a series per stock)

    /// <summary>"The whole series": what EMA-type functions read, since their value depends on where they start.</summary>
    internal const int Whole = int.MaxValue;

    /// <summary>Today's value of a number for stock i (the last element of its series).</summary>
    private decimal? Current(ConditionNode node, int i) => node is NumberLiteral literal ? literal.Value : TodayColumn(node)[i];

    /// <summary>
    /// The last <paramref name="tail"/> values of a number per stock (fewer where the stock has fewer bars), ending today.
    /// A screen needs today's value and, for cross_up or ref, a few before: computing only those, not whole series, is
    /// what keeps twenty conditions over the market cheap. A node already computed with a long enough tail is reused.
    /// </summary>
    private decimal?[][] Series(ConditionNode node, int tail)
    {
        if (_series.TryGetValue(node.Text, out var cached) && cached.Tail >= tail)
        {
            return cached.Values;
        }

        var n = Universe.Count;
        var result = new decimal?[n][];
        if (_history is not null && node is not NumberLiteral)
        {
            var today = TodayColumn(node);
            var pasts = tail > 1 ? _history.PastOfAll(node) : null;
            for (var i = 0; i < n; i++)
            {
                result[i] = WithPast(pasts, i, tail, today[i]);
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                result[i] = SeriesOf(node, i, tail);
            }
        }

        _series[node.Text] = (tail, result);
        return result;
    }

    private decimal?[] SeriesOf(ConditionNode node, int i, int tail)
    {
        var bars = Universe.Bars[i];
        var length = Math.Min(tail, bars.Count);
        switch (node)
        {
            case NumberLiteral literal:
                return Filled(length, literal.Value);
            case FieldNode field:
                return FieldSeries(field.Name, i, bars, length);
            case UnaryNode { Operator: "-" } u:
                return [.. Last(Series(u.Operand, tail)[i], length).Select(v => -v)];
            case BinaryNode b:
                var (l, r) = (Last(Series(b.Left, tail)[i], length), Last(Series(b.Right, tail)[i], length));
                var (values, apply) = (new decimal?[length], ArithmeticOf(b.Operator));
                for (var t = 0; t < length; t++)
                {
                    values[t] = apply(l[t], r[t]);
                }

                return values;
            case CallNode call:
                return Last(ConditionFunctions.Compute(call, this, i, tail), length);
            default:
                throw new InvalidOperationException($"'{node.Text}' is not a number");
        }
    }

    /// <summary>An arithmetic operator as a function, chosen once per node instead of once per stock.</summary>
    private static Func<decimal?, decimal?, decimal?> ArithmeticOf(string op) => op switch
    {
        "+" => static (l, r) => l is { } x && r is { } y ? x + y : null,
        "-" => static (l, r) => l is { } x && r is { } y ? x - y : null,
        "*" => static (l, r) => l is { } x && r is { } y ? x * y : null,
        _ => static (l, r) => l is { } x && r is { } y && y != 0m ? x / y : null,
    };

    /// <summary>The series of a bound argument for stock i, at least its last <paramref name="tail"/> values (used by the functions).</summary>
    internal decimal?[] ArgumentSeries(ConditionNode node, int i, int tail) => Series(node, tail)[i];

    /// <summary>The series of a node for every stock, at least its last <paramref name="tail"/> values.</summary>
    internal decimal?[][] AllSeries(ConditionNode node, int tail) => Series(node, tail);

    /// <summary>The last <paramref name="length"/> elements (all of them when shorter).</summary>
    internal static decimal?[] Last(decimal?[] values, int length) => values.Length <= length ? values : values[^length..];

    private decimal?[] FieldSeries(string name, int i, BarSeries bars, int length)
    {
        var values = new decimal?[length];
        var offset = bars.Count - length;
        switch (name)
        {
            case "open":
            case "high":
            case "low":
            case "close":
                var column = name switch { "open" => bars.OpenColumn, "high" => bars.HighColumn, "low" => bars.LowColumn, _ => bars.CloseColumn };
                for (var t = 0; t < length; t++)
                {
                    values[t] = column[offset + t];
                }

                break;
            case "volume":
                for (var t = 0; t < length; t++)
                {
                    values[t] = bars.VolumeColumn[offset + t];
                }

                break;
            case "change":
            case "change_pct":
                var close = bars.CloseColumn;
                for (var t = 0; t < length; t++)
                {
                    var at = offset + t;
                    if (at == 0)
                    {
                        continue;
                    }

                    values[t] = Change(name, close[at - 1], close[at]);
                }

                break;
            default:
                // Today's scalars: no history is stored for them, so only the last element is known.
                if (length > 0)
                {
                    values[^1] = Scalar(name, i);
                }

                break;
        }

        return values;
    }

    private decimal? Scalar(string name, int i) => name switch
    {
        "value" => Universe.TradingValue[i],
        "market_cap" => Universe.MarketCap[i],
        _ => Universe.ListedShares[i],
    };

    private static decimal? Change(string name, decimal? previous, decimal close) =>
        previous is not { } p ? null : name == "change" ? close - p : p == 0m ? null : (close - p) / p * 100m;

    private static decimal?[] Filled(int length, decimal value)
    {
        var values = new decimal?[length];
        Array.Fill(values, value);
        return values;
    }
}
