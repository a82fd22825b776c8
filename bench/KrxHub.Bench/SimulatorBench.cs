using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Simulation;

namespace KrxHub.Bench;

/// <summary>
/// Events the simulated exchange generates per second of one core, driven synchronously (no timers) over the real
/// master and the last raw closes of the bundled history. Baseline in the same run: the same number of steps that only
/// draw the random numbers a step uses and allocate a tick and a book of 10 levels a side, without any KRX rule.
/// </summary>
internal static class SimulatorBench
{
    public static int Run(string[] args)
    {
        var runs = BenchSupport.IntOption(args, "--runs", 5);
        var seconds = BenchSupport.IntOption(args, "--seconds", 10);
        var rate = BenchSupport.IntOption(args, "--rate", 20_000);
        var master = MasterFiles.ReadListed(BundledData.Master).Records;
        var closes = LastCloses();
        var clock = new KrxSessionClock(BundledData.LoadCalendar());
        var start = new DateTimeOffset(2024, 2, 14, 9, 0, 0, KrxCalendar.KstOffset);

        var simulated = new List<double>();
        var baseline = new List<double>();
        long ticks = 0, books = 0;
        for (var run = 0; run < runs; run++)
        {
            // Calendar mode in the regular session of 2024-02-14: `seconds` of simulated trading at `rate` trades/s.
            var exchange = new SimulatedExchange(master, closes, clock, new FixedClock(start), new SimulatorOptions { Seed = run + 1, TradesPerSecond = rate });
            var events = new List<LiveEvent>(2 * rate + 16);
            var sw = Stopwatch.StartNew();
            ticks = books = 0;
            for (var s = 1; s <= seconds; s++)
            {
                events.Clear();
                exchange.GenerateUntil(start.AddSeconds(s), events);
                ticks += events.Count(e => e is LiveTick);
                books += events.Count(e => e is OrderBook);
            }

            simulated.Add(sw.Elapsed.TotalSeconds);
            baseline.Add(Baseline(seconds * rate, run + 1));
        }

        var median = BenchSupport.Median(simulated);
        BenchSupport.Print(new
        {
            bench = "simulator",
            stocks = closes.Count,
            simulatedSeconds = seconds,
            tradesPerSecond = rate,
            ticks,
            books,
            medianSeconds = median,
            ticksPerCoreSecond = Math.Round(ticks / median),
            eventsPerCoreSecond = Math.Round((ticks + books) / median),
            baselineMedianSeconds = BenchSupport.Median(baseline),
            ratioToBaseline = Math.Round(median / BenchSupport.Median(baseline), 2),
            runs,
        });
        return 0;
    }

    private static double Baseline(int steps, int seed)
    {
        var random = new Random(seed);
        var code = StockCode.Parse("005930");
        var sink = new List<LiveEvent>(2 * steps);
        var sw = Stopwatch.StartNew();
        var time = DateTimeOffset.UnixEpoch;
        for (var i = 0; i < steps; i++)
        {
            var price = 70_000m + random.Next(100) * 100m;
            var volume = (long)(10 * Math.Pow(1.0 - random.NextDouble(), -1 / 1.3));
            sink.Add(new LiveTick(code, time, LiveSources.Simulated, price, 0m, 0m, volume, volume, price * volume, price, price, price));
            var asks = new List<BookLevel>(10);
            var bids = new List<BookLevel>(10);
            for (var l = 0; l < 10; l++)
            {
                asks.Add(new BookLevel(price + l * 100m, (long)(random.NextDouble() * 100)));
                bids.Add(new BookLevel(price - l * 100m, (long)(random.NextDouble() * 100)));
            }

            sink.Add(new OrderBook(code, time, LiveSources.Simulated, asks, bids, 0, 0));
            if (sink.Count >= 2 * steps / 10)
            {
                sink.Clear();
            }
        }

        return sw.Elapsed.TotalSeconds;
    }

    private static Dictionary<StockCode, decimal> LastCloses()
    {
        var file = ImportReader.Open(BundledData.RawWindow, new ImportOptions());
        var closes = new Dictionary<StockCode, decimal>();
        foreach (var row in file.ReadDailyRows())
        {
            if (row.Date == "2024-02-13" && StockCode.TryParse(row.Code, out var code) &&
                decimal.TryParse(row.Close, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var close) && close > 0)
            {
                closes[code] = close;
            }
        }

        return closes;
    }
}
