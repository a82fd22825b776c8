using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Features.Import;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using Npgsql;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>
/// Import and validate the bundled 986k-bar file, against the database's own bulk loader reading the same
/// CSV into an equivalent table without validation, alternating in the same run.
/// </summary>
internal static class ImportBench
{
    private const string PlainTable = """
        CREATE TABLE plain_bars (code TEXT NOT NULL, date DATE NOT NULL, open NUMERIC, high NUMERIC, low NUMERIC, close NUMERIC,
            volume BIGINT, change_pct NUMERIC, PRIMARY KEY (code, date));
        """;

    /// <summary>
    /// The PostgreSQL baseline table is equivalent to daily_bars: the same columns (those the CSV lacks get
    /// their constant by default), the same primary key and (date, basis) index, the same yearly range
    /// partitions with a default partition. Only change_pct is extra, because \copy must take every CSV column.
    /// </summary>
    private const string PostgresPlainTable = """
        CREATE TABLE plain_bars (
            code text NOT NULL, date date NOT NULL, open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL,
            close numeric NOT NULL, volume bigint NOT NULL, change_pct numeric,
            basis text NOT NULL DEFAULT 'adjusted' CHECK (basis IN ('raw', 'adjusted')),
            trading_value numeric, market_cap numeric, listed_shares bigint, no_trade boolean NOT NULL DEFAULT false,
            source text NOT NULL DEFAULT 'bundled:do0405/invest-KR (pykrx, adjusted)', fetched_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (code, date, basis)
        ) PARTITION BY RANGE (date);
        CREATE INDEX plain_bars_by_date ON plain_bars (date, basis);
        DO $$
        BEGIN
            FOR y IN 1980..2030 LOOP
                EXECUTE format('CREATE TABLE plain_bars_%s PARTITION OF plain_bars FOR VALUES FROM (%L) TO (%L)',
                    y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
            END LOOP;
        END
        $$;
        CREATE TABLE plain_bars_default PARTITION OF plain_bars DEFAULT;
        """;

    public static async Task<int> SqliteAsync(string[] args)
    {
        var runs = IntOption(args, "--runs", 3);
        var csv = PlainAdjustedHistory();
        var calendar = BundledData.LoadCalendar();
        var baseline = new List<double>();
        var ours = new List<double>();
        long rows = 0;
        for (var run = 1; run <= runs; run++)
        {
            var dir = Directory.CreateTempSubdirectory("krxhub-bench-").FullName;
            try
            {
                var db = Path.Combine(dir, "plain.db");
                var script = $"PRAGMA journal_mode=WAL;\n{PlainTable}\n.mode csv\n.import --skip 1 {csv} plain_bars\n";
                var (b, _) = RunProcess("sqlite3", db, script);
                baseline.Add(b);

                var (seconds, accepted) = await ImportOnceAsync(MarketStore.Open(null, Path.Combine(dir, "hub")), calendar, csv);
                ours.Add(seconds);
                rows = accepted;
                Print(new { bench = "import-sqlite", run, rows, baselineSeconds = Math.Round(b, 3), oursSeconds = Math.Round(seconds, 3) });
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        Summarise("import-sqlite", "sqlite3 .import", rows, baseline, ours, 0.5);
        return 0;
    }

    public static async Task<int> PostgresAsync(string[] args)
    {
        var admin = StringOption(args, "--database") ?? Environment.GetEnvironmentVariable("KRXHUB_TEST_POSTGRES")
            ?? throw new InvalidOperationException("pass --database <connection string> (or set KRXHUB_TEST_POSTGRES)");
        var runs = IntOption(args, "--runs", 3);
        var csv = PlainAdjustedHistory();
        var calendar = BundledData.LoadCalendar();
        var csb = new NpgsqlConnectionStringBuilder(admin);
        var baseline = new List<double>();
        var ours = new List<double>();
        long rows = 0;
        for (var run = 1; run <= runs; run++)
        {
            var name = $"krxhub_bench_{Guid.NewGuid():N}";
            await ExecAsync(admin, $"CREATE DATABASE {name}");
            try
            {
                var target = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
                await ExecAsync(target, PostgresPlainTable);
                var psqlArgs = $"-h {csb.Host} -p {csb.Port} -U {csb.Username} -d {name} -v ON_ERROR_STOP=1 -c \"\\copy plain_bars (code, date, open, high, low, close, volume, change_pct) FROM '{csv}' WITH (FORMAT csv, HEADER true)\"";
                var (b, _) = RunProcess("psql", psqlArgs);
                baseline.Add(b);

                var (seconds, accepted) = await ImportOnceAsync(MarketStore.Open(target, Path.GetTempPath()), calendar, csv);
                ours.Add(seconds);
                rows = accepted;
                Print(new { bench = "import-postgres", run, rows, baselineSeconds = Math.Round(b, 3), oursSeconds = Math.Round(seconds, 3) });
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await ExecAsync(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
        }

        Summarise("import-postgres", "psql \\copy", rows, baseline, ours, 0.7);
        return 0;
    }

    /// <summary>Master loaded first (not timed), then the timed part: read, validate, stage, promote.</summary>
    private static async Task<(double Seconds, long Accepted)> ImportOnceAsync(MarketStore store, KrxCalendar calendar, string csv)
    {
        await using (store)
        {
            await store.MigrateAsync(CancellationToken.None);
            var listed = MasterFiles.ReadListed(BundledData.Master);
            var delisted = MasterFiles.ReadDelisted(BundledData.Delisted);
            await store.UpsertStocksAsync([.. delisted.Records, .. listed.Records], CancellationToken.None);

            var gc = GcCounts.Now();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            using var stopTrace = new CancellationTokenSource();
            var trace = Environment.GetEnvironmentVariable("KRXHUB_BENCH_GC_TRACE") is null ? Task.CompletedTask : Task.Run(async () =>
            {
                long last = -1;
                while (!stopTrace.IsCancellationRequested)
                {
                    var info = GC.GetGCMemoryInfo(GCKind.Any);
                    if (info.Index != last)
                    {
                        last = info.Index;
                        Console.Error.WriteLine($"gc {info.Index} gen{info.Generation} {(info.Concurrent ? "bgc" : "")} promoted {info.PromotedBytes / 1048576.0:F1} MB, heap {info.HeapSizeBytes / 1048576.0:F0} MB, gen0 {info.GenerationInfo[0].SizeAfterBytes / 1048576.0:F1} gen1 {info.GenerationInfo[1].SizeAfterBytes / 1048576.0:F1} gen2 {info.GenerationInfo[2].SizeAfterBytes / 1048576.0:F1} loh {info.GenerationInfo[3].SizeAfterBytes / 1048576.0:F1} pause {info.PauseDurations[0].TotalMilliseconds:F1} ms");
                    }

                    await Task.Delay(20);
                }
            });
            var sw = Stopwatch.StartNew();
            var file = ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv });
            var summary = await new DailyBarPipeline(store, calendar, TimeProvider.System)
                .RunAsync("bench", new { }, file.ReadDailyRows(), PriceBasis.Adjusted, "bench", null, CancellationToken.None);
            sw.Stop();
            stopTrace.Cancel();
            await trace;
            // The collector's share of the import, which depends on the GC mode (workstation or server).
            Print(new { bench = "import-gc", cpuSeconds = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, 2), gc = GcCounts.Now() - gc });
            return (sw.Elapsed.TotalSeconds, summary.Accepted);
        }
    }

    private static void Summarise(string bench, string baselineName, long rows, List<double> baseline, List<double> ours, double target)
    {
        var b = Median(baseline);
        var o = Median(ours);
        var ratio = b / o;
        using var self = Process.GetCurrentProcess();
        Print(new
        {
            bench,
            summary = true,
            rows,
            baseline = baselineName,
            baselineMedianSeconds = Math.Round(b, 3),
            baselineRowsPerSecond = Math.Round(rows / b),
            oursMedianSeconds = Math.Round(o, 3),
            oursRowsPerSecond = Math.Round(rows / o),
            ratioToBaseline = Math.Round(ratio, 3),
            target = $">= {target}x baseline",
            met = ratio >= target,
            peakWorkingSetMb = Math.Round(self.PeakWorkingSet64 / 1048576.0, 1),
        });
    }

    private static async Task ExecAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
