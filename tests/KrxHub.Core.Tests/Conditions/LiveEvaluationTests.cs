using System.Globalization;
using System.IO.Compression;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Conditions;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Conditions;

/// <summary>
/// Live evaluation (today's bar alone on a prepared history, one step per function) against whole-series evaluation over the
/// history plus today's bar, on the bundled real bars (2,761 stocks): the same truth for every stock and the same value for
/// every field and function of every condition.
/// </summary>
public class LiveEvaluationTests
{
    private const int Window = 160;

    private static readonly Lazy<(Dictionary<StockCode, BarSeries> Series, DateOnly[] Sessions, Dictionary<StockCode, Market> Markets)> Data = new(Load);

    // Shared by the cases of the class (xUnit runs them one at a time), as a scheduler cycle shares one evaluator per universe.
    private static readonly Lazy<(ConditionEvaluator, ConditionEvaluator)> CrashDay = new(() => Evaluators(new DateOnly(2024, 8, 5)));
    private static readonly Lazy<(ConditionEvaluator, ConditionEvaluator)> LastDay = new(() => Evaluators(new DateOnly(2025, 6, 17)));

    public static readonly TheoryData<string> Conditions =
    [
        "close > sma(close, 20) and volume > 3 * avg(volume, 20)",
        "market == KOSDAQ and change_pct between 3 and 15",
        "rsi(close) < 30",
        "rsi(close) > 70 and close > sma(close, 60)",
        "cross_up(sma(close, 5), sma(close, 20))",
        "cross_down(sma(close, 5), sma(close, 20))",
        "macd_hist(close) > 0 and ref(macd_hist(close), 1) <= 0",
        "macd(close) > macd_signal(close, 12, 26, 9)",
        "close > bb_upper(close, 20, 2) or close < bb_lower(close, 20, 2)",
        "atr(14) / close * 100 > 5",
        "close >= highest(close, 60) or close <= lowest(close, 60)",
        "high >= highest(high, 1) and low <= lowest(low, 1)",
        "netbuy(foreign, 5) > 0 and close > sma(close, 20)",
        "netbuy(foreign, 1) > 0 or netbuy(individual, 3) < 0",
        "close > ema(close, 12) and ema(close, 12) > ema(close, 26)",
        "change_pct < -5 and volume > 2 * avg(volume, 20)",
        "(high - low) / ref(close, 1) * 100 > 10 or -change > 1000",
        "close > ref(close, 5) * 1.1 and close > sma(close, 120)",
        "sma(rsi(close, 14), 5) > 50 and ema(rsi(close), 3) < 60",
        "cross_up(close, bb_upper(close, 20, 2)) or cross_down(ema(close, 5), sma(close, 10))",
        "highest(ref(close, 1), 10) < close and ref(close, 2) < ref(close, 1)",
        "value > 0 or not (open < close)",
    ];

    [Theory]
    [MemberData(nameof(Conditions))]
    public void Live_evaluation_equals_whole_series_evaluation_on_a_crash_day_and_on_the_last_day(string expression)
    {
        var node = ConditionParser.Parse(expression);
        foreach (var (whole, live) in new[] { CrashDay.Value, LastDay.Value })
        {
            var day = live.Universe.Date;
            var (expected, actual) = (whole.Evaluate(node), live.Evaluate(node));
            Assert.Equal(whole.Universe.Stocks.Select(s => s.Code), live.Universe.Stocks.Select(s => s.Code));
            Assert.True(expected.Matches.Count + expected.NotEnoughHistory > 0 || expected.Truth.Count > 1000, "the day has a universe");
            for (var i = 0; i < whole.Universe.Count; i++)
            {
                var code = whole.Universe.Stocks[i].Code;
                Assert.True(expected.Truth[i] == actual.Truth[i], $"{day} {code}: whole {expected.Truth[i]}, live {actual.Truth[i]}");
                var (want, got) = (whole.ValuesOf(expected, i), live.ValuesOf(actual, i));
                Assert.Equal(want.Count, got.Count);
                for (var v = 0; v < want.Count; v++)
                {
                    Assert.True(want[v] == got[v], $"{day} {code} {want[v].Expression}: whole {want[v]}, live {got[v]}");
                }
            }
        }
    }

    [Fact]
    public void The_crash_day_has_matches_for_the_oversold_and_falling_conditions()
    {
        // 2024-08-05: KOSPI −8.77 %. A check that the comparison above compares something.
        var (_, live) = CrashDay.Value;
        Assert.True(live.Evaluate(ConditionParser.Parse("change_pct < -5 and volume > 2 * avg(volume, 20)")).Matches.Count > 300);
        Assert.True(live.Evaluate(ConditionParser.Parse("rsi(close) < 30")).Matches.Count > 500);
    }

    /// <summary>The whole-series evaluator over bars [day − window, day] and the live one over the bars before day plus day's bar.</summary>
    private static (ConditionEvaluator Whole, ConditionEvaluator Live) Evaluators(DateOnly day)
    {
        var (series, sessions, markets) = Data.Value;
        var at = Array.IndexOf(sessions, day);
        var from = sessions[at - Window + 1];
        var before = sessions[at - 1];
        var stocks = series.Keys.OrderBy(c => c.Value, StringComparer.Ordinal)
            .Select(c => new Stock(c, c.Value, markets.GetValueOrDefault(c, Market.Kospi), null)).ToList();
        var traded = stocks.Where(s => series[s.Code].CountOnOrBefore(day) > series[s.Code].CountOnOrBefore(before)).ToList();

        var wholeBars = traded.Select(s => series[s.Code].Slice(from, day)).ToList();
        var flows = Flows(wholeBars);
        var whole = Universe(day, traded, wholeBars, flows);
        var history = new ConditionHistory(Universe(before, stocks, [.. stocks.Select(s => series[s.Code].Slice(from, before))], flows));
        var live = new ConditionEvaluator(Universe(day, traded, [.. wholeBars.Select(b => b.Slice(day, day))], null), history);
        return (new ConditionEvaluator(whole), live);
    }

    /// <summary>A universe without today's scalars (value, market cap, listed shares): the bars alone decide here.</summary>
    private static ScreenUniverse Universe(DateOnly date, List<Stock> stocks, List<BarSeries> bars,
        IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>? flows) => new()
    {
        Date = date,
        Stocks = stocks,
        Bars = bars,
        TradingValue = new decimal?[stocks.Count],
        MarketCap = new decimal?[stocks.Count],
        ListedShares = new decimal?[stocks.Count],
        NetBuying = flows ?? new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>(),
    };

    /// <summary>
    /// Net buying per stock and day for two investor types. Real investor flows do not overlap the bundled bars, and only the
    /// agreement of the two evaluations matters here, so the flows are derived from each real bar: (close − open) × volume
    /// for "foreign", its negation for "individual"; a few days are left out so that missing flows are exercised too.
    /// </summary>
    private static IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>> Flows(IEnumerable<BarSeries> bars)
    {
        var foreign = new Dictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>();
        var individual = new Dictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>();
        foreach (var s in bars)
        {
            var f = new Dictionary<DateOnly, decimal>();
            for (var t = 0; t < s.Count; t++)
            {
                if (s.DateAt(t).Day != 13)
                {
                    f[s.DateAt(t)] = (s.CloseAt(t) - s.OpenAt(t)) * s.VolumeAt(t);
                }
            }

            foreign[s.Code] = f;
            individual[s.Code] = f.ToDictionary(p => p.Key, p => -p.Value);
        }

        return new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>> { ["foreign"] = foreign, ["individual"] = individual };
    }

    private static (Dictionary<StockCode, BarSeries>, DateOnly[], Dictionary<StockCode, Market>) Load()
    {
        using var file = File.OpenRead(TestPaths.Data("history", "krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz"));
        using var reader = new StreamReader(new GZipStream(file, CompressionMode.Decompress));
        reader.ReadLine();
        var rows = new List<string[]>();
        while (reader.ReadLine() is { } line)
        {
            rows.Add(line.Split(','));
        }

        decimal D(string s) => decimal.Parse(s, CultureInfo.InvariantCulture);
        var series = rows.GroupBy(r => r[0]).ToDictionary(g => StockCode.Parse(g.Key), g =>
        {
            var bars = g.OrderBy(r => r[1], StringComparer.Ordinal).ToArray();
            return new BarSeries(StockCode.Parse(g.Key), PriceBasis.Adjusted, [.. bars.Select(r => DateOnly.Parse(r[1], CultureInfo.InvariantCulture))],
                [.. bars.Select(r => D(r[2]))], [.. bars.Select(r => D(r[3]))], [.. bars.Select(r => D(r[4]))], [.. bars.Select(r => D(r[5]))],
                [.. bars.Select(r => long.Parse(r[6], CultureInfo.InvariantCulture))]);
        });
        var sessions = rows.Select(r => r[1]).Distinct().Order(StringComparer.Ordinal).Select(d => DateOnly.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var markets = new Dictionary<StockCode, Market>();
        foreach (var line in File.ReadLines(TestPaths.Data("master", "krx-master-2026-04-14.csv")).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length > 3 && StockCode.TryParse(f[1], out var code))
            {
                markets[code] = f[3] == "KOSDAQ" ? Market.Kosdaq : f[3] == "KONEX" ? Market.Konex : Market.Kospi;
            }
        }

        return (series, sessions, markets);
    }
}
