namespace KrxHub.Core.Conditions;

/// <summary>Live evaluation: today's bar per stock on top of a prepared <see cref="ConditionHistory"/>.</summary>
public sealed partial class ConditionEvaluator
{
    private readonly ConditionHistory? _history;
    private readonly int[] _map = [];
    private readonly Dictionary<string, decimal?[]> _today = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _perCycle = new(StringComparer.Ordinal);

    /// <summary>
    /// An evaluator for one live cycle: <paramref name="today"/>.Bars[i] is stock i's bar today alone, and everything before it
    /// comes from <paramref name="history"/>, so a cycle costs one step per stock and function instead of whole series.
    /// </summary>
    /// <exception cref="ArgumentException">A stock of <paramref name="today"/> is not in the history.</exception>
    public ConditionEvaluator(ScreenUniverse today, ConditionHistory history)
        : this(today)
    {
        ArgumentNullException.ThrowIfNull(history);
        _history = history;
        _map = new int[today.Count];
        for (var i = 0; i < today.Count; i++)
        {
            _map[i] = history.IndexOf(today.Stocks[i].Code);
            if (_map[i] < 0 || today.Bars[i].Count != 1)
            {
                throw new ArgumentException($"{today.Stocks[i].Code}: a live universe holds one bar today per stock of the history", nameof(today));
            }
        }
    }

    /// <summary>A value several functions of this cycle derive from (both Bollinger bands), built by the first that asks.</summary>
    internal T PerCycle<T>(string key, Func<T> build) where T : class
    {
        if (_perCycle.TryGetValue(key, out var cached))
        {
            return (T)cached;
        }

        var built = build();
        _perCycle[key] = built;
        return built;
    }

    /// <summary>The close of the session before the evaluated one, or null (used for today's change in messages).</summary>
    public decimal? PreviousClose(int i)
    {
        if (_history is { } history)
        {
            return history.PreviousClose(_map[i]);
        }

        var bars = Universe.Bars[i];
        return bars.Count > 1 ? bars.CloseAt(bars.Count - 2) : null;
    }

    /// <summary>Each stock's value of a number on the evaluated session.</summary>
    internal decimal?[] TodayColumn(ConditionNode node)
    {
        if (_today.TryGetValue(node.Text, out var cached))
        {
            return cached;
        }

        var n = Universe.Count;
        if (node is NumberLiteral number && _history is not null)
        {
            return _today[node.Text] = _history.Constant(number.Value, n);
        }

        var values = new decimal?[n];
        if (node is NumberLiteral literal)
        {
            Array.Fill(values, literal.Value);
        }
        else if (_history is not { } history)
        {
            var series = Series(node, 1);
            for (var i = 0; i < n; i++)
            {
                values[i] = series[i].Length == 0 ? null : series[i][^1];
            }
        }
        else
        {
            switch (node)
            {
                case FieldNode field:
                    TodayField(field.Name, values, history);
                    break;
                case UnaryNode { Operator: "-" } u:
                    var operand = TodayColumn(u.Operand);
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = -operand[i];
                    }

                    break;
                case BinaryNode b:
                    var (l, r, apply) = (TodayColumn(b.Left), TodayColumn(b.Right), ArithmeticOf(b.Operator));
                    for (var i = 0; i < n; i++)
                    {
                        values[i] = apply(l[i], r[i]);
                    }

                    break;
                case CallNode call:
                    values = ConditionFunctions.Today(call, this, history, _map);
                    break;
                default:
                    throw new InvalidOperationException($"'{node.Text}' is not a number");
            }
        }

        _today[node.Text] = values;
        return values;
    }

    /// <summary>A field's value today for every stock (one pass per field, the field chosen once).</summary>
    private void TodayField(string name, decimal?[] values, ConditionHistory history)
    {
        var bars = Universe.Bars;
        switch (name)
        {
            case "open" or "high" or "low" or "close":
                var column = name[0];
                for (var i = 0; i < values.Length; i++)
                {
                    var bar = bars[i];
                    values[i] = column switch { 'o' => bar.OpenColumn[0], 'h' => bar.HighColumn[0], 'l' => bar.LowColumn[0], _ => bar.CloseColumn[0] };
                }

                break;
            case "volume":
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = bars[i].VolumeColumn[0];
                }

                break;
            case "change" or "change_pct":
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = Change(name, history.PreviousClose(_map[i]), bars[i].CloseColumn[0]);
                }

                break;
            default:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = Scalar(name, i);
                }

                break;
        }
    }

    /// <summary>The node's last <paramref name="tail"/> values for stock i: its stored past, then <paramref name="today"/>.</summary>
    private decimal?[] WithPast(decimal?[][]? pasts, int i, int tail, decimal? today)
    {
        if (tail <= 1)
        {
            return [today];
        }

        var past = pasts![_map[i]];
        var keep = (int)Math.Min((long)tail - 1, past.Length);
        var values = new decimal?[keep + 1];
        Array.Copy(past, past.Length - keep, values, 0, keep);
        values[keep] = today;
        return values;
    }
}
