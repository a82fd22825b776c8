using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Sources.Tests.KrxOpenApi;
using KrxHub.Storage;

namespace KrxHub.Tests.Collection;

/// <summary>Each dataset collected end to end: the fake source → the pipeline → a real SQLite store, with a collection run.</summary>
public sealed class CollectTests
{
    private static readonly DateOnly Jan15 = new(2024, 1, 15);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Collect_daily_through_the_CLI_stores_the_real_raw_bars_Kiwoom_served_and_a_rerun_changes_nothing()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var codes = KiwoomMarket.TradedEverySession(5);
        string[] args = ["collect", "daily", "--date", "2024-01-15", "--codes", string.Join(',', codes), .. test.CliArgs];
        var first = await CliProcess.RunAsync(market.Environment(), args);
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        Assert.Contains("accepted", first.Stdout, StringComparison.Ordinal);
        var again = await CliProcess.RunAsync(market.Environment(), args);
        Assert.True(again.ExitCode == 0, again.Stderr);

        // One request per stock and run, for the session asked for.
        Assert.Equal(codes.SelectMany(c => new[] { (c, "20240115"), (c, "20240115") }).Order(), market.Requests("ka10081").Order());
        await using var check = await test.OpenAsync();
        foreach (var code in codes)
        {
            var real = Assert.Single(KiwoomMarket.Real(code, Jan15, Jan15));
            var bar = Assert.Single(await check.GetBarsAsync(StockCode.Parse(code), Jan15, Jan15, PriceBasis.Raw, Ct));
            Assert.Equal((real.Open, real.High, real.Low, real.Close, real.Volume), (bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
            Assert.Equal(decimal.Floor(real.TradingValue / 1_000_000m) * 1_000_000m, bar.TradingValue);
            Assert.Equal("kiwoom", bar.Source);
        }

        var runs = (await check.GetRunsAsync(10, 0, Ct)).Where(r => r.Job == "collect:daily").ToList();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal((RunStatus.Succeeded, 5L, 5L, 0L), (r.Status, r.RowsRead, r.RowsAccepted, r.RowsQuarantined)));
        Assert.Equal([0L, 5L], runs.Select(r => r.RowsChanged));
    }

    [Fact]
    public async Task Collecting_the_master_lists_every_listed_stock_of_the_three_markets()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);

        var summary = await harness.Jobs.MasterAsync("test", Ct);

        var bundled = Sources.Import.MasterFiles.ReadListed(Shared.BundledData.Master).Records;
        Assert.Equal(bundled.Count, summary.Accepted);
        Assert.Equal(bundled.Count, await harness.Store.CountStocksAsync(Ct));
        // KOSDAQ's 1,800 stocks take two pages of 1,000: the second follows the first's next-key.
        var calls = market.Server.Calls("ka10099");
        Assert.Equal(["0", "10", "10", "50"], calls.Select(a => (string)JsonNode.Parse(a.Body)!["mrkt_tp"]!));
        Assert.Equal([null, null, "Y", null], calls.Select(a => a.ContYn));
        var samsung = await harness.Store.GetStockAsync(StockCode.Parse("005930"), Ct);
        Assert.Equal(("삼성전자", Market.Kospi, 5_846_278_608L), (samsung!.Name, samsung.Market, samsung.ListedShares)); // listed_shares_20260414
        foreach (var stock in bundled)
        {
            var stored = await harness.Store.GetStockAsync(stock.Code, Ct);
            Assert.Equal((stock.Name, stock.Market, stock.ListingDate, stock.ListedShares), (stored!.Name, stored.Market, stored.ListingDate, stored.ListedShares));
        }

        Assert.Equal(RunStatus.Succeeded, (await harness.Store.GetRunsAsync(1, 0, Ct))[0].Status);
    }

    [Fact]
    public async Task Collecting_investors_stores_net_value_per_type_in_won_for_the_session_and_the_four_main_types_net_to_zero()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);
        await TestData.LoadMasterAsync(harness.Store);
        var codes = KiwoomMarket.TradedEverySession(3).Select(StockCode.Parse).ToList();

        // One ka10059 row written here, a different net value (백만원) in every column, as broker-apis.md names them; the four
        // main types (개인, 외국인, 기관계, 기타법인) net to zero, and 기관계 is the sum of its seven parts.
        var served = new Dictionary<string, long>
        {
            ["ind_invsr"] = 1234, ["frgnr_invsr"] = -987, ["orgn"] = -262, ["etc_corp"] = 15,
            ["fnnc_invt"] = -101, ["insrnc"] = -37, ["invtrt"] = -53, ["etc_fnnc"] = -7, ["bank"] = -11, ["samo_fund"] = -29, ["penfnd_etc"] = -24,
            ["natn"] = 3, ["natfor"] = 5,
        };
        var row = new JsonObject { ["dt"] = "20240115", ["cur_prc"] = "+70000" };
        foreach (var (field, value) in served)
        {
            row[field] = (value > 0 ? "+" : "") + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var realRows = market.Server.RowsFor!;
        market.Server.RowsFor = (apiId, body) => apiId == "ka10059" ? [row.DeepClone()] : realRows(apiId, body);

        var outcome = await harness.RunAsync(new CollectionRequest(CollectDataset.Investors, Jan15, Jan15) { Codes = codes });

        Assert.Equal((3, 0, 3L), (outcome.UnitsPlanned, outcome.UnitsFailed, outcome.Requests));
        var expected = new Dictionary<InvestorType, string>
        {
            [InvestorType.Individual] = "ind_invsr", [InvestorType.Foreign] = "frgnr_invsr", [InvestorType.InstitutionTotal] = "orgn",
            [InvestorType.OtherCorporation] = "etc_corp", [InvestorType.FinancialInvestment] = "fnnc_invt", [InvestorType.Insurance] = "insrnc",
            [InvestorType.Trust] = "invtrt", [InvestorType.OtherFinance] = "etc_fnnc", [InvestorType.Bank] = "bank",
            [InvestorType.PrivateFund] = "samo_fund", [InvestorType.Pension] = "penfnd_etc", [InvestorType.State] = "natn",
        };
        foreach (var code in codes)
        {
            var flows = await harness.Store.GetInvestorFlowsAsync(code, KiwoomMarket.First, KiwoomMarket.Last, Ct);
            Assert.All(flows, f => Assert.Equal(Jan15, f.Date));
            // natfor (내외국인) has no investor type and is not stored.
            Assert.Equal(expected.Keys.Order(), flows.Select(f => f.Investor).Order());
            foreach (var flow in flows)
            {
                Assert.Equal(served[expected[flow.Investor]] * 1_000_000m, flow.NetValue); // 백만원 → won
            }

            var main = flows.Where(f => f.Investor is InvestorType.Individual or InvestorType.Foreign or InvestorType.InstitutionTotal or InvestorType.OtherCorporation);
            Assert.Equal(0m, main.Sum(f => f.NetValue!.Value));
        }

        var body = JsonNode.Parse(market.Server.Calls("ka10059")[0].Body)!;
        Assert.Equal(("20240115", "1", "0", "1"), ((string)body["dt"]!, (string)body["amt_qty_tp"]!, (string)body["trde_tp"]!, (string)body["unit_tp"]!));
    }

    [Fact]
    public async Task Collecting_minute_bars_keeps_the_381_bars_of_the_session_asked_for()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);
        await TestData.LoadMasterAsync(harness.Store);
        var code = StockCode.Parse(KiwoomMarket.TradedEverySession(1)[0]);

        var outcome = await harness.RunAsync(new CollectionRequest(CollectDataset.Minute, Jan15, Jan15) { Codes = [code] });

        Assert.Equal((381L, 0L), (outcome.Accepted, outcome.Quarantined));
        var kst = TimeSpan.FromHours(9);
        var bars = await harness.Store.GetMinuteBarsAsync(code, new DateTimeOffset(2024, 1, 12, 0, 0, 0, kst), new DateTimeOffset(2024, 1, 16, 0, 0, 0, kst), Ct);
        Assert.Equal(381, bars.Count);
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 9, 0, 0, kst), bars[0].Start);
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 15, 30, 0, kst), bars[^1].Start);
        var close = KiwoomMarket.Real(code.Value, Jan15, Jan15)[0].Close;
        Assert.All(bars, b => Assert.Equal((close, close, "kiwoom"), (b.Close, b.Low, b.Source)));
        var body = JsonNode.Parse(Assert.Single(market.Server.Calls("ka10080")).Body)!;
        Assert.Equal(("1", "0", "20240115"), ((string)body["tic_scope"]!, (string)body["upd_stkpc_tp"]!, (string)body["base_dt"]!));
    }

    [Fact]
    public async Task Adjusted_daily_bars_are_asked_for_as_of_the_last_final_session_and_stored_as_adjusted()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);
        await TestData.LoadMasterAsync(harness.Store);
        var code = StockCode.Parse(KiwoomMarket.TradedEverySession(1)[0]);

        await harness.RunAsync(new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = [code], Basis = PriceBasis.Adjusted });

        var body = JsonNode.Parse(Assert.Single(market.Server.Calls("ka10081")).Body)!;
        var asOf = FinalSessions.LastFinal(TestData.Calendar, TimeProvider.System.GetUtcNow())!.Value;
        Assert.Equal(("1", asOf.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)), ((string)body["upd_stkpc_tp"]!, (string)body["base_dt"]!));
        Assert.Single(await harness.Store.GetBarsAsync(code, Jan15, Jan15, PriceBasis.Adjusted, Ct));
        Assert.Empty(await harness.Store.GetBarsAsync(code, Jan15, Jan15, PriceBasis.Raw, Ct));
    }

    [Fact]
    public async Task Collecting_krx_daily_loads_the_real_2021_01_04_cross_section_of_every_market()
    {
        await using var krx = await FakeKrxServer.StartAsync();
        KrxTestKit.ServeJan4(krx);
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, null, krx: KrxTestKit.Client(krx));
        await TestData.LoadMasterAsync(harness.Store);

        var outcome = await harness.RunAsync(new CollectionRequest(CollectDataset.KrxDaily, KrxTestKit.Jan4, KrxTestKit.Jan4));

        Assert.Equal((1, 3L), (outcome.UnitsPlanned, outcome.Requests));
        Assert.Equal(KrxTestKit.Jan4Rows.Count, outcome.RowsRead);
        Assert.Equal(outcome.RowsRead, outcome.Accepted + outcome.Quarantined);
        Assert.True(outcome.Accepted > 2_000, $"{outcome.Accepted} accepted");
        var real = KrxTestKit.Jan4Rows.Single(r => r.Code == "005930");
        var bar = Assert.Single(await harness.Store.GetBarsAsync(StockCode.Parse("005930"), KrxTestKit.Jan4, KrxTestKit.Jan4, PriceBasis.Raw, Ct));
        Assert.Equal((real.Open, real.High, real.Low, real.Close, real.Volume, real.TradingValue, real.MarketCap),
            ((long)bar.Open, (long)bar.High, (long)bar.Low, (long)bar.Close, bar.Volume, (long)bar.TradingValue!, (long)bar.MarketCap!));
        Assert.Equal("krx-openapi", bar.Source);
        Assert.All(krx.OpenApiCalls, c => Assert.Equal(FakeKrxServer.AuthKey, c.Header("AUTH_KEY")));
        Assert.Equal("collect:krx-daily", (await harness.Store.GetRunsAsync(1, 0, Ct))[0].Job);
    }

    [Fact]
    public async Task A_KRX_day_not_published_yet_fails_only_that_day_and_the_next_backfill_asks_for_it_again()
    {
        await using var krx = await FakeKrxServer.StartAsync();
        KrxTestKit.ServeJan4(krx); // 2021-01-05 has no rows yet: KRX answers an empty OutBlock_1
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, null, krx: KrxTestKit.Client(krx));
        await TestData.LoadMasterAsync(harness.Store);
        var jan5 = new DateOnly(2021, 1, 5);
        var request = new CollectionRequest(CollectDataset.KrxDaily, KrxTestKit.Jan4, jan5) { SkipCompleted = true, Trigger = "backfill" };

        var outcome = await harness.RunAsync(request);

        Assert.Equal((2, 1), (outcome.UnitsPlanned, outcome.UnitsFailed));
        Assert.Equal([KrxTestKit.Jan4], (await harness.Store.GetCompletedUnitsAsync("krx-daily", "raw", KrxTestKit.Jan4, jan5, Ct)).Select(u => u.From));
        var refused = Assert.Single(await harness.Store.GetQuarantineAsync(jan5, Core.Validation.ReasonCodes.SourceRefused, 10, 0, Ct));
        Assert.Contains("no rows", refused.Payload, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Succeeded, (await harness.Store.GetRunsAsync(1, 0, Ct))[0].Status);

        krx.Arrivals.Clear();
        var again = await harness.RunAsync(request);
        Assert.Equal(1, again.UnitsPlanned);
        Assert.All(krx.OpenApiCalls, c => Assert.Contains("basDd=20210105", c.Query, StringComparison.Ordinal));
    }
}
