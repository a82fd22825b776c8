using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>Where the import time goes: reading, validating, staging and promoting the 986k-bar file.</summary>
internal static class PhaseBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = IntOption(args, "--runs", 3);
        // --database <conn>: stage and promote on PostgreSQL (a fresh database per run) instead of SQLite.
        var admin = StringOption(args, "--database");
        var csv = PlainAdjustedHistory();
        var calendar = BundledData.LoadCalendar();
        var listed = MasterFiles.ReadListed(BundledData.Master);
        var delisted = MasterFiles.ReadDelisted(BundledData.Delisted);
        var master = delisted.Records.Concat(listed.Records).ToDictionary(s => s.Code);
        var read = new List<double>();
        var validate = new List<double>();
        var stage = new List<double>();
        var promote = new List<double>();
        var stageCpu = new List<double>();
        var promoteCpu = new List<double>();
        long rows = 0;
        for (var run = 1; run <= runs; run++)
        {
            var allocated = GC.GetTotalAllocatedBytes(true);
            var sw = Stopwatch.StartNew();
            rows = ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv }).ReadDailyRows().LongCount();
            read.Add(sw.Elapsed.TotalSeconds);
            var readMb = (GC.GetTotalAllocatedBytes(true) - allocated) / 1048576.0;

            sw.Restart();
            var validator = new DailyBarValidator(calendar, master, new DateOnly(2025, 6, 30));
            var accepted = new List<DailyBar>();
            foreach (var chunk in ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv }).ReadDailyRows().Chunk(50_000))
            {
                var batch = validator.ApplyBatchRules(validator.ParseRows(chunk, PriceBasis.Adjusted, "bench", DateTimeOffset.UtcNow), new Dictionary<StockCode, PreviousClose>());
                accepted.AddRange(batch.Accepted);
            }

            validate.Add(sw.Elapsed.TotalSeconds - read[^1]);
            var validateMb = (GC.GetTotalAllocatedBytes(true) - allocated) / 1048576.0 - 2 * readMb;

            // Split of the validation cost: row-level parsing alone.
            sw.Restart();
            var allRows = ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv }).ReadDailyRows().ToList();
            var readToList = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var parsedOnly = validator.ParseRows(allRows, PriceBasis.Adjusted, "bench", DateTimeOffset.UtcNow);
            var parseSeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            validator.ApplyBatchRules(parsedOnly, new Dictionary<StockCode, PreviousClose>());
            Print(new { bench = "import-phases", run, readToListSeconds = readToList, parseRowsSeconds = parseSeconds, batchRulesSeconds = sw.Elapsed.TotalSeconds });
            allRows = null;
            parsedOnly = null;

            var dir = Directory.CreateTempSubdirectory("krxhub-phase-").FullName;
            var stageMb = 0.0;
            var database = await CreateDatabaseAsync(admin);
            try
            {
                await using var store = MarketStore.Open(database, dir);
                await store.MigrateAsync(CancellationToken.None);
                await store.UpsertStocksAsync(master.Values.ToList(), CancellationToken.None);
                var runId = await store.StartRunAsync("bench", "{}", DateTimeOffset.UtcNow, CancellationToken.None);
                if (Environment.GetEnvironmentVariable("KRXHUB_BENCH_PAUSE_BEFORE_STAGING") is not null)
                {
                    // For attaching a profiler to exactly the staging phase.
                    Console.WriteLine($"staging starts in 3 s, pid {Environment.ProcessId}");
                    await Task.Delay(3000);
                }

                allocated = GC.GetTotalAllocatedBytes(true);
                sw.Restart();
                var stageCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                foreach (var chunk in accepted.Chunk(50_000))
                {
                    await store.StageDailyBarsAsync(runId, chunk, CancellationToken.None);
                }

                stage.Add(sw.Elapsed.TotalSeconds);
                stageCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - stageCpuStart).TotalSeconds);
                stageMb = (GC.GetTotalAllocatedBytes(true) - allocated) / 1048576.0;
                sw.Restart();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                await store.PromoteDailyBarsAsync(runId, CancellationToken.None);
                promote.Add(sw.Elapsed.TotalSeconds);
                // On a busy machine the process's CPU time is steadier than the wall time (SQLite: the same work).
                promoteCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            }
            finally
            {
                Directory.Delete(dir, true);
                await DropDatabaseAsync(admin, database);
            }

            Print(new { bench = "import-phases", backend = admin is null ? "sqlite" : "postgresql", run, rows, readSeconds = read[^1], validateSeconds = validate[^1], stageSeconds = stage[^1], promoteSeconds = promote[^1], stageCpuSeconds = stageCpu[^1], promoteCpuSeconds = promoteCpu[^1], readAllocatedMb = Math.Round(readMb), validateAllocatedMb = Math.Round(validateMb), stageAllocatedMb = Math.Round(stageMb) });
        }

        Print(new
        {
            bench = "import-phases",
            summary = true,
            rows,
            readMedianSeconds = Math.Round(Median(read), 3),
            validateMedianSeconds = Math.Round(Median(validate), 3),
            stageMedianSeconds = Math.Round(Median(stage), 3),
            promoteMedianSeconds = Math.Round(Median(promote), 3),
            stageMedianCpuSeconds = Math.Round(Median(stageCpu), 3),
            promoteMedianCpuSeconds = Math.Round(Median(promoteCpu), 3),
            validateMicrosPerRow = Math.Round(Median(validate) * 1e6 / rows, 2),
            stageAndPromoteMicrosPerRow = Math.Round((Median(stage) + Median(promote)) * 1e6 / rows, 2),
        });
        return 0;
    }

    private static async Task<string?> CreateDatabaseAsync(string? admin)
    {
        if (admin is null)
        {
            return null;
        }

        var name = $"krxhub_phase_{Guid.NewGuid():N}";
        await using (var conn = new Npgsql.NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static async Task DropDatabaseAsync(string? admin, string? database)
    {
        if (admin is null || database is null)
        {
            return;
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var conn = new Npgsql.NpgsqlConnection(admin);
        await conn.OpenAsync();
        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database;
        await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
