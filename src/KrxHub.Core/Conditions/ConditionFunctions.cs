using KrxHub.Core.Indicators;

namespace KrxHub.Core.Conditions;

/// <summary>The numeric functions of the language for one stock, on the Core indicators (never a second implementation).</summary>
internal static partial class ConditionFunctions
{
    public static decimal?[] Compute(CallNode call, ConditionEvaluator evaluator, int i, int tail)
    {
        var bars = evaluator.Universe.Bars[i];
        int P(int k) => (int)call.Parameters[k];
        // Window functions need n − 1 values before each of the last `tail`; EMA-type ones the whole series (their value
        // depends on where they start).
        int Window(int n) => tail == ConditionEvaluator.Whole ? tail : tail + n - 1;
        decimal?[] Arg(int need) => evaluator.ArgumentSeries(call.Arguments[0], i, need);
        switch (call.Name)
        {
            case "sma":
            case "avg":
                return OnDefinedSuffix(Arg(Window(P(0))), v => v.Sma(P(0)));
            case "ema":
                return OnDefinedSuffix(Arg(ConditionEvaluator.Whole), v => v.Ema(P(0)));
            case "rsi":
                return OnDefinedSuffix(Arg(ConditionEvaluator.Whole), v => v.Rsi(P(0)));
            case "macd":
            case "macd_signal":
            case "macd_hist":
                return OnDefinedSuffix(Arg(ConditionEvaluator.Whole), v => [.. v.Macd(P(0), P(1), P(2)).Select(m =>
                    call.Name == "macd" ? m.Macd : call.Name == "macd_signal" ? m.Signal : m.Histogram)]);
            case "bb_upper":
            case "bb_lower":
                return OnDefinedSuffix(Arg(Window(P(0))), v => [.. v.Bollinger(P(0), call.Parameters[1]).Select(b =>
                    call.Name == "bb_upper" ? b.Upper : b.Lower)]);
            case "atr":
                // On the stock's own high, low and close: the whole stored series, like the other Wilder averages.
                return Indicator.Atr(bars.HighColumn.ToArray(), bars.LowColumn.ToArray(), bars.CloseColumn.ToArray(), P(0));
            case "highest":
            case "lowest":
                return Extreme(Arg(Window(P(0))), P(0), call.Name == "highest");
            case "ref":
                var k = P(0);
                var x = Arg(tail == ConditionEvaluator.Whole ? tail : tail + k);
                var shifted = new decimal?[x.Length];
                for (var t = k; t < x.Length; t++)
                {
                    shifted[t] = x[t - k];
                }

                return shifted;
            case "netbuy":
                return NetBuying(evaluator.Universe, call.Investor!, i, P(0), tail);
            default:
                throw new InvalidOperationException($"'{call.Name}' is not a numeric function");
        }
    }

    /// <summary>
    /// Indicators take a gap-free series: run one on the values after the last unknown one (e.g. after another indicator's
    /// warm-up), and leave the earlier positions unknown.
    /// </summary>
    private static decimal?[] OnDefinedSuffix(decimal?[] values, Func<decimal[], decimal?[]> indicator)
    {
        var start = Array.FindLastIndex(values, v => v is null) + 1;
        var result = new decimal?[values.Length];
        if (start >= values.Length)
        {
            return result;
        }

        var defined = new decimal[values.Length - start];
        for (var t = start; t < values.Length; t++)
        {
            defined[t - start] = values[t]!.Value;
        }

        var computed = indicator(defined);
        Array.Copy(computed, 0, result, start, computed.Length);
        return result;
    }

    private static decimal?[] Extreme(decimal?[] x, int n, bool highest)
    {
        var result = new decimal?[x.Length];
        for (var t = n - 1; t < x.Length; t++)
        {
            decimal? best = null;
            for (var j = t - n + 1; j <= t; j++)
            {
                if (x[j] is not { } v)
                {
                    best = null;
                    break;
                }

                best = best is not { } b ? v : highest ? Math.Max(b, v) : Math.Min(b, v);
            }

            result[t] = best;
        }

        return result;
    }

    /// <summary>The sum of n sessions' net buying value; unknown when any of those sessions has no stored flow.</summary>
    private static decimal?[] NetBuying(ScreenUniverse universe, string investor, int i, int n, int tail)
    {
        var bars = universe.Bars[i];
        var result = new decimal?[bars.Count];
        if (!universe.NetBuying.TryGetValue(investor, out var byStock) || !byStock.TryGetValue(bars.Code, out var byDate))
        {
            return result;
        }

        var dates = bars.DateColumn;
        for (var t = Math.Max(n - 1, tail == ConditionEvaluator.Whole ? 0 : dates.Length - tail); t < dates.Length; t++)
        {
            decimal sum = 0m;
            var known = true;
            for (var j = t - n + 1; j <= t && known; j++)
            {
                known = byDate.TryGetValue(dates[j], out var v);
                sum += v;
            }

            result[t] = known ? sum : null;
        }

        return result;
    }
}
