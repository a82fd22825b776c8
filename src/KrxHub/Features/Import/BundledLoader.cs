using KrxHub.Core;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Features.Import;

/// <summary>
/// Loads the bundled real data into an empty store on first start: the master (listed + delisted), the raw
/// all-stocks window 2024-01-02..02-13 (marcap, raw KRX) and the 986k-bar adjusted history (pykrx/Naver).
/// Each part is one collection run; a part whose run succeeded is never loaded again, so a start that was
/// killed half-way finishes the job on the next start.
/// </summary>
public static class BundledLoader
{
    public const string MasterJob = "bundled:master";
    public const string RawWindowJob = "bundled:raw-window";
    public const string AdjustedHistoryJob = "bundled:adjusted-history";

    public static readonly DateOnly MasterAsOf = new(2026, 4, 14);
    public static readonly DateOnly DelistedAsOf = new(2026, 3, 20);

    public static async Task LoadMissingAsync(MarketStore store, KrxCalendar calendar, TimeProvider time, bool showProgress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var done = (await store.GetRunsAsync(1000, 0, ct))
            .Where(r => r.Status == RunStatus.Succeeded).Select(r => r.Job).ToHashSet(StringComparer.Ordinal);

        if (!done.Contains(MasterJob))
        {
            await LoadMasterAsync(store, time, showProgress, ct);
        }

        await LoadBarsAsync(store, calendar, time, RawWindowJob, BundledData.RawWindow, ImportFormat.MarcapCsv, PriceBasis.Raw,
            "bundled:FinanceData/marcap (KRX raw)", done, showProgress, ct);
        await LoadBarsAsync(store, calendar, time, AdjustedHistoryJob, BundledData.AdjustedHistory, ImportFormat.PykrxCsv, PriceBasis.Adjusted,
            "bundled:do0405/invest-KR (pykrx adjusted)", done, showProgress, ct);
        await LoadIndicesAsync(store, calendar, time, done, showProgress, ct);
    }

    /// <summary>The bundled index histories (KOSPI, KOSDAQ, KOSPI 200) and constituent lists, one run per file.</summary>
    public static async Task LoadIndicesAsync(MarketStore store, KrxCalendar calendar, TimeProvider time, IReadOnlySet<string> done, bool showProgress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(done);
        var pipeline = new Pipeline.IndexPipeline(store, calendar, time);
        foreach (var f in BundledData.IndexHistories.Concat(BundledData.IndexConstituents))
        {
            var job = IndexJob(f);
            if (done.Contains(job))
            {
                continue;
            }

            var options = new ImportOptions { Index = f.Index, Date = f.Date, FetchedAt = f.FetchedAt, Source = f.Source };
            var file = ImportReader.Open(f.Path, options);
            var parameters = new { file = Path.GetFileName(f.Path), index = f.Index.Code, date = f.Date };
            var s = f.Date is null
                ? await pipeline.RunBarsAsync(job, parameters, file.ReadIndexBars(), f.Source, ct)
                : await pipeline.RunConstituentsAsync(job, parameters, file.ReadIndexConstituents(), f.Source, ct);
            Say(showProgress, $"{Path.GetFileName(f.Path)}: {f.Index.NameEn} {(f.Date is null ? "bars" : "constituents")}, {s.Accepted:N0} accepted, {s.Quarantined:N0} quarantined");
        }
    }

    /// <summary>The run job of one bundled index file: bars per index, constituents per index and date.</summary>
    public static string IndexJob(BundledIndexFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Date is { } d ? $"bundled:index-constituents:{file.Index.Code}:{d:yyyy-MM-dd}" : $"bundled:index-bars:{file.Index.Code}";
    }

    /// <summary>
    /// `import` into a store whose stock master is empty: loads the bundled master first, since every price row of a
    /// stock missing from the master is quarantined as unknown_code. Returns false when the store already had stocks.
    /// </summary>
    public static async Task<bool> LoadMasterIfEmptyAsync(MarketStore store, TimeProvider time, bool showProgress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        if ((await store.GetAllStocksAsync(ct)).Count > 0)
        {
            return false;
        }

        Say(showProgress, "the stock master is empty: loading the bundled KRX master first (--no-bundled skips this)");
        await LoadMasterAsync(store, time, showProgress, ct);
        return true;
    }

    private static async Task LoadMasterAsync(MarketStore store, TimeProvider time, bool showProgress, CancellationToken ct)
    {
        var listed = MasterFiles.ReadListed(BundledData.Master);
        var delisted = MasterFiles.ReadDelisted(BundledData.Delisted);
        // The snapshot dates of the two files: a later price file or listing may update these entries.
        var all = new ParsedRecords<Stock>(
            [.. delisted.Records.Select(s => s with { AsOf = DelistedAsOf }), .. listed.Records.Select(s => s with { AsOf = MasterAsOf })],
            [.. delisted.Rejected, .. listed.Rejected]);
        var s = await ImportCommand.ImportStocksAsync(store, time, MasterJob,
            new { listed = Path.GetFileName(BundledData.Master), delisted = Path.GetFileName(BundledData.Delisted) }, all, "bundled:krx-master", ct);
        Say(showProgress, $"stock master: {listed.Records.Count:N0} listed + {delisted.Records.Count:N0} delisted stocks ({s.Quarantined:N0} records skipped)");
    }

    private static async Task LoadBarsAsync(MarketStore store, KrxCalendar calendar, TimeProvider time, string job, string path,
        ImportFormat format, PriceBasis basis, string source, HashSet<string> done, bool show, CancellationToken ct)
    {
        if (done.Contains(job))
        {
            return;
        }

        var file = ImportReader.Open(path, new ImportOptions { Format = format, Source = source });
        var pipeline = new Pipeline.DailyBarPipeline(store, calendar, time);
        var summary = await ImportProgress.RunAsync($"bundled {basis.Name()} bars", path, show, progress =>
            pipeline.RunAsync(job, new { file = Path.GetFileName(path), basis = basis.Name() }, file.ReadDailyRows(), basis, source, progress, ct));
        var reasons = string.Join(", ", summary.QuarantinedByReason.Select(kv => $"{kv.Key} {kv.Value:N0}"));
        Say(show, $"{Path.GetFileName(path)}: {summary.Accepted:N0} bars accepted, {summary.Quarantined:N0} quarantined{(reasons.Length > 0 ? $" ({reasons})" : string.Empty)} in {summary.Elapsed.TotalSeconds:F1} s");
    }

    private static void Say(bool show, string line)
    {
        if (show)
        {
            Console.WriteLine(line);
        }
    }
}
