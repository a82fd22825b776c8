using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.Import;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;

namespace KrxHub.Tests.Collection;

/// <summary>Delistings (issue 14, part 4): inferred from two complete Kiwoom listings, made exact by a KRX delisting list.</summary>
public sealed class DelistingTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    // Two real delistings of the bundled raw window: SK렌터카 (last bar 2024-01-30, KRX delisting date 2024-01-31) and
    // 셀트리온헬스케어 (KRX delisting date 2024-01-12; this store holds none of its bars).
    private static readonly StockCode SkRentacar = StockCode.Parse("068400");
    private static readonly StockCode CelltrionHealthcare = StockCode.Parse("091990");

    /// <summary>09:00 KST of <paramref name="day"/>, when the 08:00 master job has run.</summary>
    private static FixedTime At(int month, int day) => new(new DateTimeOffset(2024, month, day, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The two stocks as the master knew them while listed: their records of the KRX delisting list without the date.</summary>
    private static IEnumerable<Stock> AsListed(params (StockCode Code, DateOnly AsOf)[] stocks)
    {
        var delisted = MasterFiles.ReadDelisted(BundledData.Delisted).Records.ToDictionary(s => s.Code);
        return stocks.Select(s => delisted[s.Code] with { DelistingDate = null, AsOf = s.AsOf });
    }

    private static Stock Krx(StockCode code) => MasterFiles.ReadDelisted(BundledData.Delisted).Records.Single(s => s.Code == code);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_stock_missing_from_two_Kiwoom_master_runs_is_delisted_inferred_from_its_last_bar_and_leaves_the_plans(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        market.MasterOnly = ["005930", "000660"];
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync([.. KiwoomMarket.MasterOf(["005930", "000660"]),
                .. AsListed((SkRentacar, new DateOnly(2024, 1, 2)), (CelltrionHealthcare, new DateOnly(2024, 1, 5)))], Ct);
        }

        // SK렌터카's real raw bars through the fake server: it traded until 2024-01-30.
        await using (var harness = await CollectionHarness.OpenAsync(test, market))
        {
            var daily = await harness.RunAsync(new CollectionRequest(CollectDataset.Daily, new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 31))
            {
                Codes = [SkRentacar, StockCode.Parse("005930")],
            });
            Assert.Equal(KiwoomMarket.Real("068400", new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 31)).Count +
                KiwoomMarket.Real("005930", new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 31)).Count, (int)daily.Accepted);
            Assert.Equal(new DateOnly(2024, 1, 30), KiwoomMarket.Real("068400", new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 31))[^1].Date);
        }

        // First run without them: counted missing, still listed. The same day again counts nothing more.
        foreach (var again in new[] { false, true })
        {
            await using var first = await CollectionHarness.OpenAsync(test, market, time: At(2, 1));
            var summary = await first.Jobs.MasterAsync("collect", Ct);
            Assert.Equal(again ? 0 : 1, summary.Notes.Count(n => n.Contains("2 stock(s) of the master missing for the first time", StringComparison.Ordinal)));
            Assert.DoesNotContain(summary.Notes, n => n.Contains("marked delisted", StringComparison.Ordinal));
            Assert.Null((await first.Store.GetStockAsync(SkRentacar, Ct))!.DelistingDate);
            Assert.Contains(SkRentacar, await CollectionPlan.ListedStocksAsync(first.Store, new DateOnly(2024, 2, 1), new DateOnly(2024, 2, 1), Ct));
        }

        // Second run, a day later: delisted, inferred, from the day after the last bar.
        await using var second = await CollectionHarness.OpenAsync(test, market, time: At(2, 2));
        var marked = await second.Jobs.MasterAsync("collect", Ct);
        Assert.Contains(marked.Notes, n => n.Contains("2 stock(s) missing from two complete listings marked delisted", StringComparison.Ordinal));
        var rentacar = (await second.Store.GetStockAsync(SkRentacar, Ct))!;
        var healthcare = (await second.Store.GetStockAsync(CelltrionHealthcare, Ct))!;
        Assert.True(rentacar.DelistingInferred);
        Assert.Equal(Krx(SkRentacar).DelistingDate, rentacar.DelistingDate); // 2024-01-31: KRX's own date
        Assert.True(healthcare.DelistingInferred);
        Assert.Equal(new DateOnly(2024, 1, 6), healthcare.DelistingDate);   // no bars: the day after the last listing that had it
        Assert.False((await second.Store.GetStockAsync(StockCode.Parse("005930"), Ct))!.DelistingInferred);
        Assert.Null((await second.Store.GetStockAsync(StockCode.Parse("005930"), Ct))!.DelistingDate);

        // The plans: still there for the sessions it traded, gone after.
        Assert.Equal([StockCode.Parse("000660"), StockCode.Parse("005930")],
            await CollectionPlan.ListedStocksAsync(second.Store, new DateOnly(2024, 2, 2), new DateOnly(2024, 2, 2), Ct));
        Assert.Contains(SkRentacar, await CollectionPlan.ListedStocksAsync(second.Store, new DateOnly(2024, 1, 30), new DateOnly(2024, 1, 30), Ct));
        var units = await second.Jobs.PlanAsync(new CollectionRequest(CollectDataset.Daily, new DateOnly(2024, 2, 2), new DateOnly(2024, 2, 2)), Ct);
        Assert.Equal(["000660", "005930"], units.Select(u => u.Key));

        // The simulator drives the master's listed stocks with a stored close: SK렌터카 has its closes but is delisted now.
        // (000660 has no close here and is skipped for that.)
        var closes = await second.Store.GetLastClosesBeforeAsync(
            new Dictionary<StockCode, DateOnly> { [SkRentacar] = new DateOnly(2024, 2, 2), [StockCode.Parse("005930")] = new DateOnly(2024, 2, 2) }, null, Ct);
        Assert.True(closes.ContainsKey(SkRentacar));
        var simulator = new KrxHub.Sources.Simulation.SimulatedExchange(await second.Store.GetAllStocksAsync(Ct), closes.ToDictionary(kv => kv.Key, kv => kv.Value.Close),
            new KrxHub.Core.Live.KrxSessionClock(TestData.Calendar), At(2, 2), new KrxHub.Sources.Simulation.SimulatorOptions());
        Assert.Equal([StockCode.Parse("005930")], simulator.Codes);
        Assert.DoesNotContain(SkRentacar, simulator.SkippedWithoutClose);

        // The KRX delisting list makes both exact: 셀트리온헬스케어 moves to its real date 2024-01-12.
        var list = TestData.TempFile(test.DataDirectory, "krx-delisted-two.csv",
            [.. File.ReadLines(BundledData.Delisted).Take(1), .. File.ReadLines(BundledData.Delisted).Where(l => l.Contains(",068400,", StringComparison.Ordinal) || l.Contains(",091990,", StringComparison.Ordinal))]);
        var file = ImportReader.Open(list, new ImportOptions());
        Assert.Equal(ImportContent.Delistings, file.Content);
        var applied = await ImportCommand.ImportAsync(second.Store, TestData.Calendar, At(2, 2), file, null, show: false, Ct);
        Assert.Equal(2, applied.Changed);
        healthcare = (await second.Store.GetStockAsync(CelltrionHealthcare, Ct))!;
        rentacar = (await second.Store.GetStockAsync(SkRentacar, Ct))!;
        Assert.Equal((Krx(CelltrionHealthcare).DelistingDate, false), (healthcare.DelistingDate, healthcare.DelistingInferred));
        Assert.Equal((Krx(SkRentacar).DelistingDate, false), (rentacar.DelistingDate, rentacar.DelistingInferred));
        Assert.Equal(new DateOnly(2024, 1, 12), healthcare.DelistingDate);

        // Applied again, nothing changes; a later complete listing no longer touches exact dates.
        Assert.Equal(0, (await ImportCommand.ImportAsync(second.Store, TestData.Calendar, At(2, 2), file, null, show: false, Ct)).Changed);
        await using var third = await CollectionHarness.OpenAsync(test, market, time: At(2, 5));
        await third.Jobs.MasterAsync("collect", Ct);
        Assert.Equal((new DateOnly(2024, 1, 12), false), ((await third.Store.GetStockAsync(CelltrionHealthcare, Ct))!.DelistingDate,
            (await third.Store.GetStockAsync(CelltrionHealthcare, Ct))!.DelistingInferred));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_stock_listed_again_undoes_its_inferred_delisting_and_a_cut_short_listing_counts_no_one_missing(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        market.MasterOnly = ["005930"];
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync([.. KiwoomMarket.MasterOf(["005930", "000660"])
                .Select(s => s with { AsOf = new DateOnly(2024, 1, 2) })], Ct);
        }

        var hynix = StockCode.Parse("000660");
        foreach (var day in new[] { 1, 2 })
        {
            await using var run = await CollectionHarness.OpenAsync(test, market, time: At(2, day));
            await run.Jobs.MasterAsync("collect", Ct);
        }

        await using (var check = await test.OpenAsync())
        {
            Assert.True((await check.GetStockAsync(hynix, Ct))!.DelistingInferred);
        }

        // The server lists it again: the inference was wrong and is undone.
        market.MasterOnly = ["005930", "000660"];
        await using (var back = await CollectionHarness.OpenAsync(test, market, time: At(2, 5)))
        {
            var summary = await back.Jobs.MasterAsync("collect", Ct);
            Assert.Contains(summary.Notes, n => n.Contains("listed again", StringComparison.Ordinal));
            var stock = (await back.Store.GetStockAsync(hynix, Ct))!;
            Assert.Equal((null, false), (stock.DelistingDate, stock.DelistingInferred));
        }

        // A list cut short by the page cap is no complete listing: two such runs mark no one.
        market.MasterOnly = ["005930", "000660"];
        market.Server.PageSize = 1;
        foreach (var day in new[] { 6, 7 })
        {
            await using var run = await CollectionHarness.OpenAsync(test, market, new() { ["KRXHUB_KIWOOM__PAGECAP"] = "1" }, time: At(2, day));
            var summary = await run.Jobs.MasterAsync("collect", Ct);
            Assert.Contains(summary.Notes, n => n.Contains("not a complete listing", StringComparison.Ordinal));
        }

        await using var last = await test.OpenAsync();
        Assert.Null((await last.GetStockAsync(hynix, Ct))!.DelistingDate);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_KRX_listing_of_all_markets_is_a_complete_listing_of_stocks_and_one_of_a_single_market_is_not(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        // KODEX 200 as Kiwoom's KOSPI list has it (an ETF: no security group); KRX's stock listing never holds it.
        var kodex = new Stock(StockCode.Parse("069500"), "KODEX 200", Market.Kospi, new DateOnly(2002, 10, 14), AsOf: new DateOnly(2024, 1, 2));
        await store.UpsertStocksAsync([.. MasterFiles.ReadListed(BundledData.Master).Records.Select(r => r with { AsOf = new DateOnly(2026, 4, 1) }),
            .. AsListed((SkRentacar, new DateOnly(2024, 1, 2))), kodex], Ct);
        var all = TestPaths.Data("samples", "krx", "MDCSTAT01901-ALL-20260414.json");

        // The real KRX listing of 2026-04-14 (mktId ALL) as of two dates; SK렌터카 is in neither.
        async Task<IReadOnlyList<string>> ImportAsync(string path, DateOnly asOf) =>
            (await ImportCommand.ImportAsync(store, TestData.Calendar, FixedTime.Default, ImportReader.Open(path,
                new ImportOptions { FetchedAt = new DateTimeOffset(asOf.ToDateTime(new TimeOnly(23, 0)), KrxCalendar.KstOffset) }), null, show: false, Ct)).Notes;

        // One market only (the KOSPI records of the same body): not complete, no one is missing.
        var body = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(all))!;
        var kospi = new System.Text.Json.Nodes.JsonArray([.. body["OutBlock_1"]!.AsArray().Where(r => (string?)r!["MKT_TP_NM"] == "KOSPI").Select(r => r!.DeepClone())]);
        var kospiPath = Path.Combine(test.DataDirectory, "MDCSTAT01901-STK.json");
        File.WriteAllText(kospiPath, new System.Text.Json.Nodes.JsonObject { ["OutBlock_1"] = kospi }.ToJsonString());
        Assert.Empty(await ImportAsync(kospiPath, new DateOnly(2026, 4, 13)));
        Assert.Empty(await ImportAsync(kospiPath, new DateOnly(2026, 4, 14)));
        Assert.Null((await store.GetStockAsync(SkRentacar, Ct))!.DelistingDate);

        Assert.Contains(await ImportAsync(all, new DateOnly(2026, 4, 14)), n => n.StartsWith("complete listing of 2026-04-14: 1 stock(s) of the master missing for the first time", StringComparison.Ordinal) && n.EndsWith(": 068400", StringComparison.Ordinal));
        Assert.Contains(await ImportAsync(all, new DateOnly(2026, 4, 15)), n => n.Contains("1 stock(s) missing from two complete listings marked delisted", StringComparison.Ordinal));
        var rentacar = (await store.GetStockAsync(SkRentacar, Ct))!;
        Assert.Equal((new DateOnly(2024, 1, 3), true), (rentacar.DelistingDate, rentacar.DelistingInferred)); // no bars: the day after 2024-01-02
        Assert.All(await store.GetAllStocksAsync(Ct), s => Assert.True(s.Code == SkRentacar || s.DelistingDate is null, s.Code.Value));
        Assert.Null((await store.GetStockAsync(kodex.Code, Ct))!.DelistingDate);
    }
}
