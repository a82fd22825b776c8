using System.Text.Json;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Kiwoom;
using static KrxHub.Sources.Tests.Kiwoom.KiwoomTestKit;

namespace KrxHub.Sources.Tests.Kiwoom;

public sealed class KiwoomTrTests : IAsyncLifetime
{
    private static readonly DateOnly BaseDate = new(2025, 9, 8);
    private FakeKiwoomServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeKiwoomServer.StartAsync(TimeProvider.System);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Paging_assembles_every_row_in_order_across_four_pages()
    {
        var rows = DailyRows(BaseDate, 11);
        _server.Rows["ka10081"] = rows;
        _server.PageSize = 3;
        var client = Client(_server, TimeProvider.System);

        var chart = await client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Raw, CancellationToken.None);

        Assert.Equal(4, chart.Pages);
        Assert.False(chart.Truncated);
        Assert.Equal(rows.Select(r => (string?)r!["dt"]), chart.Rows.Select(r => r.Date));
        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), chart.Rows.Select(r => r.Line));

        // First page plain; each later page sends back cont-yn Y and the previous answer's next-key.
        var calls = _server.Calls("ka10081");
        Assert.Equal(4, calls.Count);
        Assert.Null(calls[0].ContYn);
        Assert.Null(calls[0].NextKey);
        Assert.Equal(["off:3", "off:6", "off:9"], calls.Skip(1).Select(c => c.NextKey));
        Assert.All(calls.Skip(1), c => Assert.Equal("Y", c.ContYn));
        Assert.All(calls, c => Assert.Equal(calls[0].Body, c.Body));
        Assert.All(calls, c => Assert.Equal("application/json; charset=UTF-8", c.ContentType));
        Assert.All(calls, c => Assert.StartsWith("Bearer TOKEN", c.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_page_cap_stops_a_long_query_and_says_it_was_truncated()
    {
        _server.Rows["ka10081"] = DailyRows(BaseDate, 20);
        _server.PageSize = 2;
        var client = Client(_server, TimeProvider.System, Options(_server) with { PageCap = 3 });

        var chart = await client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Raw, CancellationToken.None);

        Assert.True(chart.Truncated);
        Assert.Equal(3, chart.Pages);
        Assert.Equal(6, chart.Rows.Count);
        Assert.Equal(3, _server.Calls("ka10081").Count);
    }

    [Fact]
    public async Task Paging_back_stops_after_the_page_that_reaches_the_oldest_wanted_date()
    {
        var rows = DailyRows(BaseDate, 10);
        _server.Rows["ka10081"] = rows;
        _server.PageSize = 3;
        var client = Client(_server, TimeProvider.System);
        var oldest = DateOnly.ParseExact((string)rows[5]!["dt"]!, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);

        var chart = await client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Raw, oldest, CancellationToken.None);

        // Rows 1-3 and 4-6: the sixth row is the oldest wanted date, not yet past it; row 7 on page 3 is.
        Assert.Equal(3, chart.Pages);
        Assert.False(chart.Truncated);
        Assert.Equal(9, chart.Rows.Count);
        Assert.Equal(3, _server.Calls("ka10081").Count);

        // Investor flows of seven sessions, newest first: only today's are wanted, and the first page has them.
        _server.Rows["ka10059"] = rows.Take(7).Select(r => (JsonNode?)new JsonObject { ["dt"] = (string)r!["dt"]!, ["ind_invsr"] = "-1584", ["frgnr_invsr"] = "+1200" }).ToList();
        _server.Arrivals.Clear();
        var investors = await client.GetInvestorFlowsAsync(Samsung, BaseDate, KiwoomFlowMeasure.Value, KiwoomTradeSide.Net, BaseDate, CancellationToken.None);
        Assert.Equal(1, investors.Pages);
        Assert.Single(_server.Calls("ka10059"));
        Assert.Equal(6, investors.Rows.Count);
    }

    [Fact]
    public async Task Daily_bars_validate_into_raw_bars_with_unsigned_prices_and_source_kiwoom()
    {
        _server.Rows["ka10081"] = DailyRows(BaseDate, 8);
        var client = Client(_server, TimeProvider.System);

        var chart = await client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Raw, CancellationToken.None);
        var validated = chart.Validate(new DailyBarValidator(Calendar, Master(), BaseDate.AddDays(1)));

        Assert.Equal("0", Body(_server.Calls("ka10081")[0])["upd_stkpc_tp"]);
        Assert.Equal("20250908", Body(_server.Calls("ka10081")[0])["base_dt"]);
        Assert.All(validated, v => Assert.True(v.Accepted, string.Join(",", v.Reasons)));
        var bars = validated.Select(v => v.Bar!).ToList();
        Assert.All(bars, b => Assert.Equal((PriceBasis.Raw, "kiwoom", Samsung), (b.Basis, b.Source, b.Code)));
        Assert.All(bars, b => Assert.True(b.Open > 0 && b.Low > 0 && b.High > 0 && b.Close > 0));

        // Newest row: the signs of the wire format are gone, and trde_prica (백만원) is in won.
        var newest = (JsonObject)_server.Rows["ka10081"][0]!;
        Assert.Equal(decimal.Parse(((string)newest["cur_prc"]!).TrimStart('+', '-'), System.Globalization.CultureInfo.InvariantCulture), bars[0].Close);
        Assert.Equal(new DateOnly(2025, 9, 8), bars[0].Date);
        Assert.Equal(640_007m * 1_000_000m, bars[0].TradingValue);
        Assert.Equal(9_000_007L, bars[0].Volume);
    }

    [Fact]
    public async Task Adjusted_daily_bars_are_requested_with_upd_stkpc_tp_1_and_come_back_adjusted()
    {
        _server.Rows["ka10081"] = DailyRows(BaseDate, 2);
        var client = Client(_server, TimeProvider.System);

        var chart = await client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Adjusted, CancellationToken.None);
        var validated = chart.Validate(new DailyBarValidator(Calendar, Master(), BaseDate.AddDays(1)));

        Assert.Equal("1", Body(_server.Calls("ka10081")[0])["upd_stkpc_tp"]);
        Assert.Equal(PriceBasis.Adjusted, chart.Basis);
        Assert.All(validated, v => Assert.Equal(PriceBasis.Adjusted, v.Bar!.Basis));
    }

    [Fact]
    public async Task Minute_bars_use_tic_scope_1_and_read_cntr_tm_as_Korean_time()
    {
        _server.Rows["ka10080"] =
        [
            new JsonObject
            {
                ["cur_prc"] = "-78800", ["trde_qty"] = "7913", ["cntr_tm"] = "20250917132000", ["open_pric"] = "-78800",
                ["high_pric"] = "-78800", ["low_pric"] = "-78700", ["acc_trde_qty"] = "14947571", ["pred_pre"] = "-600", ["pred_pre_sig"] = "5",
            },
        ];
        var client = Client(_server, TimeProvider.System);

        var bars = await client.GetMinuteBarsAsync(Samsung, PriceBasis.Adjusted, null, CancellationToken.None);

        var body = Body(_server.Calls("ka10080")[0]);
        Assert.Equal(("1", "1"), (body["tic_scope"], body["upd_stkpc_tp"]));
        var bar = Assert.Single(bars.Rows);
        Assert.Empty(bars.Errors);
        Assert.Equal(new DateTimeOffset(2025, 9, 17, 4, 20, 0, TimeSpan.Zero), bar.Time);
        Assert.Equal((78800m, 78800m, 78700m, 78800m), (bar.Open, bar.High, bar.Low, bar.Close));
        Assert.Equal((7913L, 14_947_571L, -600m, PriceDirection.Down), (bar.Volume, bar.AccumulatedVolume!.Value, bar.Change!.Value, bar.Direction!.Value));
    }

    [Theory]
    [InlineData(Market.Kospi, "0")]
    [InlineData(Market.Kosdaq, "10")]
    [InlineData(Market.Konex, "50")]
    public async Task The_master_list_asks_for_the_market_by_Kiwoom_code(Market market, string code)
    {
        _server.Rows["ka10099"] =
        [
            new JsonObject
            {
                ["code"] = "005930", ["name"] = "삼성전자", ["listCount"] = "0000005919637922", ["auditInfo"] = "정상", ["regDay"] = "19750611",
                ["lastPrice"] = "00070100", ["state"] = "증거금20%", ["marketCode"] = "0", ["marketName"] = "거래소", ["upName"] = "전기전자",
                ["upSizeName"] = "대형주", ["companyClassName"] = "", ["orderWarning"] = "0", ["nxtEnable"] = "Y",
            },
        ];
        var client = Client(_server, TimeProvider.System);

        var list = await client.GetStockListAsync(market, CancellationToken.None);

        Assert.Equal(code, Body(_server.Calls("ka10099")[0])["mrkt_tp"]);
        var stock = Assert.Single(list.Rows);
        Assert.Equal((Samsung, "삼성전자", market, 5_919_637_922L, 70100m, true), (stock.Code, stock.Name, stock.Market, stock.ListedShares!.Value, stock.LastPrice!.Value, stock.NxtEnabled));
        Assert.Equal(new DateOnly(1975, 6, 11), stock.ToStock(BaseDate).ListingDate);
    }

    [Fact]
    public async Task Investor_flows_map_each_column_to_its_investor_type_with_the_sign_kept()
    {
        _server.Rows["ka10059"] =
        [
            new JsonObject
            {
                ["dt"] = "20241107", ["cur_prc"] = "+61300", ["pre_sig"] = "2", ["pred_pre"] = "+700", ["flu_rt"] = "+1.16",
                ["acc_trde_qty"] = "1105968", ["acc_trde_prica"] = "67475", ["ind_invsr"] = "1584", ["frgnr_invsr"] = "-61779",
                ["orgn"] = "60195", ["fnnc_invt"] = "25514", ["insrnc"] = "0", ["invtrt"] = "0", ["etc_fnnc"] = "34619", ["bank"] = "4",
                ["penfnd_etc"] = "-1", ["samo_fund"] = "58", ["natn"] = "0", ["etc_corp"] = "0", ["natfor"] = "1",
            },
        ];
        var client = Client(_server, TimeProvider.System);

        var flows = await client.GetInvestorFlowsAsync(Samsung, new DateOnly(2024, 11, 7), KiwoomFlowMeasure.Value, KiwoomTradeSide.Net, CancellationToken.None);

        var body = Body(_server.Calls("ka10059")[0]);
        Assert.Equal(("20241107", "1", "0", "1"), (body["dt"], body["amt_qty_tp"], body["trde_tp"], body["unit_tp"]));
        Assert.Empty(flows.Errors);
        Assert.Equal(12, flows.Rows.Count);
        var byType = flows.Rows.ToDictionary(f => f.Investor);
        Assert.Equal(-61_779m * 1_000_000m, byType[InvestorType.Foreign].NetValue);
        Assert.Equal(1_584m * 1_000_000m, byType[InvestorType.Individual].NetValue);
        Assert.Equal(60_195m * 1_000_000m, byType[InvestorType.InstitutionTotal].NetValue);
        Assert.Equal(-1m * 1_000_000m, byType[InvestorType.Pension].NetValue);
        Assert.All(flows.Rows, f => Assert.Equal((new DateOnly(2024, 11, 7), "kiwoom", (long?)null), (f.Date, f.Source, f.NetVolume)));
    }

    [Fact]
    public async Task Investor_flows_by_volume_fill_the_volume_of_the_requested_side()
    {
        _server.Rows["ka10059"] = [new JsonObject { ["dt"] = "20241107", ["ind_invsr"] = "1584", ["frgnr_invsr"] = "abc" }];
        var client = Client(_server, TimeProvider.System);

        var flows = await client.GetInvestorFlowsAsync(Samsung, new DateOnly(2024, 11, 7), KiwoomFlowMeasure.Volume, KiwoomTradeSide.Sell, CancellationToken.None);

        Assert.Equal("2", Body(_server.Calls("ka10059")[0])["amt_qty_tp"]);
        var flow = Assert.Single(flows.Rows);
        Assert.Equal((InvestorType.Individual, 1584L, (decimal?)null), (flow.Investor, flow.SellVolume!.Value, flow.SellValue));
        var error = Assert.Single(flows.Errors);
        Assert.Equal(("frgnr_invsr", "abc"), (error.Field, error.Value));
    }

    [Fact]
    public async Task The_volume_ranking_sends_every_required_code_and_reads_the_rows()
    {
        _server.Rows["ka10030"] =
        [
            new JsonObject { ["stk_cd"] = "005930", ["stk_nm"] = "삼성전자", ["cur_prc"] = "-152000", ["pred_pre_sig"] = "5", ["pred_pre"] = "-1000", ["flu_rt"] = "-0.65", ["trde_qty"] = "34954641", ["pred_rt"] = "+155.13", ["trde_tern_rt"] = "+48.21", ["trde_amt"] = "5308092" },
            new JsonObject { ["stk_cd"] = "000660", ["stk_nm"] = "SK하이닉스", ["cur_prc"] = "+231000", ["pred_pre_sig"] = "2", ["pred_pre"] = "+3000", ["flu_rt"] = "+1.32", ["trde_qty"] = "1000", ["pred_rt"] = "", ["trde_tern_rt"] = "", ["trde_amt"] = "" },
        ];
        var client = Client(_server, TimeProvider.System);

        var ranking = await client.GetVolumeRankingAsync(new KiwoomVolumeRankingQuery(), CancellationToken.None);

        var body = Body(_server.Calls("ka10030")[0]);
        Assert.Equal(["000", "1", "0", "0", "0", "0", "0", "0", "1"],
            new[] { "mrkt_tp", "sort_tp", "mang_stk_incls", "crd_tp", "trde_qty_tp", "pric_tp", "trde_prica_tp", "mrkt_open_tp", "stex_tp" }.Select(k => body[k]));
        Assert.Equal(2, ranking.Rows.Count);
        Assert.Equal((1, "005930", 152000m, PriceDirection.Down, -1000m, 34_954_641L), (ranking.Rows[0].Rank, ranking.Rows[0].Code, ranking.Rows[0].Price, ranking.Rows[0].Direction!.Value, ranking.Rows[0].Change!.Value, ranking.Rows[0].Volume));
        Assert.Equal((2, 231000m, (decimal?)null), (ranking.Rows[1].Rank, ranking.Rows[1].Price, ranking.Rows[1].TurnoverRate));
    }

    [Fact]
    public async Task Basic_info_reads_the_flat_answer()
    {
        _server.StockInfo = new JsonObject
        {
            ["stk_cd"] = "005930", ["stk_nm"] = "삼성전자", ["setl_mm"] = "12", ["fav"] = "100", ["cap"] = "7780", ["mac"] = "4180000",
            ["per"] = "13.77", ["eps"] = "5090", ["roe"] = "9.0", ["pbr"] = "1.25", ["bps"] = "56000", ["250hgst"] = "+88800", ["250lwst"] = "-49900",
            ["open_pric"] = "-70000", ["high_pric"] = "+71000", ["low_pric"] = "-69500", ["upl_pric"] = "+91000", ["lst_pric"] = "-49000",
            ["base_pric"] = "70100", ["cur_prc"] = "+70700", ["pre_sig"] = "2", ["pred_pre"] = "+600", ["flu_rt"] = "+0.86", ["trde_qty"] = "1234567",
        };
        var client = Client(_server, TimeProvider.System);

        var info = await client.GetStockInfoAsync(Samsung, CancellationToken.None);

        Assert.Equal("005930", Body(_server.Calls("ka10001")[0])["stk_cd"]);
        Assert.Empty(info.Errors);
        Assert.Equal(("삼성전자", 70700m, PriceDirection.Up, 600m, 70100m, 49000m, 1_234_567L), (info.Name, info.CurrentPrice!.Value, info.Direction!.Value, info.Change!.Value, info.BasePrice!.Value, info.LowerLimit!.Value, info.Volume!.Value));
        Assert.Equal((13.77m, 4_180_000m, 49900m), (info.Per!.Value, info.MarketCap!.Value, info.Low250!.Value));
    }

    private static Dictionary<string, string> Body(Arrival arrival) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(arrival.Body)!;
}
