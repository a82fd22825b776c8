using System.Globalization;
using KrxHub.Core.Indicators;

namespace KrxHub.Core.Conditions;

internal static partial class ConditionFunctions
{
    /// <summary>
    /// Today's value of a function for every stock of a live universe (stock i is <paramref name="map"/>[i] in the history):
    /// one step from the state after the stored history, with the argument's value today.
    /// </summary>
    public static decimal?[] Today(CallNode call, ConditionEvaluator evaluator, ConditionHistory history, int[] map)
    {
        int P(int k) => (int)call.Parameters[k];
        var arg = call.Arguments.Count > 0 ? call.Arguments[0] : null;
        var key = string.Create(CultureInfo.InvariantCulture, $"{call.Name}|{arg?.Text}|{call.Investor}|{string.Join(',', call.Parameters)}");
        var now = arg is null ? null : evaluator.TodayColumn(arg);
        var result = new decimal?[map.Length];
        T[] State<T>(string kind, Func<decimal?[], T> build) => history.State($"{kind}:{key}", s => build(arg is null ? [] : history.Past(arg, s)));
        // The window's first n − 1 values summed in order; today's is the last addition, as in Sma and Bollinger.
        (decimal Sum, decimal Squares)?[] Sums() => history.State(
            $"sums:{arg?.Text}|{P(0)}", s => ConditionHistory.WindowSums(history.Past(arg!, s), P(0) - 1));
        switch (call.Name)
        {
            case "sma":
            case "avg":
                var (sums, period) = (Sums(), P(0));
                for (var i = 0; i < map.Length; i++)
                {
                    if (sums[map[i]] is { } w && now![i] is { } x)
                    {
                        result[i] = (w.Sum + x) / period;
                    }
                }

                break;
            case "bb_upper":
            case "bb_lower":
                // Both bands come from one square root per stock: the pair is computed once per cycle for whichever is asked first.
                var bands = evaluator.PerCycle($"bands:{arg!.Text}|{P(0)}|{call.Parameters[1].ToString(CultureInfo.InvariantCulture)}", () =>
                {
                    var (windows, period, k) = (Sums(), P(0), call.Parameters[1]);
                    var pair = new BollingerValue?[map.Length];
                    for (var i = 0; i < map.Length; i++)
                    {
                        if (windows[map[i]] is { } w && now![i] is { } x)
                        {
                            pair[i] = Indicator.BollingerOf(w.Sum + x, w.Squares + x * x, period, k);
                        }
                    }

                    return pair;
                });
                for (var i = 0; i < map.Length; i++)
                {
                    result[i] = bands[i] is not { } b ? null : call.Name == "bb_upper" ? b.Upper : b.Lower;
                }

                break;
            case "highest":
            case "lowest":
                var highest = call.Name == "highest";
                var extremes = State("extreme", past => P(0) == 1 ? null : ConditionHistory.WindowExtreme(past, P(0) - 1, highest));
                for (var i = 0; i < map.Length; i++)
                {
                    if (now![i] is { } x && (P(0) == 1 || extremes[map[i]] is not null))
                    {
                        result[i] = extremes[map[i]] is not { } e ? x : highest ? Math.Max(e, x) : Math.Min(e, x);
                    }
                }

                break;
            case "ref":
                if (P(0) == 0)
                {
                    return now!;
                }

                var back = State("ref", past => past.Length >= P(0) ? past[^P(0)] : null);
                for (var i = 0; i < map.Length; i++)
                {
                    result[i] = back[map[i]];
                }

                break;
            case "ema":
                Step(State("ema", past => ConditionHistory.Fed(past, new EmaStream(P(0)), (s, x) => s.Add(x))), (s, x) => s.Peek(x));
                break;
            case "rsi":
                Step(State("rsi", past => ConditionHistory.Fed(past, new RsiStream(P(0)), (s, x) => s.Add(x))), (s, x) => s.Peek(x));
                break;
            case "macd":
            case "macd_signal":
            case "macd_hist":
                Step(State("macd", past => ConditionHistory.Fed(past, new MacdStream(P(0), P(1), P(2)), (s, x) => s.Add(x))), (s, x) => Part(s.Peek(x)));
                break;
            case "atr":
                var (atr, bars) = (history.State($"atr:{key}", s => history.FedAtr(s, P(0))), evaluator.Universe.Bars);
                for (var i = 0; i < map.Length; i++)
                {
                    var last = bars[i].Count - 1;
                    result[i] = atr[map[i]].Peek(bars[i].HighColumn[last], bars[i].LowColumn[last], bars[i].CloseColumn[last]);
                }

                break;
            case "netbuy":
                TodayNetBuying(evaluator.Universe.Date, history, call.Investor!, P(0), $"netbuy:{key}", map, result);
                break;
            default:
                throw new InvalidOperationException($"'{call.Name}' is not a numeric function");
        }

        return result;

        decimal? Part(MacdValue m) => call.Name == "macd" ? m.Macd : call.Name == "macd_signal" ? m.Signal : m.Histogram;

        void Step<T>(T[] states, Func<T, decimal, decimal?> step)
        {
            for (var i = 0; i < map.Length; i++)
            {
                if (now![i] is { } x)
                {
                    result[i] = step(states[map[i]], x);
                }
            }
        }
    }

    /// <summary>As <see cref="NetBuying"/> at today: the stored flows of the stock's last n − 1 sessions plus today's, if stored.</summary>
    private static void TodayNetBuying(DateOnly today, ConditionHistory history, string investor, int n, string key, int[] map, decimal?[] result)
    {
        if (!history.Universe.NetBuying.TryGetValue(investor, out var byStock))
        {
            return;
        }

        var before = history.State(key, s =>
        {
            var dates = history.Universe.Bars[s].DateColumn;
            if (dates.Length < n - 1 || !byStock.TryGetValue(history.Universe.Stocks[s].Code, out var flows))
            {
                return (decimal?)null;
            }

            var sum = 0m;
            for (var j = dates.Length - (n - 1); j < dates.Length; j++)
            {
                if (!flows.TryGetValue(dates[j], out var v))
                {
                    return null;
                }

                sum += v;
            }

            return sum;
        });
        for (var i = 0; i < map.Length; i++)
        {
            if (before[map[i]] is { } sum && byStock.TryGetValue(history.Universe.Stocks[map[i]].Code, out var flows) && flows.TryGetValue(today, out var now))
            {
                result[i] = sum + now;
            }
        }
    }
}
