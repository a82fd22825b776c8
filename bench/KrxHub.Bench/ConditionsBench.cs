using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Features.Conditions;
using KrxHub.Features.Import;
using KrxHub.Shared;
using KrxHub.Storage;

namespace KrxHub.Bench;

/// <summary>
/// 20 conditions (indicator, flow and price expressions) over the whole listed universe per cycle. By default on live bars
/// (<see cref="LiveConditionsBench"/>); with --stored on a stored session, the way eod conditions and dated screens run:
/// a fresh evaluator per cycle (so nothing is cached across cycles), sub-expressions shared within it. The universe (the bundled 986k bars, its newest session) is loaded once and timed on its own. Baseline in
/// the same run: one trivial condition (close > 0) per cycle over the same universe.
/// </summary>
internal static class ConditionsBench
{
    public static readonly string[] Conditions =
    [
        "close > sma(close, 20) and volume > 3 * avg(volume, 20)",
        "market == KOSDAQ and change_pct between 3 and 15",
        "rsi(close) < 30",
        "rsi(close) > 70 and close > sma(close, 60)",
        "cross_up(sma(close, 5), sma(close, 20))",
        "cross_down(sma(close, 5), sma(close, 20))",
        "macd_hist(close) > 0 and ref(macd_hist(close), 1) <= 0",
        "close > bb_upper(close, 20, 2)",
        "close < bb_lower(close, 20, 2)",
        "atr(14) / close * 100 > 5",
        "close >= highest(close, 60)",
        "close <= lowest(close, 60)",
        "netbuy(foreign, 5) > 0 and close > sma(close, 20)",
        "netbuy(institution, 3) > 0 and netbuy(individual, 3) < 0",
        "volume > 5 * avg(volume, 60) and change_pct > 0",
        "close > ema(close, 12) and ema(close, 12) > ema(close, 26)",
        "change_pct < -5 and volume > 2 * avg(volume, 20)",
        "market == KOSPI and close > 100000 and change_pct > 1",
        "(high - low) / ref(close, 1) * 100 > 10",
        "close > ref(close, 5) * 1.1 and close > sma(close, 120)",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var cycles = BenchSupport.IntOption(args, "--cycles", 200);
        var dataDir = BenchSupport.StringOption(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "krxhub-bench-backtest");
        Directory.CreateDirectory(dataDir);
        var calendar = BundledData.LoadCalendar();
        await using var store = MarketStore.Open(null, dataDir);
        await store.MigrateAsync(CancellationToken.None);
        await BundledLoader.LoadMissingAsync(store, calendar, TimeProvider.System, showProgress: false, CancellationToken.None);

        var nodes = Conditions.Select(ConditionParser.Parse).ToList();
        var combined = ConditionParser.Parse(string.Join(" and ", Conditions.Select(c => $"({c})")));
        if (!args.Contains("--stored"))
        {
            return await LiveConditionsBench.RunAsync(store, calendar, nodes, combined, cycles, args.Contains("--each"));
        }

        var day = new DateOnly(2025, 6, 16);
        var loads = new List<double>();
        ScreenUniverse? universe = null;
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            universe = (await Screening.LoadAsync(store, calendar, combined, null, day, PriceBasis.Adjusted, CancellationToken.None)).Universe;
            loads.Add(sw.Elapsed.TotalMilliseconds);
        }

        var trivial = ConditionParser.Parse("close > 0");
        double Cycle(IReadOnlyList<ConditionNode> conditions)
        {
            var sw = Stopwatch.StartNew();
            var evaluator = new ConditionEvaluator(universe!);
            foreach (var c in conditions)
            {
                evaluator.Evaluate(c);
            }

            return sw.Elapsed.TotalMilliseconds;
        }

        if (args.Contains("--each"))
        {
            // Each condition alone, on a fresh evaluator: where a cycle's time goes.
            foreach (var (node, text) in nodes.Zip(Conditions))
            {
                var times = Enumerable.Range(0, 5).Select(_ => Cycle([node])).ToList();
                BenchSupport.Print(new { benchmark = "conditions-each", condition = text, medianMs = Math.Round(BenchSupport.Median(times), 2) });
            }

            return 0;
        }

        for (var i = 0; i < 10; i++)
        {
            Cycle(nodes);
            Cycle([trivial]);
        }

        var (twenty, baseline) = (new List<double>(), new List<double>());
        for (var i = 0; i < cycles; i++)
        {
            twenty.Add(Cycle(nodes));
            baseline.Add(Cycle([trivial]));
        }

        var matches = new ConditionEvaluator(universe!);
        BenchSupport.Print(new
        {
            benchmark = "conditions",
            stocks = universe!.Count,
            bars = universe.Bars.Sum(b => b.Count),
            conditions = nodes.Count,
            cycles,
            loadMedianMs = Math.Round(BenchSupport.Median(loads), 1),
            twentyP50Ms = Math.Round(BenchSupport.Percentile(twenty, 0.5), 2),
            twentyP99Ms = Math.Round(BenchSupport.Percentile(twenty, 0.99), 2),
            baselineP50Ms = Math.Round(BenchSupport.Percentile(baseline, 0.5), 3),
            baselineP99Ms = Math.Round(BenchSupport.Percentile(baseline, 0.99), 3),
            ratioP99 = Math.Round(BenchSupport.Percentile(twenty, 0.99) / BenchSupport.Percentile(baseline, 0.99), 1),
            matchesPerCondition = nodes.Select(n => matches.Evaluate(n).Matches.Count).ToArray(),
            targetP99Ms = 20,
        });
        return 0;
    }
}
