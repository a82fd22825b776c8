namespace KrxHub.Core.Conditions;

/// <summary>One function of the language: how many series it takes, its constant parameters (null default = required), what it yields.</summary>
public sealed record ConditionFunction(string Name, int Series, IReadOnlyList<(string Name, decimal? Default)> Parameters, ValueKind Result, bool TakesInvestor, string Description);

/// <summary>The fields and functions of the condition language (documented in docs/conditions.md).</summary>
public static class ConditionLanguage
{
    /// <summary>Daily series: today's bar (or the live bar during a session) and the stored history before it.</summary>
    public static readonly IReadOnlyList<string> NumberFields =
        ["open", "high", "low", "close", "change", "change_pct", "volume", "value", "market_cap", "listed_shares"];

    public static readonly IReadOnlyList<string> TextFields = ["market", "industry", "code", "name"];

    private static (string, decimal?) Required(string name) => (name, null);

    private static (string, decimal?) Default(string name, decimal value) => (name, value);

    public static readonly IReadOnlyList<ConditionFunction> Functions =
    [
        new("sma", 1, [Required("n")], ValueKind.Number, false, "simple moving average of x over n sessions"),
        new("avg", 1, [Required("n")], ValueKind.Number, false, "average of x over n sessions (same as sma)"),
        new("ema", 1, [Required("n")], ValueKind.Number, false, "exponential moving average (seeded with the SMA of the first n)"),
        new("rsi", 1, [Default("n", 14)], ValueKind.Number, false, "Wilder's RSI, 0–100"),
        new("macd", 1, [Default("fast", 12), Default("slow", 26), Default("signal", 9)], ValueKind.Number, false, "MACD line: ema(fast) − ema(slow)"),
        new("macd_signal", 1, [Default("fast", 12), Default("slow", 26), Default("signal", 9)], ValueKind.Number, false, "EMA of the MACD line"),
        new("macd_hist", 1, [Default("fast", 12), Default("slow", 26), Default("signal", 9)], ValueKind.Number, false, "MACD line − signal"),
        new("bb_upper", 1, [Default("n", 20), Default("k", 2)], ValueKind.Number, false, "Bollinger upper band: sma + k·σ (population)"),
        new("bb_lower", 1, [Default("n", 20), Default("k", 2)], ValueKind.Number, false, "Bollinger lower band: sma − k·σ"),
        new("atr", 0, [Default("n", 14)], ValueKind.Number, false, "Wilder's average true range of high, low, close"),
        new("highest", 1, [Required("n")], ValueKind.Number, false, "highest x over the last n sessions, today included"),
        new("lowest", 1, [Required("n")], ValueKind.Number, false, "lowest x over the last n sessions, today included"),
        new("ref", 1, [Required("k")], ValueKind.Number, false, "x k sessions ago"),
        new("cross_up", 2, [], ValueKind.Boolean, false, "a crossed above b today: a ≤ b yesterday and a > b today"),
        new("cross_down", 2, [], ValueKind.Boolean, false, "a crossed below b today: a ≥ b yesterday and a < b today"),
        new("netbuy", 0, [Required("n")], ValueKind.Number, true, "sum over n sessions of an investor type's net buying value (KRW)"),
    ];

    public static ConditionFunction? Function(string name) => Functions.FirstOrDefault(f => f.Name == name);

    /// <summary>The closest known name within two edits, for "did you mean".</summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var best = candidates.Select(c => (c, d: Distance(name, c))).Where(x => x.d <= 2).OrderBy(x => x.d).FirstOrDefault();
        return best.c;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
