using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

internal static class GcProbe
{
    public static Task<int> RunAsync(string[] args)
    {
        var csv = PlainAdjustedHistory();
        var calendar = BundledData.LoadCalendar();
        var listed = MasterFiles.ReadListed(BundledData.Master);
        var delisted = MasterFiles.ReadDelisted(BundledData.Delisted);
        var master = delisted.Records.Concat(listed.Records).ToDictionary(s => s.Code);
        var mode = args.FirstOrDefault() ?? "read";
        var chunkSize = IntOption(args, "--chunk", 2000);
        var g = GcCounts.Now();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long n = 0;
        var validator = new DailyBarValidator(calendar, master, new DateOnly(2025, 6, 30));
        foreach (var chunk in ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.PykrxCsv }).ReadDailyRows().Chunk(chunkSize))
        {
            if (mode == "validate")
            {
                var batch = validator.ApplyBatchRules(validator.ParseRows(chunk, PriceBasis.Adjusted, "bench", DateTimeOffset.UtcNow), new Dictionary<StockCode, PreviousClose>());
                n += batch.Rows.Count;
            }
            else
            {
                n += chunk.Length;
            }
        }

        Console.WriteLine($"{mode} {n} rows {sw.Elapsed.TotalSeconds:F2} s {GcCounts.Now() - g}");
        return Task.FromResult(0);
    }
}
