using System.Globalization;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Indicators;

/// <summary>
/// A checked-in slice of real bars (golden/{code}_D_last400.csv, copied verbatim from QuantKang/stock_data
/// by golden/make_golden.py) and the indicator values that script computed independently in Python.
/// </summary>
internal sealed class GoldenSeries
{
    // Python's Decimal at 28 significant digits and .NET decimal (28–29 significant digits, at most 28
    // decimal places) can round a quotient differently in the last digit, and every indicator divides
    // (SMA by N, EMA by its weight 2/(N+1), Wilder by N, RSI, the square root). So values are compared to a
    // relative 1e-18, with |expected| floored at 1 so values near zero (the MACD histogram) are compared to
    // an absolute 1e-18. A wrong definition is off by far more (see Golden_comparison_rejects_a_wrong_definition).
    public const decimal Tolerance = 1e-18m;

    public static readonly TheoryData<string> Codes = new() { "005930", "000660" };

    private readonly Dictionary<string, decimal?[]> expected;

    private GoldenSeries(string code, decimal[] high, decimal[] low, decimal[] close, Dictionary<string, decimal?[]> expected)
    {
        Code = code;
        High = high;
        Low = low;
        Close = close;
        this.expected = expected;
    }

    public string Code { get; }

    public decimal[] High { get; }

    public decimal[] Low { get; }

    public decimal[] Close { get; }

    public static string Folder => Path.Combine(TestPaths.RepoRoot, "tests", "KrxHub.Core.Tests", "Indicators", "golden");

    public static GoldenSeries Load(string code)
    {
        var bars = ReadCsv(Path.Combine(Folder, $"{code}_D_last400.csv"));
        var high = bars.Rows.Select(r => Parse(r[bars.Column("high")])).ToArray();
        var low = bars.Rows.Select(r => Parse(r[bars.Column("low")])).ToArray();
        var close = bars.Rows.Select(r => Parse(r[bars.Column("close")])).ToArray();

        var golden = ReadCsv(Path.Combine(Folder, $"{code}_indicators.csv"));
        Assert.Equal(
            bars.Rows.Select(r => r[bars.Column("date")]),
            golden.Rows.Select(r => r[golden.Column("date")]));
        var expected = new Dictionary<string, decimal?[]>(StringComparer.Ordinal);
        foreach (var name in golden.Header.Skip(1))
        {
            var column = golden.Column(name);
            expected[name] = golden.Rows.Select(r => r[column].Length == 0 ? (decimal?)null : Parse(r[column])).ToArray();
        }

        // 400 real bars each, or the slice was not what the script wrote.
        Assert.Equal(400, close.Length);
        return new GoldenSeries(code, high, low, close, expected);
    }

    public decimal?[] Expected(string column) => expected[column];

    /// <summary>
    /// Same warm-up (null exactly where Python has no value) and every defined value within
    /// <see cref="Tolerance"/>; returns the largest relative difference seen.
    /// </summary>
    public static decimal AssertMatches(decimal?[] expected, decimal?[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var compared = 0;
        var worst = 0m;
        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] is not { } e)
            {
                Assert.True(actual[i] is null, $"{what}[{i}]: expected warm-up null, got {actual[i]}");
                continue;
            }

            Assert.True(actual[i] is not null, $"{what}[{i}]: expected {e}, got null");
            var difference = Math.Abs(actual[i]!.Value - e) / Math.Max(Math.Abs(e), 1m);
            Assert.True(difference <= Tolerance, $"{what}[{i}]: expected {e}, got {actual[i]} (relative difference {difference})");
            worst = Math.Max(worst, difference);
            compared++;
        }

        // Guards against a vacuous pass: the longest warm-up here (MACD signal, 12/26/9) is 33 bars.
        Assert.True(compared >= expected.Length - 33, $"{what}: only {compared} values compared");
        return worst;
    }

    private static decimal Parse(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    private static Csv ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        return new Csv(lines[0].Split(','), lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToArray());
    }

    private sealed record Csv(string[] Header, string[][] Rows)
    {
        public int Column(string name)
        {
            var index = Array.IndexOf(Header, name);
            Assert.True(index >= 0, $"no column {name}");
            return index;
        }
    }
}
