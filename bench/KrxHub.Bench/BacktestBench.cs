using System.Diagnostics;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Features.Backtests;
using KrxHub.Features.Import;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Bench;

/// <summary>
/// sma-cross 5/20 on every stock of the bundled 986k-bar history (--codes ALL), loading the bars from SQLite, and
/// on one stock over ten years (005930, 2014-01-02..2023-12-22, real adjusted bars imported from
/// ../shared/reference). Baseline in the same run: the sqlite3 CLI scanning the same rows in the same order.
/// </summary>
internal static class BacktestBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = BenchSupport.IntOption(args, "--runs", 5);
        var dataDir = BenchSupport.StringOption(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "krxhub-bench-backtest");
        Directory.CreateDirectory(dataDir);
        var calendar = BundledData.LoadCalendar();
        await using (var setup = MarketStore.Open(null, dataDir))
        {
            await setup.MigrateAsync(CancellationToken.None);
            await BundledLoader.LoadMissingAsync(setup, calendar, TimeProvider.System, showProgress: false, CancellationToken.None);
            if ((await setup.GetBarsAsync(StockCode.Parse("005930"), new DateOnly(2014, 1, 2), new DateOnly(2014, 1, 31), PriceBasis.Adjusted, CancellationToken.None)).Count == 0)
            {
                await ImportTenYearsAsync(setup, calendar);
            }
        }

        var all = new BacktestRequest("sma-cross", new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" }, ["ALL"], "2023-12-05", "2025-06-17");
        var one = new BacktestRequest("sma-cross", new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" }, ["005930"], "2014-01-02", "2023-12-22");
        var sqlite = Path.Combine(dataDir, "krxhub.db");
        const string BaselineSql = "SELECT count(*), sum(open + high + low + close + volume) FROM (SELECT code, date, open, high, low, close, volume, no_trade FROM daily_bars WHERE basis = 'adjusted' AND +date BETWEEN '2023-11-01' AND '2025-06-17' ORDER BY code, date)";

        if (args.Contains("--simulate-only"))
        {
            // The simulation half alone, on series loaded once: isolates engine cost from storage cost.
            var plan = BacktestPlan.TryCreate(all, calendar, out var problem) ?? throw new InvalidOperationException(problem!.ToString());
            await using var store = MarketStore.Open(null, dataDir);
            var master = (await store.GetAllStocksAsync(CancellationToken.None)).ToDictionary(s => s.Code);
            var series = (await store.GetBarSeriesAsync(PriceBasis.Adjusted, new DateOnly(2023, 11, 1), new DateOnly(2025, 6, 17), null, CancellationToken.None))
                .Where(s => master.ContainsKey(s.Code)).ToList();
            var runner = new BacktestRunner(store, calendar, TimeProvider.System);
            var times = new List<double>();
            var cpu = new List<double>();
            var pauses = new List<double>();
            var allocated = new List<double>();
            var documents = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var (pauseBefore, allocatedBefore) = (GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
                var outcome = runner.Simulate(plan, series, master, TimeSpan.Zero, null, CancellationToken.None);
                times.Add(outcome.RunTime.TotalSeconds);
                cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
                pauses.Add((GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds);
                allocated.Add((GC.GetTotalAllocatedBytes() - allocatedBefore) / 1e6);
                var documentWatch = Stopwatch.StartNew();
                _ = BacktestDocument.From(outcome);
                documents.Add(documentWatch.Elapsed.TotalSeconds);
            }

            // CPU seconds are less disturbed than wall time when other work shares the machine.
            BenchSupport.Print(new
            {
                benchmark = "backtest-simulate-only",
                stocks = series.Count,
                bars = series.Sum(s => s.Count),
                runs,
                medianSeconds = Math.Round(BenchSupport.Median(times), 3),
                minSeconds = Math.Round(times.Min(), 3),
                medianCpuSeconds = Math.Round(BenchSupport.Median(cpu), 3),
                medianGcPauseSeconds = Math.Round(BenchSupport.Median(pauses), 3),
                medianAllocatedMb = Math.Round(BenchSupport.Median(allocated), 1),
                medianDocumentSeconds = Math.Round(BenchSupport.Median(documents), 3), // the result document the API keeps, after the simulation
            });
            return 0;
        }

        if (args.Contains("--phases"))
        {
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                await using var store = MarketStore.Open(null, dataDir);
                var open = sw.Elapsed.TotalSeconds;
                var stocksRead = await store.GetAllStocksAsync(CancellationToken.None);
                var master = sw.Elapsed.TotalSeconds - open;
                var series = await store.GetBarSeriesAsync(PriceBasis.Adjusted, new DateOnly(2023, 11, 1), new DateOnly(2025, 6, 17), null, CancellationToken.None);
                var read = sw.Elapsed.TotalSeconds - open - master;
                var stepOnly = Stopwatch.StartNew();
                await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "krxhub.db")}"))
                {
                    await connection.OpenAsync();
                    await using var command = connection.CreateCommand();
                    command.CommandText = "SELECT code, date FROM daily_bars WHERE basis = 'adjusted' AND +date BETWEEN '2023-11-01' AND '2025-06-17' ORDER BY code, date";
                    await using var reader = await command.ExecuteReaderAsync();
                    var n = 0;
                    while (await reader.ReadAsync())
                    {
                        n++;
                    }
                }

                BenchSupport.Print(new { open, master, masterRows = stocksRead.Count, read, series = series.Count, stepOnly = stepOnly.Elapsed.TotalSeconds });
            }

            return 0;
        }

        // The first whole-market read after a promotion rebuilds the SQLite bar-series cache: measure that once
        // (cold), then the steady state (warm) that every later backtest sees.
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sqlite};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var invalidate = connection.CreateCommand();
            invalidate.CommandText = "UPDATE bar_series_cache_state SET generation = generation + 1";
            await invalidate.ExecuteNonQueryAsync();
        }

        var (coldSeconds, coldOutcome) = await TimeAsync(all, dataDir, calendar);
        var allTimes = new List<double>();
        var allLoad = new List<double>();
        var allSim = new List<double>();
        var baseline = new List<double>();
        var oneTimes = new List<double>();
        var oneSim = new List<double>();
        int stocks = 0, bars = 0, oneBars = 0;
        for (var run = 0; run < runs; run++)
        {
            baseline.Add(BenchSupport.RunProcess("sqlite3", $"{sqlite} \"{BaselineSql}\"").Seconds);

            // Each measurement opens the store as the CLI does: a cold connection, the same runner.
            var (seconds, outcome) = await TimeAsync(all, dataDir, calendar);
            allTimes.Add(seconds);
            allLoad.Add(outcome.LoadTime.TotalSeconds);
            allSim.Add(outcome.RunTime.TotalSeconds);
            stocks = outcome.Runs!.Count;
            bars = outcome.BarsLoaded;

            var (oneSeconds, oneOutcome) = await TimeAsync(one, dataDir, calendar);
            oneTimes.Add(oneSeconds);
            oneSim.Add(oneOutcome.RunTime.TotalSeconds);
            oneBars = oneOutcome.BarsLoaded;
        }

        // The real binary end to end (process start, JIT, store, run, summary): its time and its peak memory,
        // once with the cache out of date and once warm.
        var cliArgs = $"\"{Path.Combine(AppContext.BaseDirectory, "krxhub.dll")}\" backtest --strategy sma-cross --param fast=5 --param slow=20 --codes ALL --from 2023-12-05 --to 2025-06-17 --data-dir \"{dataDir}\"";
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sqlite};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var invalidate = connection.CreateCommand();
            invalidate.CommandText = "UPDATE bar_series_cache_state SET generation = generation + 1";
            await invalidate.ExecuteNonQueryAsync();
        }

        var cliCold = BenchSupport.RunWithPeakRss("dotnet", cliArgs);
        var cliWarm = BenchSupport.RunWithPeakRss("dotnet", cliArgs);

        BenchSupport.Print(new
        {
            benchmark = "backtest-all",
            strategy = "sma-cross 5/20",
            stocks,
            bars,
            runs,
            coldCacheSeconds = Math.Round(coldSeconds, 3),
            coldCacheLoadSeconds = Math.Round(coldOutcome.LoadTime.TotalSeconds, 3),
            medianSeconds = Math.Round(BenchSupport.Median(allTimes), 3),
            medianLoadSeconds = Math.Round(BenchSupport.Median(allLoad), 3),
            medianSimulateSeconds = Math.Round(BenchSupport.Median(allSim), 3),
            baselineSqlite3ScanSeconds = Math.Round(BenchSupport.Median(baseline), 3),
            target = "< 1 s including the SQLite load",
            benchProcessPeakWorkingSetMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024),
            cliColdSeconds = Math.Round(cliCold.Seconds, 3),
            cliColdPeakRssMb = cliCold.PeakRssMb,
            cliWarmSeconds = Math.Round(cliWarm.Seconds, 3),
            cliWarmPeakRssMb = cliWarm.PeakRssMb,
            memoryTarget = "< 1 GB",
        });
        BenchSupport.Print(new
        {
            benchmark = "backtest-one-stock-ten-years",
            code = "005930",
            from = "2014-01-02",
            to = "2023-12-22",
            bars = oneBars,
            runs,
            medianMilliseconds = Math.Round(BenchSupport.Median(oneTimes) * 1000, 1),
            medianSimulateMilliseconds = Math.Round(BenchSupport.Median(oneSim) * 1000, 1),
            target = "< 20 ms",
        });
        return 0;
    }

    private static async Task<(double Seconds, BacktestOutcome Outcome)> TimeAsync(BacktestRequest request, string dataDir, KrxCalendar calendar)
    {
        var plan = BacktestPlan.TryCreate(request, calendar, out var problem) ?? throw new InvalidOperationException(problem!.ToString());
        var sw = Stopwatch.StartNew();
        await using var store = MarketStore.Open(null, dataDir);
        var outcome = await new BacktestRunner(store, calendar, TimeProvider.System).RunAsync(plan, null, CancellationToken.None);
        return (sw.Elapsed.TotalSeconds, outcome);
    }

    /// <summary>../shared/reference beside the repository: the first ancestor of the working directory that has shared/reference.</summary>
    internal static string SharedReference()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("../shared/reference not found above the working directory; run from the repository");
    }

    /// <summary>005930's real adjusted bars 2013-2023 (QuantKang) through the import pipeline, for the ten-year case.</summary>
    private static async Task ImportTenYearsAsync(MarketStore store, KrxCalendar calendar)
    {
        var source = Path.Combine(SharedReference(), "ohlcv", "quantkang_stock_data", "005930_D.csv");
        var csv = Path.Combine(Path.GetTempPath(), "krxhub-bench-005930-2013-2023.csv");
        var lines = new List<string> { "code,date,open,high,low,close,volume,change_pct" };
        decimal? previous = null;
        foreach (var line in File.ReadLines(source).Skip(1))
        {
            var f = line.Split(',');
            var date = DateOnly.ParseExact(f[0], "yyyyMMdd", CultureInfo.InvariantCulture);
            var close = decimal.Parse(f[4], CultureInfo.InvariantCulture);
            if (date.Year >= 2013 && date < new DateOnly(2023, 12, 5))
            {
                var change = previous is { } p ? Math.Round(((close / p) - 1) * 100, 4) : 0m;
                lines.Add(string.Join(',', "005930", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), f[1], f[2], f[3], f[4], f[5], change.ToString(CultureInfo.InvariantCulture)));
            }

            previous = close;
        }

        await File.WriteAllLinesAsync(csv, lines);
        var file = ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv, Source = "quantkang" });
        var summary = await ImportCommand.ImportAsync(store, calendar, TimeProvider.System, file, PriceBasis.Adjusted, show: false, CancellationToken.None);
        Console.Error.WriteLine($"imported 005930 2013..2023-12-04: {summary.Accepted} accepted, {summary.Quarantined} quarantined");
    }
}
