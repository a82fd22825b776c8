using System.Globalization;
using KrxHub.Core.Backtesting.Strategies;

namespace KrxHub.Core.Backtesting;

/// <summary>A shipped strategy: its name, parameters with defaults, and whether it trades one stock or a universe.</summary>
public sealed record StrategyInfo(string Name, bool SingleStock, IReadOnlyDictionary<string, string> Defaults, string Rules);

/// <summary>Turns a strategy name and --param key=value pairs into a strategy, with one-line errors for bad input.</summary>
public static class StrategyCatalog
{
    public static readonly IReadOnlyList<StrategyInfo> All =
    [
        new("sma-cross", true, new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" },
            "buy all-in when fast SMA crosses above slow SMA, sell all when it crosses below"),
        new("momentum-topn", false, new Dictionary<string, string> { ["lookback"] = "60", ["n"] = "10", ["rebalance"] = "monthly" },
            "at each month's last session hold the top-n stocks by lookback-session return, equal weight"),
        new("rsi-reversion", true, new Dictionary<string, string> { ["period"] = "14", ["low"] = "30", ["high"] = "70" },
            "buy all-in when Wilder RSI < low, sell all when RSI > high"),
        new("buy-and-hold", true, new Dictionary<string, string>(),
            "buy all-in on the first tradable session, hold to the end"),
    ];

    public static StrategyInfo? Find(string name) => All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks the parameters without building a strategy; returns the first problem or null.</summary>
    public static string? Validate(string name, IReadOnlyDictionary<string, string> parameters)
    {
        var error = TryCreateFactory(name, parameters, out _);
        return error;
    }

    /// <summary>
    /// A factory that builds a fresh strategy for a stock (single-stock strategies) or for the universe
    /// (the code is ignored), or a one-line error naming the bad parameter.
    /// </summary>
    public static string? TryCreateFactory(string name, IReadOnlyDictionary<string, string> parameters, out Func<StockCode, Strategy>? factory)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        factory = null;
        var info = Find(name);
        if (info is null)
        {
            return $"unknown strategy '{name}' (known: {string.Join(", ", All.Select(s => s.Name))})";
        }

        foreach (var key in parameters.Keys)
        {
            if (!info.Defaults.ContainsKey(key))
            {
                return info.Defaults.Count == 0
                    ? $"--param {key}: {info.Name} takes no parameters"
                    : $"--param {key}: unknown parameter of {info.Name} (known: {string.Join(", ", info.Defaults.Keys)})";
            }
        }

        string Value(string key) => parameters.TryGetValue(key, out var v) ? v : info.Defaults[key];

        switch (info.Name)
        {
            case "sma-cross":
            {
                if (Int("fast", Value("fast"), out var fast) is { } e1)
                {
                    return e1;
                }

                if (Int("slow", Value("slow"), out var slow) is { } e2)
                {
                    return e2;
                }

                if (slow <= fast)
                {
                    return $"--param slow={slow} must be greater than fast={fast}";
                }

                factory = code => new SmaCross(code, fast, slow);
                return null;
            }

            case "momentum-topn":
            {
                if (Int("lookback", Value("lookback"), out var lookback) is { } e1)
                {
                    return e1;
                }

                if (Int("n", Value("n"), out var n) is { } e2)
                {
                    return e2;
                }

                if (!string.Equals(Value("rebalance"), "monthly", StringComparison.OrdinalIgnoreCase))
                {
                    return $"--param rebalance={Value("rebalance")}: only monthly is supported";
                }

                factory = _ => new MomentumTopN(lookback, n);
                return null;
            }

            case "rsi-reversion":
            {
                if (Int("period", Value("period"), out var period) is { } e1)
                {
                    return e1;
                }

                if (Dec("low", Value("low"), out var low) is { } e2)
                {
                    return e2;
                }

                if (Dec("high", Value("high"), out var high) is { } e3)
                {
                    return e3;
                }

                if (low < 0 || high > 100 || low >= high)
                {
                    return $"--param low={low} and high={high} need 0 <= low < high <= 100";
                }

                factory = code => new RsiReversion(code, period, low, high);
                return null;
            }

            default:
                factory = code => new BuyAndHold(code);
                return null;
        }
    }

    private static string? Int(string key, string text, out int value)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < 1 || value > 10_000)
        {
            return $"--param {key}={text}: expected a whole number from 1 to 10000";
        }

        return null;
    }

    private static string? Dec(string key, string text, out decimal value)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value))
        {
            return $"--param {key}={text}: expected a number";
        }

        return null;
    }
}
