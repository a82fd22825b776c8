using System.Diagnostics;
using System.Globalization;
using System.Text;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Features.Collection;
using KrxHub.Features.Import;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;
using KrxHub.Tests.Collection;

namespace KrxHub.Bench;

/// <summary>
/// The scheduled end-of-day collection (ka10081 daily bars + ka10059 investor flows of every listed stock of the bundled
/// master, batches of 200 stocks per promotion) against the fake Kiwoom server hosted here, at the real 5 requests/s limit.
/// Same-run baseline: the limiter alone (plain HTTP requests to the same server through the same kind of limiter). Then the
/// pipeline on the same rows without HTTP: validation + staging + promotion per row, median of --runs fresh stores.
/// </summary>
internal static class CollectBench
{
    private static readonly DateOnly Session = new(2024, 2, 13);

    public static async Task<int> RunAsync(string[] args)
    {
        var stocks = BenchSupport.IntOption(args, "--stocks", 2800);
        var runs = BenchSupport.IntOption(args, "--runs", 5);
        var baselineRequests = BenchSupport.IntOption(args, "--baseline-requests", 100);
        var rate = double.Parse(BenchSupport.StringOption(args, "--rate") ?? "5", CultureInfo.InvariantCulture);
        var calendar = BundledData.LoadCalendar();
        var codes = MasterFiles.ReadListed(BundledData.Master).Records
            .Where(s => s.ListingDate is null || s.ListingDate <= Session)
            .Select(s => s.Code).OrderBy(c => c.Value, StringComparer.Ordinal).Take(stocks).ToList();

        await using var market = await KiwoomMarket.StartAsync();
        var settings = KiwoomMarket.Settings(market.Environment(rate));

        // 1. The end-of-day collection at the limit, as the scheduler runs it.
        var root = Directory.CreateTempSubdirectory("krxhub-bench-collect-").FullName;
        try
        {
            await using var store = await FreshStoreAsync(Path.Combine(root, "eod"));
            var jobs = new CollectionJobs(store, calendar, TimeProvider.System, settings,
                KiwoomWiring.CreateClient(settings.Kiwoom!, store, TimeProvider.System, null));
            Console.Error.WriteLine($"collect-eod: {codes.Count:N0} stocks × (ka10081 + ka10059) at {rate:0.##}/s ≈ {TimeSpan.FromSeconds(codes.Count * 2 / rate):hh\\:mm\\:ss}");
            market.Server.Arrivals.Clear();
            var wall = Stopwatch.StartNew();
            var outcomes = new List<CollectionOutcome>();
            foreach (var dataset in new[] { CollectDataset.Daily, CollectDataset.Investors })
            {
                var request = new CollectionRequest(dataset, Session, Session)
                {
                    Codes = codes,
                    SkipCompleted = true,
                    BatchUnits = CollectionScheduler.BatchUnits,
                    Trigger = "schedule",
                };
                var units = await jobs.PlanAsync(request, CancellationToken.None);
                outcomes.Add(await jobs.RunAsync(request, units, new Progress<CollectionProgress>(p =>
                {
                    if (p.Promoted)
                    {
                        Console.Error.WriteLine($"  {dataset.Name()}: {CollectionProgressDisplay.Describe(p)} after {wall.Elapsed.TotalSeconds:F0} s");
                    }
                }), CancellationToken.None));
            }

            wall.Stop();
            var requests = market.Server.Arrivals.Count;
            var achieved = requests / wall.Elapsed.TotalSeconds;
            var permits = Math.Max(1, (int)Math.Floor(rate));
            var (steady, busiest) = ArrivalRates(market.Server.Arrivals.Select(a => a.Timestamp).Order().ToList(), permits);
            BenchSupport.Print(new
            {
                bench = "collect-eod",
                stocks = codes.Count,
                requests,
                wall_s = Math.Round(wall.Elapsed.TotalSeconds, 1),
                achieved_rps = Math.Round(achieved, 3),
                limit_rps = rate,
                pct_of_limit = Math.Round(100 * achieved / rate, 1),
                arrivals_rps = Math.Round(steady, 3),
                max_in_any_second = busiest,
                daily_bars = outcomes[0].Accepted,
                investor_rows = outcomes[1].Accepted,
                quarantined = outcomes.Sum(o => o.Quarantined),
                promotions = outcomes.Sum(o => o.Runs.Count),
            });

            // 2. Same-run baseline: the limiter alone, the same HTTP client stack and server, no parsing and no store.
            market.Server.Arrivals.Clear();
            using var http = new HttpClient();
            var limiter = new RequestRateLimiter(rate, TimeProvider.System, settings.Kiwoom!.RateWindowMargin);
            var baseline = Stopwatch.StartNew();
            for (var i = 0; i < baselineRequests; i++)
            {
                using var lease = await limiter.AcquireAsync(CancellationToken.None);
                using var content = new StringContent("""{"stk_cd":"005930"}""", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri(market.Server.BaseUrl + "/api/dostk/stkinfo"), content);
                await response.Content.ReadAsStringAsync();
            }

            baseline.Stop();
            var (baselineSteady, baselineBusiest) = ArrivalRates(market.Server.Arrivals.Select(a => a.Timestamp).Order().ToList(), permits);
            BenchSupport.Print(new
            {
                bench = "collect-eod-baseline",
                what = "limiter alone",
                requests = baselineRequests,
                wall_s = Math.Round(baseline.Elapsed.TotalSeconds, 1),
                arrivals_rps = Math.Round(baselineSteady, 3),
                max_in_any_second = baselineBusiest,
                collection_vs_baseline = Math.Round(steady / baselineSteady, 3),
            });

            // 3. The pipeline on the same rows without HTTP: fetch them once quickly, then validate + stage + promote.
            var fast = KiwoomMarket.Settings(market.Environment(1000)).Kiwoom!;
            await using var scratch = await FreshStoreAsync(Path.Combine(root, "fetch"));
            var client = new KiwoomClient(new HttpClient(), fast, TimeProvider.System, new KiwoomRateLimiter(1000, TimeProvider.System));
            var dailyRows = new List<RawDailyRow>();
            var flows = new List<InvestorFlow>();
            var dailyFetch = new DailyBarsCollector(client, scratch, calendar, TimeProvider.System, PriceBasis.Raw, Session);
            var flowFetch = new InvestorFlowsCollector(client, scratch, calendar, TimeProvider.System, KiwoomFlowMeasure.Value);
            foreach (var code in codes)
            {
                var unit = new BackfillUnit("daily", "raw", code.Value, Session, Session);
                dailyRows.AddRange((await dailyFetch.FetchAsync(unit, CancellationToken.None)).Items);
                flows.AddRange((await flowFetch.FetchAsync(unit with { Dataset = "investors" }, CancellationToken.None)).Items);
            }

            var dailyTimes = new List<double>();
            var flowTimes = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                await using var target = await FreshStoreAsync(Path.Combine(root, $"pipeline-{run}"));
                var sw = Stopwatch.StartNew();
                await new DailyBarsCollector(client, target, calendar, TimeProvider.System, PriceBasis.Raw, Session)
                    .PromoteAsync("bench", new { }, dailyRows, [], CancellationToken.None);
                dailyTimes.Add(sw.Elapsed.TotalSeconds);
                sw.Restart();
                await new InvestorFlowsCollector(client, target, calendar, TimeProvider.System, KiwoomFlowMeasure.Value)
                    .PromoteAsync("bench", new { }, flows, [], CancellationToken.None);
                flowTimes.Add(sw.Elapsed.TotalSeconds);
            }

            var dailyPerRow = BenchSupport.Median(dailyTimes) / Math.Max(1, dailyRows.Count);
            var flowPerRow = BenchSupport.Median(flowTimes) / Math.Max(1, flows.Count);
            BenchSupport.Print(new
            {
                bench = "collect-eod-pipeline",
                runs,
                daily_rows = dailyRows.Count,
                daily_s = dailyTimes.Select(t => Math.Round(t, 3)),
                daily_us_per_row = Math.Round(dailyPerRow * 1e6, 1),
                investor_rows = flows.Count,
                investor_s = flowTimes.Select(t => Math.Round(t, 3)),
                investor_us_per_row = Math.Round(flowPerRow * 1e6, 1),

                // One request brings one daily row or one day of ~12 investor rows; a request at the limit takes 1/rate s.
                daily_share_of_request_budget_pct = Math.Round(100 * dailyPerRow * rate, 3),
                investor_share_of_request_budget_pct = Math.Round(100 * flowPerRow * flows.Count / Math.Max(1, codes.Count) * rate, 3),
            });
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// The steady rate between the first and the last arrival at the server: the limiter lets a first burst of
    /// <paramref name="permits"/> through at once, so (arrivals − permits) / span is the rate whatever the run's length.
    /// Also the most requests that arrived within any one second (the limit says at most <paramref name="permits"/>).
    /// </summary>
    private static (double Rate, int Busiest) ArrivalRates(List<long> stamps, int permits)
    {
        if (stamps.Count <= permits)
        {
            return (0, stamps.Count);
        }

        var busiest = 0;
        for (int first = 0, last = 0; last < stamps.Count; last++)
        {
            while (Stopwatch.GetElapsedTime(stamps[first], stamps[last]) >= TimeSpan.FromSeconds(1))
            {
                first++;
            }

            busiest = Math.Max(busiest, last - first + 1);
        }

        return ((stamps.Count - permits) / Stopwatch.GetElapsedTime(stamps[0], stamps[^1]).TotalSeconds, busiest);
    }

    /// <summary>A new SQLite store holding the bundled master, as a hub has it before its first collection.</summary>
    private static async Task<MarketStore> FreshStoreAsync(string directory)
    {
        var store = MarketStore.Open(null, directory);
        await store.MigrateAsync(CancellationToken.None);
        var listed = MasterFiles.ReadListed(BundledData.Master);
        await ImportCommand.ImportStocksAsync(store, TimeProvider.System, BundledLoader.MasterJob, new { },
            new ParsedRecords<Stock>([.. listed.Records.Select(s => s with { AsOf = BundledLoader.MasterAsOf })], []), "bundled:krx-master", CancellationToken.None);
        return store;
    }
}
