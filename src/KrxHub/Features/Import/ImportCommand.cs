using System.CommandLine;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Validation;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using Spectre.Console;

namespace KrxHub.Features.Import;

/// <summary>`krxhub import`: validate files and load them through the pipeline (stage → promote, bad rows to quarantine).</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.OneOrMore, Description = "Files to import (.csv, .csv.gz, .json)" };
        var format = new Option<string>("--format") { Description = "auto|pykrx-csv|fdr-csv|marcap-csv|krx-json|index-csv|krx-delisted", DefaultValueFactory = _ => "auto" };
        var basis = new Option<string?>("--basis") { Description = "raw|adjusted: the price basis of CSV files that do not fix it (pykrx, FinanceDataReader)" };
        var date = new Option<string?>("--date") { Description = "Session date of a KRX MDCSTAT01501 body (yyyy-MM-dd)" };
        var code = new Option<string?>("--code") { Description = "Stock of a single-stock file (FinanceDataReader CSV, KRX MDCSTAT02302/02303)" };
        var market = new Option<string?>("--market") { Description = "Market of a market-wide investor body (MDCSTAT02202/02203): KOSPI|KOSDAQ|KONEX" };
        var measure = new Option<string?>("--measure") { Description = "volume|value: what an investor body holds (KRX trdVolVal)" };
        var side = new Option<string?>("--side") { Description = "net|buy|sell: which side an investor body holds (KRX askBid; default net)" };
        var index = new Option<string?>("--index") { Description = "Index of an index file (bars: MDCSTAT00301 / FinanceDataReader; constituents: MDCSTAT00601): KOSPI|KOSDAQ|KOSPI200 or a KRX code (1001, 2001, 1028)" };
        var noBundled = new Option<bool>("--no-bundled") { Description = "Do not load the bundled stock master into a store that has none (price rows of unknown stocks are quarantined)" };
        var command = new Command("import", """
            Validate files row by row and load them: good rows are promoted in one transaction per file,
            rejected rows go to quarantine with their reasons. Re-importing the same file changes nothing.
            Exit code 0 when the file was processed (even with quarantined rows); 2 when a file is unreadable
            or not of the stated format, in which case nothing is written. A store with an empty stock master
            gets the bundled KRX master first (unless --no-bundled), so that rows are checked against it.

            Examples:
              krxhub import data/history/krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz
              krxhub import 005930.csv --format pykrx-csv --basis adjusted
              krxhub import 005930.csv --format fdr-csv --code 005930 --basis raw
              krxhub import MDCSTAT01501-STK-20210122.json --date 2021-01-22
              krxhub import MDCSTAT02302-005930-netbuy-value.json --code 005930 --measure value
              krxhub import MDCSTAT01901-ALL-20260414.json
              krxhub import ks11_daily_all_years.csv --index KOSPI
              krxhub import krx_MDCSTAT00601_KOSPI_constituents_20260123.csv --index 1001 --date 2026-01-23
              krxhub import data/master/krx-delisted-2026-03-20.csv
            A listing of all markets (MDCSTAT01901 with mktId ALL) is a complete listing: a stock missing from
            two of them (of different dates) is marked delisted, inferred. A delisting list sets exact dates.
            """);
        command.Arguments.Add(files);
        foreach (var o in new Option[] { format, basis, date, code, market, measure, side, index, noBundled, CalendarFiles.ExtensionFile })
        {
            command.Options.Add(o);
        }

        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var options = BuildOptions(parse.GetValue(format), parse.GetValue(date), parse.GetValue(code), parse.GetValue(market),
                parse.GetValue(measure), parse.GetValue(side), parse.GetValue(index));
            PriceBasis? requested = null;
            if (parse.GetValue(basis) is { } b)
            {
                requested = PriceBases.TryParse(b, out var pb) ? pb : throw new CliException($"--basis '{b}' is not raw or adjusted", 2);
            }

            // Check every file before writing anything.
            var opened = new List<(ImportFile File, PriceBasis? Basis)>();
            foreach (var path in parse.GetValue(files) ?? [])
            {
                try
                {
                    var file = ImportReader.Open(path, options);
                    opened.Add((file, file.Content == ImportContent.DailyBars ? ResolveBasis(file, requested) : null));
                }
                catch (ImportFormatException e)
                {
                    throw new CliException(e.Message, 2);
                }
            }

            var calendar = CalendarFiles.Load(parse);
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            if (!parse.GetValue(noBundled) && opened.Any(o => o.File.Content is not (ImportContent.Stocks or ImportContent.IndexBars)))
            {
                await BundledLoader.LoadMasterIfEmptyAsync(store, TimeProvider.System, showProgress: true, ct);
            }

            foreach (var (file, fileBasis) in opened)
            {
                var summary = await ImportAsync(store, calendar, TimeProvider.System, file, fileBasis, show: true, ct);
                PrintSummary(file, summary);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Loads one opened file through the matching pipeline.</summary>
    public static async Task<ImportSummary> ImportAsync(MarketStore store, KrxCalendar calendar, TimeProvider time, ImportFile file,
        PriceBasis? basis, bool show, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var parameters = new { file = Path.GetFullPath(file.Path), format = file.Format.Name(), bld = file.Bld, basis = basis?.Name() };
        var job = $"import:{file.Format.Name()}";
        switch (file.Content)
        {
            case ImportContent.DailyBars:
                var pipeline = new DailyBarPipeline(store, calendar, time);
                try
                {
                    return await ImportProgress.RunAsync($"import {Path.GetFileName(file.Path)}", file.Path, show, progress =>
                        pipeline.RunAsync(job, parameters, file.ReadDailyRows(), basis ?? throw new CliException("no price basis", 2),
                            file.Source, progress, ct));
                }
                catch (ImportFormatException e)
                {
                    // The file broke mid-way (truncated gzip, bad encoding): the run failed and nothing was promoted.
                    throw new CliException($"{e.Message}; nothing was written", 2);
                }

            case ImportContent.Stocks:
                return await ImportStocksAsync(store, time, job, parameters, file, ct);
            case ImportContent.Delistings:
                return await Delistings.ImportAsync(store, time, job, parameters, file.ReadDelistings(), file.Source, ct);
            case ImportContent.InvestorFlows:
                return await new InvestorFlowPipeline(store, calendar, time).RunAsync(job, parameters, file.ReadInvestorFlows(), file.Source, ct);
            case ImportContent.MarketInvestorFlows:
                return await new InvestorFlowPipeline(store, calendar, time).RunMarketAsync(job, parameters, file.ReadMarketInvestorFlows(), file.Source, ct);
            case ImportContent.IndexBars:
                return await new IndexPipeline(store, calendar, time).RunBarsAsync(job, parameters, file.ReadIndexBars(), file.Source, ct);
            case ImportContent.IndexConstituents:
                return await new IndexPipeline(store, calendar, time).RunConstituentsAsync(job, parameters, file.ReadIndexConstituents(), file.Source, ct);
            default:
                throw new CliException($"'{file.Path}' holds {file.Content}, which cannot be imported", 2);
        }
    }

    /// <summary>
    /// A listing (KRX MDCSTAT01901 or the master CSV) updates the master; stocks are never deleted. A listing of every
    /// market without rejected records is a complete listing: see <see cref="MarketStore.RecordCompleteListingAsync"/>.
    /// </summary>
    public static async Task<ImportSummary> ImportStocksAsync(MarketStore store, TimeProvider time, string job, object parameters, ImportFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var parsed = file.ReadStocks();
        // A listing describes the market on the day it was fetched (KRX CURRENT_DATETIME).
        var asOf = KrxCalendar.KstDate(file.FetchedAt);
        // KRX's listing holds stocks only: entries known only from Kiwoom's lists (ETFs …) are not its to judge.
        var complete = file.ListsAllMarkets && parsed.Rejected.Count == 0 ? new CompleteListing(asOf, CoversUnclassified: false) : null;
        return await ImportStocksAsync(store, time, job, parameters,
            parsed with { Records = parsed.Records.Select(s => s.AsOf is null ? s with { AsOf = asOf } : s).ToList() }, file.Source, complete, ct);
    }

    public static Task<ImportSummary> ImportStocksAsync(MarketStore store, TimeProvider time, string job, object parameters,
        ParsedRecords<Stock> parsed, string source, CancellationToken ct) =>
        ImportStocksAsync(store, time, job, parameters, parsed, source, null, ct);

    /// <summary>Which complete listing a listing is: its date, and whether it holds securities other than stocks (Kiwoom's lists do).</summary>
    public sealed record CompleteListing(DateOnly AsOf, bool CoversUnclassified);

    /// <summary>
    /// Upserts the records; with <paramref name="complete"/> they are every listed stock on its date, and the stocks of the
    /// master missing from them are counted absent (and, the second time, marked delisted, inferred).
    /// </summary>
    public static async Task<ImportSummary> ImportStocksAsync(MarketStore store, TimeProvider time, string job, object parameters,
        ParsedRecords<Stock> parsed, string source, CompleteListing? complete, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var runId = await store.StartRunAsync(job, System.Text.Json.JsonSerializer.Serialize(parameters), now, ct);
        try
        {
            var rejected = parsed.Rejected.Select(r => new QuarantineEntry(runId, "stocks", source, null, null, [r.Reason], r.Payload, r.Line, now)).ToList();
            if (rejected.Count > 0)
            {
                await store.QuarantineAsync(rejected, ct);
            }

            await store.UpsertStocksAsync(parsed.Records.ToList(), ct);
            var notes = complete is not null
                ? Delistings.Describe(await store.RecordCompleteListingAsync([.. parsed.Records.Select(r => r.Code)], complete.AsOf, complete.CoversUnclassified, ct),
                    complete.AsOf)
                : [];
            var byReason = parsed.Rejected.GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded, parsed.Records.Count + rejected.Count, parsed.Records.Count,
                rejected.Count, parsed.Records.Count, time.GetUtcNow(), null), CancellationToken.None);
            return new ImportSummary(runId, "stocks", parsed.Records.Count + rejected.Count, parsed.Records.Count, rejected.Count, 0, 0,
                parsed.Records.Count, 0, byReason, stopwatch.Elapsed) { Notes = notes };
        }
        catch (Exception e)
        {
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, 0, 0, 0, 0, time.GetUtcNow(), e.Message.ReplaceLineEndings(" ")), CancellationToken.None);
            throw;
        }
    }

    private static PriceBasis ResolveBasis(ImportFile file, PriceBasis? requested)
    {
        if (file.Basis is { } fixedBasis)
        {
            if (requested is { } r && r != fixedBasis)
            {
                throw new CliException($"'{Path.GetFileName(file.Path)}' ({file.Format.Name()}{(file.Bld is null ? string.Empty : " " + file.Bld)}) holds {fixedBasis.Name()} KRX prices; --basis {r.Name()} does not apply", 2);
            }

            return fixedBasis;
        }

        return requested ?? throw new CliException(
            $"'{Path.GetFileName(file.Path)}' ({file.Format.Name()}) can hold raw or adjusted prices: pass --basis raw or --basis adjusted", 2);
    }

    private static ImportOptions BuildOptions(string? format, string? date, string? code, string? market, string? measure, string? side, string? index)
    {
        var options = new ImportOptions();
        if (!ImportNames.TryParse(format ?? "auto", out ImportFormat f))
        {
            throw new CliException($"--format '{format}' is not one of auto|pykrx-csv|fdr-csv|marcap-csv|krx-json|index-csv|krx-delisted", 2);
        }

        options = options with { Format = f };
        if (date is not null)
        {
            options = options with { Date = KrxText.TryDate(date, out var d) == FieldStatus.Ok ? d : throw new CliException($"--date '{date}' is not a date; use yyyy-MM-dd", 2) };
        }

        if (code is not null)
        {
            options = options with { Code = StockCode.TryParse(code, out var c, out var error) ? c : throw new CliException($"--code: {error}", 2) };
        }

        if (market is not null)
        {
            options = options with { Market = Markets.TryParse(market, out var m) ? m : throw new CliException($"--market '{market}' is not KOSPI, KOSDAQ or KONEX", 2) };
        }

        if (measure is not null)
        {
            options = options with { Measure = ImportNames.TryParse(measure, out InvestorMeasure m) ? m : throw new CliException($"--measure '{measure}' is not volume or value", 2) };
        }

        if (index is not null)
        {
            options = options with { Index = KrxIndex.TryParse(index, out var i) ? i : throw new CliException($"--index: {KrxIndex.Explain(index)}", 2) };
        }

        if (side is not null)
        {
            options = options with { Side = ImportNames.TryParse(side, out InvestorSide s) ? s : throw new CliException($"--side '{side}' is not net, buy or sell", 2) };
        }

        return options;
    }

    private static void PrintSummary(ImportFile file, ImportSummary s)
    {
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var table = new Table().Title(Markup.Escape($"{Path.GetFileName(file.Path)} ({file.Format.Name()}{(file.Bld is null ? string.Empty : ", " + file.Bld)}) → {s.Dataset}, run {s.RunId}"))
            .AddColumns("", "rows");
        table.AddRow("read", N(s.RowsRead));
        table.AddRow("accepted", N(s.Accepted));
        if (s.NoTradeBars > 0)
        {
            table.AddRow("  of which no-trade (halt) bars", N(s.NoTradeBars));
        }

        if (s.Repaired > 0)
        {
            table.AddRow($"  of which {ReasonCodes.AdjustmentRounding} (high/low widened)", N(s.Repaired));
        }

        if (s.DuplicatesDropped > 0)
        {
            table.AddRow("identical duplicates dropped", N(s.DuplicatesDropped));
        }

        table.AddRow("quarantined", N(s.Quarantined));
        foreach (var (reason, n) in s.QuarantinedByReason.OrderByDescending(x => x.Value))
        {
            table.AddRow($"  {reason}", N(n));
        }

        table.AddRow("written (new or changed)", N(s.Changed));
        if (s.StocksUpdated > 0)
        {
            table.AddRow("stock master entries updated", N(s.StocksUpdated));
        }

        table.AddRow("unchanged", N(s.Unchanged));
        if (s.AdjustmentEvents is { } events)
        {
            table.AddRow("corporate-action events of these stocks", N(events));
        }
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 1e-3);
        table.AddRow("time", $"{s.Elapsed.TotalSeconds:F2} s ({N((long)(s.RowsRead / seconds))} rows/s)");
        AnsiConsole.Write(table);
        foreach (var note in s.Notes)
        {
            Console.WriteLine($"note: {note}");
        }
    }
}
