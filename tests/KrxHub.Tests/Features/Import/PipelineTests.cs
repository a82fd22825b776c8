using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Pipeline;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>The import pipeline end to end on real bars, on both backends.</summary>
public class PipelineTests
{
    private const string Header = "code,date,open,high,low,close,volume,change_pct";

    private static readonly string[] Codes = ["000660", "005930", "035720"];

    /// <summary>Real raw bars of three KOSPI stocks, 2024-01-02..09: 18 rows.</summary>
    private static List<string> GoodRows() => TestData.RealRawRows(Codes, new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 9));

    /// <summary>One bad row per reason code (two for the conflicting duplicate), and one no-trade row that is not an error.</summary>
    private static readonly (string Row, string Reason)[] Injected =
    [
        ("005930,2024-01-10,,77700,74300,74700,1000,0", ReasonCodes.MissingField),
        ("005930,2024-01-11,77400,77700,74300,7470O,1000,0", ReasonCodes.NonNumericField),
        ("5930,2024-01-02,78200,79800,78200,79600,17142847,1.4", ReasonCodes.InvalidCode),
        ("000660,2024-01-10,180000,180000,180000,180000,1000,31.0", ReasonCodes.OutsidePriceLimit), // prev close 137,400 → upper limit 178,600
        ("000660,2024-01-11,0,139500,136600,137400,1000,0", ReasonCodes.NonPositivePrice),
        ("000660,2024-01-12,137000,139500,136600,137400,-5,0", ReasonCodes.NegativeVolume),
        ("035720,2024-01-10,58500,59200,58800,58700,1000,0", ReasonCodes.OhlcInconsistent),
        ("035720,2024-01-06,58500,59200,58300,58700,1000,0", ReasonCodes.NotASession),
        ("035720,2025-07-01,58500,59200,58300,58700,1000,0", ReasonCodes.FutureDate),
        ("999990,2024-01-02,1000,1000,1000,1000,10,0", ReasonCodes.UnknownCode),
        ("005930,2024-01-12,73000,74000,72800,73600,1000,0", ReasonCodes.ConflictingDuplicate),
        ("005930,2024-01-12,73000,74000,72800,73700,1000,0", ReasonCodes.ConflictingDuplicate),
        ("035720,2024-01-11,58500,59200,58300,58750,1000,0", ReasonCodes.OffTickGrid),
    ];

    private const string NoTradeRow = "035720,2024-01-12,0,0,0,58700,0,0";

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_real_file_with_injected_bad_rows_lands_its_good_rows_and_quarantines_each_bad_row(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var good = GoodRows();
        Assert.Equal(18, good.Count);
        var lines = new List<string> { Header };
        lines.AddRange(good);
        lines.AddRange(Injected.Select(i => i.Row));
        lines.Add(NoTradeRow);
        var path = TestData.TempFile(test.DataDirectory, "injected.csv", lines);

        var summary = await TestData.ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);

        Assert.Equal(good.Count + Injected.Length + 1, summary.RowsRead);
        Assert.Equal(good.Count + 1, summary.Accepted);
        Assert.Equal(Injected.Length, summary.Quarantined);
        Assert.Equal(1, summary.NoTradeBars);
        foreach (var reason in ReasonCodes.All)
        {
            var expected = Injected.Count(i => i.Reason == reason);
            var rows = await store.GetQuarantineAsync(null, reason, 100, 0, CancellationToken.None);
            Assert.True(expected <= rows.Count, $"{reason}: expected {expected} quarantined, found {rows.Count}");
            foreach (var (row, _) in Injected.Where(i => i.Reason == reason))
            {
                Assert.Contains(rows, q => q.Payload == row && q.Reasons.Contains(reason));
            }
        }

        var stored = await TestData.AllBarsAsync(store);
        Assert.Equal(good.Count + 1, stored.Count);
        var samsung = await store.GetBarsAsync(StockCode.Parse("005930"), new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 2), PriceBasis.Raw, CancellationToken.None);
        Assert.Equal(79600m, Assert.Single(samsung).Close);
        var halt = await store.GetBarsAsync(StockCode.Parse("035720"), new DateOnly(2024, 1, 12), new DateOnly(2024, 1, 12), PriceBasis.Raw, CancellationToken.None);
        Assert.True(Assert.Single(halt).NoTrade);

        var run = (await store.GetRunsAsync(10, 0, CancellationToken.None)).First(r => r.Id == summary.RunId);
        Assert.Equal("succeeded", run.Status);
        Assert.Equal(Injected.Length, run.RowsQuarantined);
    }

    /// <summary>
    /// The pipeline validates 1,000-row chunks and stages 25,000 bars per transaction. A repeat of a row far down the file
    /// (another chunk, another staging batch) is dropped when identical; a different version takes both versions out,
    /// whether the first one was already staged or still waiting for its staging batch.
    /// </summary>
    [Theory]
    [MemberData(nameof(Backends.Loads), MemberType = typeof(Backends))]
    public async Task Duplicates_across_chunks_and_staging_batches_are_dropped_or_quarantined(string backend, bool firstLoad)
    {
        var rows = TestData.RealRawRows(null, new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 16)); // every stock, 11 sessions
        Assert.InRange(rows.Count, DailyBarPipeline.StagingBatchSize + DailyBarPipeline.ChunkSize, 40_000);

        await using var clean = await TestStore.CreateAsync(backend);
        await using var cleanStore = await clean.OpenAsync();
        await TestData.LoadMasterAsync(cleanStore);
        if (!firstLoad)
        {
            await TestData.SeedBasisAsync(cleanStore, clean.DataDirectory, PriceBasis.Raw);
        }

        await TestData.ImportAsync(cleanStore, TestData.TempFile(clean.DataDirectory, "clean.csv", [Header, .. rows]),
            new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);
        var cleanBars = await TestData.AllBarsAsync(cleanStore);

        static string Changed(string row)
        {
            var f = row.Split(',');
            f[6] = (long.Parse(f[6], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return string.Join(',', f);
        }

        var staged = rows[10];    // staged with the first batch long before its second version arrives
        var pending = rows[1_500]; // second version two chunks later, while the first still waits for its batch
        var identical = rows[20];
        var lines = new List<string> { Header };
        lines.AddRange(rows.Take(2_500));
        lines.Add(Changed(pending));
        lines.AddRange(rows.Skip(2_500));
        lines.Add(identical);
        lines.Add(Changed(staged));

        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        if (!firstLoad)
        {
            await TestData.SeedBasisAsync(store, test.DataDirectory, PriceBasis.Raw);
        }

        var summary = await TestData.ImportAsync(store, TestData.TempFile(test.DataDirectory, "repeats.csv", lines),
            new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);

        Assert.Equal(rows.Count + 3, summary.RowsRead);
        Assert.Equal(1, summary.DuplicatesDropped);
        Assert.Equal(4, summary.QuarantinedByReason[ReasonCodes.ConflictingDuplicate]);
        static string Key(string row) => string.Join(',', row.Split(',').Take(2)) + ",";
        var expected = cleanBars.Where(b => !b.StartsWith(Key(staged), StringComparison.Ordinal) && !b.StartsWith(Key(pending), StringComparison.Ordinal)).ToList();
        Assert.Equal(cleanBars.Count - 2, expected.Count);
        Assert.Equal(expected, await TestData.AllBarsAsync(store));
        Assert.Equal(4, (await store.GetQuarantineAsync(null, ReasonCodes.ConflictingDuplicate, 100, 0, CancellationToken.None)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Importing_the_same_file_twice_changes_nothing(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var path = TestData.TempFile(test.DataDirectory, "twice.csv", [Header, .. GoodRows(), .. Injected.Select(i => i.Row)]);

        var first = await TestData.ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);
        var before = await TestData.AllBarsAsync(store, withFetchedAt: true);
        var quarantinedBefore = (await store.GetQuarantineAsync(null, null, 1000, 0, CancellationToken.None)).Count;

        var later = new FixedTime(FixedTime.Default.GetUtcNow().AddHours(5));
        var second = await TestData.ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw, later);

        Assert.Equal(18, first.Changed);
        Assert.Equal(0, second.Changed);
        Assert.Equal(18, second.Unchanged);
        Assert.Equal(before, await TestData.AllBarsAsync(store, withFetchedAt: true));
        Assert.Equal(quarantinedBefore, (await store.GetQuarantineAsync(null, null, 1000, 0, CancellationToken.None)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_corrected_row_replaces_the_old_one_with_its_new_fetch_time(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var good = GoodRows();
        var path = TestData.TempFile(test.DataDirectory, "v1.csv", [Header, .. good]);
        await TestData.ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw);

        // The source later corrects 005930's 2024-01-03 volume (after-hours trades were missing).
        var corrected = good.Select(r => r.StartsWith("005930,2024-01-03,", StringComparison.Ordinal) ? r.Replace(",21753644,", ",21760000,", StringComparison.Ordinal) : r).ToList();
        Assert.NotEqual(good, corrected);
        var path2 = TestData.TempFile(test.DataDirectory, "v2.csv", [Header, .. corrected]);
        var later = new FixedTime(FixedTime.Default.GetUtcNow().AddDays(1));
        var summary = await TestData.ImportAsync(store, path2, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw, later);

        Assert.Equal(1, summary.Changed);
        var bars = await store.GetBarsAsync(StockCode.Parse("005930"), new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 4), PriceBasis.Raw, CancellationToken.None);
        Assert.Equal(21760000, bars[1].Volume);
        Assert.Equal(later.GetUtcNow(), bars[1].FetchedAt);
        Assert.Equal(FixedTime.Default.GetUtcNow(), bars[0].FetchedAt);
        Assert.Equal(FixedTime.Default.GetUtcNow(), bars[2].FetchedAt);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Raw_and_adjusted_bars_of_one_stock_are_separate_series(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        // 068270 Celltrion on 2024-01-02: adjusted close 212,969 (pykrx/Naver), raw close 231,500 (KRX).
        var adjusted = TestData.TempFile(test.DataDirectory, "adj.csv", [Header, "068270,2024-01-02,187209,221708,187209,212969,6505933,14.8886"]);
        await TestData.ImportAsync(store, adjusted, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Adjusted);
        await TestData.ImportAsync(store, Shared.BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });

        var code = StockCode.Parse("068270");
        var day = new DateOnly(2024, 1, 2);
        Assert.Equal(212969m, Assert.Single(await store.GetBarsAsync(code, day, day, PriceBasis.Adjusted, CancellationToken.None)).Close);
        Assert.Equal(231500m, Assert.Single(await store.GetBarsAsync(code, day, day, PriceBasis.Raw, CancellationToken.None)).Close);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Price_files_update_the_master_as_of_their_session_and_never_with_older_data(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        var samsung = StockCode.Parse("005930");
        // A master entry known only as of 2020, without listed shares.
        await store.UpsertStocksAsync([new Stock(samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11), AsOf: new DateOnly(2020, 1, 2))], CancellationToken.None);
        var krx = TestPaths.Data("samples", "krx", "MDCSTAT01501-STK-20210122.json");

        var first = await TestData.ImportAsync(store, krx, new ImportOptions { Date = new DateOnly(2021, 1, 22) });
        Assert.Equal(1, first.StocksUpdated);
        var after2021 = await store.GetStockAsync(samsung, CancellationToken.None);
        Assert.Equal(5_969_782_550, after2021!.ListedShares); // LIST_SHRS of the real 2021-01-22 body
        Assert.Equal(new DateOnly(2021, 1, 22), after2021.AsOf);

        // A newer listing moves the as-of date on; the 2021 body imported again must not roll it back.
        await store.UpsertStocksAsync([after2021 with { ListedShares = 5_846_278_608, AsOf = new DateOnly(2026, 4, 14) }], CancellationToken.None);
        var again = await TestData.ImportAsync(store, krx, new ImportOptions { Date = new DateOnly(2021, 1, 22) });
        Assert.Equal(0, again.StocksUpdated);
        var current = await store.GetStockAsync(samsung, CancellationToken.None);
        Assert.Equal(5_846_278_608, current!.ListedShares);
        Assert.Equal(new DateOnly(2026, 4, 14), current.AsOf);

        // Price files never create stocks: the body's other 900+ KOSPI stocks stay unknown.
        Assert.Equal(1, await store.CountStocksAsync(CancellationToken.None));
        Assert.True(first.QuarantinedByReason[ReasonCodes.UnknownCode] > 900);
    }

    /// <summary>
    /// On SQLite the first load of a basis writes straight into daily_bars inside one transaction (DailyBarLoad); later
    /// runs of the basis stage. Both ways store the same bars.
    /// </summary>
    [Fact]
    public async Task Only_the_first_load_of_a_basis_goes_straight_into_daily_bars_and_it_stores_what_a_staged_run_stores()
    {
        var rows = TestData.RealRawRows(Codes, new DateOnly(2024, 1, 2), new DateOnly(2024, 2, 13));
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var path = TestData.TempFile(test.DataDirectory, "three.csv", [Header, .. rows]);

        var raw = await RunAsync(store, path, PriceBasis.Raw);
        Assert.All(raw.Reports, r => Assert.True(r.FirstLoad));
        Assert.Equal((rows.Count, 0L), (raw.Summary.Changed, raw.Summary.Unchanged));
        var adjusted = await RunAsync(store, path, PriceBasis.Adjusted); // raw bars do not make it a later load of adjusted
        Assert.All(adjusted.Reports, r => Assert.True(r.FirstLoad));
        Assert.Equal(rows.Count, adjusted.Summary.Changed);
        var bars = await TestData.AllBarsAsync(store);
        Assert.Equal(2 * rows.Count, bars.Count);

        var again = await RunAsync(store, path, PriceBasis.Raw);
        Assert.All(again.Reports, r => Assert.False(r.FirstLoad));
        Assert.Equal((0L, (long)rows.Count), (again.Summary.Changed, again.Summary.Unchanged));
        Assert.Equal(bars, await TestData.AllBarsAsync(store));

        // The same file staged (raw bars seeded first) gives the first load's raw bars.
        await using var other = await TestStore.CreateAsync("sqlite");
        await using var stagedStore = await other.OpenAsync();
        await TestData.LoadMasterAsync(stagedStore);
        await TestData.SeedBasisAsync(stagedStore, other.DataDirectory, PriceBasis.Raw);
        var staged = await RunAsync(stagedStore, path, PriceBasis.Raw);
        Assert.All(staged.Reports, r => Assert.False(r.FirstLoad));
        Assert.Equal(bars.Where(b => b.Split(',')[2] == nameof(PriceBasis.Raw)), await TestData.AllBarsAsync(stagedStore));
    }

    /// <summary>
    /// A first load holds the store's write lock; when its source fails mid-file it takes its bars back out, commits its
    /// quarantine, lets the lock go (the run's failure is recorded) and leaves the by-date index in place.
    /// </summary>
    [Fact]
    public async Task A_first_load_that_fails_mid_file_takes_its_bars_out_keeps_its_quarantine_and_frees_the_store()
    {
        var rows = TestData.RealRawRows(null, new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 16)); // every stock, 11 sessions
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var path = TestData.TempFile(test.DataDirectory, "window.csv",
        [
            Header,
            "999999,2024-01-02,78200,79800,78200,79600,17142847,0", // no such stock
            "005930,2024-01-06,78200,79800,78200,79600,17142847,0", // a Saturday
            .. rows,
        ]);

        static IEnumerable<RawDailyRow> FailingAfter(IEnumerable<RawDailyRow> source, int count)
        {
            var read = 0;
            foreach (var row in source)
            {
                if (++read > count)
                {
                    throw new IOException("the file's disk went away");
                }

                yield return row;
            }
        }

        var file = ImportReader.Open(path, new ImportOptions { Format = ImportFormat.PykrxCsv });
        var reports = new Reports();
        var pipeline = new DailyBarPipeline(store, TestData.Calendar, FixedTime.Default);
        // Past the first 25,000-bar batch, which went into daily_bars with the two rejects.
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.RunAsync("import:pykrx-csv", new { file = path },
            FailingAfter(file.ReadDailyRows(), DailyBarPipeline.StagingBatchSize + 2_000), PriceBasis.Raw, file.Source, reports, CancellationToken.None));
        Assert.Contains("the file's disk went away", failure.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.True(r.FirstLoad));

        Assert.Empty(await TestData.AllBarsAsync(store));
        var run = (await store.GetRunsAsync(10, 0, CancellationToken.None)).First(r => r.Job == "import:pykrx-csv");
        Assert.Equal(Storage.RunStatus.Failed, run.Status);
        // The injected rejects (and the real file's own, such as its delisted codes) of the rows read before the failure.
        var quarantined = (await store.GetQuarantineAsync(null, null, 10_000, 0, CancellationToken.None)).Where(q => q.RunId == run.Id).ToList();
        Assert.Contains(quarantined, q => q.Code == "999999" && q.Reasons.SequenceEqual([ReasonCodes.UnknownCode]));
        Assert.Contains(quarantined, q => q.Code == "005930" && q.Date == new DateOnly(2024, 1, 6) && q.Reasons.SequenceEqual([ReasonCodes.NotASession]));
        Assert.All(quarantined, q => Assert.InRange(q.Line, 1, DailyBarPipeline.StagingBatchSize + 2_000 + 1));
        await using (var connection = await test.OpenSqliteAsync())
        {
            await using var index = connection.CreateCommand();
            index.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'daily_bars_by_date'";
            Assert.Equal(1L, await index.ExecuteScalarAsync());
        }

        // The basis is still empty: the re-run is a first load again and stores what a clean import of the file stores.
        await using var clean = await TestStore.CreateAsync("sqlite");
        await using var cleanStore = await clean.OpenAsync();
        await TestData.LoadMasterAsync(cleanStore);
        await RunAsync(cleanStore, path, PriceBasis.Raw);
        var expected = await TestData.AllBarsAsync(cleanStore);
        Assert.InRange(expected.Count, rows.Count - 100, rows.Count);
        var rerun = await RunAsync(store, path, PriceBasis.Raw);
        Assert.All(rerun.Reports, r => Assert.True(r.FirstLoad));
        Assert.Equal(expected.Count, rerun.Summary.Changed);
        Assert.Equal(expected, await TestData.AllBarsAsync(store));
    }

    private static async Task<(ImportSummary Summary, List<PipelineProgress> Reports)> RunAsync(Storage.MarketStore store, string path, PriceBasis basis)
    {
        var file = ImportReader.Open(path, new ImportOptions { Format = ImportFormat.PykrxCsv });
        var reports = new Reports();
        var summary = await new DailyBarPipeline(store, TestData.Calendar, FixedTime.Default)
            .RunAsync("import:pykrx-csv", new { file = path }, file.ReadDailyRows(), basis, file.Source, reports, CancellationToken.None);
        Assert.NotEmpty(reports);
        return (summary, reports);
    }

    /// <summary>Progress reports as they come (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Reports : List<PipelineProgress>, IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => Add(value);
    }
}

/// <summary>Days of the provisional (rule-derived) calendar say so where they decide something.</summary>
public class ProvisionalCalendarDayTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task When_staging_fails_mid_file_the_run_fails_and_stops_reading_the_file(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        // Adjusted bars stored already: the run stages (a first load on SQLite would not touch the staging table).
        await TestData.SeedBasisAsync(store, test.DataDirectory, PriceBasis.Adjusted);
        var seeded = await TestData.AllBarsAsync(store);
        var file = ImportReader.Open(BundledData.AdjustedHistory, new ImportOptions { Format = ImportFormat.PykrxCsv });
        var read = 0;
        var fileClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IEnumerable<RawDailyRow> Rows()
        {
            try
            {
                foreach (var row in file.ReadDailyRows())
                {
                    if (++read == 30_000)
                    {
                        // After the first staging batch: the next one fails for want of its table.
                        DropStagingTable(test);
                    }

                    yield return row;
                }
            }
            finally
            {
                fileClosed.TrySetResult();
            }
        }

        var pipeline = new DailyBarPipeline(store, TestData.Calendar, FixedTime.Default);
        await Assert.ThrowsAnyAsync<Exception>(() => pipeline.RunAsync("import:pykrx-csv", new { file = file.Path }, Rows(), PriceBasis.Adjusted,
            file.Source, null, CancellationToken.None));

        // Validation stops too, instead of filling its queue and waiting forever with the file open.
        await fileClosed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(read, 30_000, 200_000);
        Assert.Equal(seeded, await TestData.AllBarsAsync(store));
    }

    private static void DropStagingTable(TestStore test)
    {
        using System.Data.Common.DbConnection connection = test.Database is { } database
            ? new Npgsql.NpgsqlConnection(database)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(test.DataDirectory, Storage.MarketStore.SqliteFileName + Storage.MarketStore.SqliteStagingSuffix)};Pooling=False");
        connection.Open();
        using var drop = connection.CreateCommand();
        drop.CommandText = "DROP TABLE staging_daily_bars";
        drop.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_row_rejected_on_a_provisional_closed_day_is_named_in_the_import_notes_and_the_quality_report()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var path = TestData.TempFile(test.DataDirectory, "provisional.csv",
        [
            "code,date,open,high,low,close,volume,change_pct",
            "005930,2027-05-03,78200,79800,78200,79600,17142847,0", // 대체공휴일(노동절) by the rules
            "005930,2024-01-06,78200,79800,78200,79600,17142847,0", // a Saturday of the bundled years: published
        ]);

        var summary = await TestData.ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Raw,
            new FixedTime(new DateTimeOffset(2027, 6, 1, 0, 0, 0, TimeSpan.Zero)));

        Assert.Equal(2, summary.QuarantinedByReason[ReasonCodes.NotASession]);
        var note = Assert.Single(summary.Notes);
        Assert.StartsWith("not_a_session: 2027-05-03 is not a KRX session (대체공휴일(노동절); provisional: 2027-05-03 comes from the holiday rules", note, StringComparison.Ordinal);

        var day = await Features.Quality.QualityReport.ForDayAsync(store, TestData.Calendar, new DateOnly(2027, 5, 3), CancellationToken.None);
        Assert.Equal((false, true, "대체공휴일(노동절)", 1L), (day.IsSession, day.Provisional, day.CalendarReason, day.Quarantined));
        var published = await Features.Quality.QualityReport.ForDayAsync(store, TestData.Calendar, new DateOnly(2024, 1, 2), CancellationToken.None);
        Assert.Equal((true, false, (string?)null), (published.IsSession, published.Provisional, published.CalendarReason));
    }
}
