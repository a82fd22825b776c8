using System.Globalization;
using System.Text;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class InvestorFlowImportTests
{
    private static readonly string NetValueSample =
        Path.Combine(TestPaths.RepoRoot, "..", "shared", "data", "samples", "krx", "MDCSTAT02302-005930-netbuy-value-20210115-20210122.json");

    private static readonly StockCode Samsung = StockCode.Parse("005930");
    private static readonly DateOnly Jan22 = new(2021, 1, 22);

    private static readonly InvestorType[] TopLevel =
        [InvestorType.InstitutionTotal, InvestorType.OtherCorporation, InvestorType.Individual, InvestorType.Foreign];

    private static readonly InvestorType[] Institutional =
    [
        InvestorType.FinancialInvestment, InvestorType.Insurance, InvestorType.Trust, InvestorType.PrivateFund,
        InvestorType.Bank, InvestorType.OtherFinance, InvestorType.Pension,
    ];

    [Fact]
    public void An_MDCSTAT02302_net_value_body_gives_the_four_investor_types_per_day()
    {
        var file = ImportReader.Open(NetValueSample, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Value });
        var (flows, rejected) = file.ReadInvestorFlows();

        Assert.Equal((ImportContent.InvestorFlows, "MDCSTAT02302", "krx:MDCSTAT02302"), (file.Content, file.Bld, file.Source));
        Assert.Empty(rejected);
        Assert.Equal(24, flows.Count);
        var day = flows.Where(f => f.Date == Jan22).ToDictionary(f => f.Investor, f => f.NetValue);
        Assert.Equal(-562_644_916_900m, day[InvestorType.InstitutionTotal]);
        Assert.Equal(5_017_754_900m, day[InvestorType.OtherCorporation]);
        Assert.Equal(870_709_684_700m, day[InvestorType.Individual]);
        Assert.Equal(-313_082_522_700m, day[InvestorType.Foreign]);
        Assert.All(flows, f => Assert.Equal((Samsung, (long?)null, (long?)null, (long?)null, (decimal?)null, (decimal?)null),
            (f.Code, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue)));
        Assert.All(flows, f => Assert.Equal(new DateTimeOffset(2026, 1, 25, 20, 28, 47, TimeSpan.FromHours(9)), f.FetchedAt));
    }

    [Fact]
    public void Net_buying_of_the_top_level_types_sums_to_zero_every_day()
    {
        var (flows, _) = ImportReader.Open(NetValueSample, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Value }).ReadInvestorFlows();

        Assert.All(flows.GroupBy(f => f.Date), day => Assert.Equal(0m, day.Sum(f => f.NetValue!.Value)));
    }

    [Fact]
    public void The_real_MDCSTAT02202_bodies_match_the_reference_tables()
    {
        using var dir = new TempDir();
        foreach (var (measure, code) in new[] { (InvestorMeasure.Value, "2"), (InvestorMeasure.Volume, "1") })
        {
            var path = dir.Write($"02202-{code}.json", Cassettes.Body(("bld", "dbms/MDC/STAT/standard/MDCSTAT02202"), ("trdVolVal", code)));
            var file = ImportReader.Open(path, new ImportOptions { Market = Market.Kospi, Measure = measure });
            var (flows, rejected) = file.ReadMarketInvestorFlows();

            Assert.Equal("MDCSTAT02202", file.Bld);
            Assert.Empty(rejected);
            var reference = ReferenceTable($"krx_MDCSTAT02202_KOSPI_netbuy_{measure.Name()}_by_date_20210115_20210122.csv");
            Assert.Equal(24, flows.Count);
            foreach (var f in flows)
            {
                Assert.Equal(Market.Kospi, f.Market);
                var row = reference[f.Date];
                var expected = row[$"TRDVAL{Array.IndexOf(TopLevel, f.Investor) + 1}"];
                Assert.Equal(expected, measure == InvestorMeasure.Value ? f.NetValue : f.NetVolume);
            }
        }
    }

    [Theory]
    [InlineData(InvestorMeasure.Value)]
    [InlineData(InvestorMeasure.Volume)]
    public void Detail_categories_add_up_to_the_totals_of_the_general_body(InvestorMeasure measure)
    {
        using var dir = new TempDir();
        var detailPath = dir.Write("02203.json", DetailBody(measure));
        var generalPath = dir.Write("02202.json",
            Cassettes.Body(("bld", "dbms/MDC/STAT/standard/MDCSTAT02202"), ("etf", "EF"), ("trdVolVal", measure == InvestorMeasure.Value ? "2" : "1")));
        var options = new ImportOptions { Market = Market.Kospi, Measure = measure };

        var detailFile = ImportReader.Open(detailPath, options);
        var detail = detailFile.ReadMarketInvestorFlows().Records;
        var general = ImportReader.Open(generalPath, options).ReadMarketInvestorFlows().Records;

        Assert.Equal("MDCSTAT02203", detailFile.Bld);
        decimal Amount(MarketInvestorFlow f) => measure == InvestorMeasure.Value ? f.NetValue!.Value : f.NetVolume!.Value;
        var generalByKey = general.ToDictionary(f => (f.Date, f.Investor), Amount);
        var days = detail.GroupBy(f => f.Date).ToList();
        Assert.Equal(6, days.Count);
        foreach (var day in days)
        {
            var d = day.ToDictionary(f => f.Investor, Amount);
            Assert.Equal(12, d.Count);
            Assert.Equal(d[InvestorType.InstitutionTotal], Institutional.Sum(t => d[t]));
            foreach (var type in TopLevel)
            {
                Assert.Equal(generalByKey[(day.Key, type)], d[type]);
            }

            Assert.Equal(0m, TopLevel.Sum(t => d[t]));
        }
    }

    [Fact]
    public void The_detail_institutional_categories_sum_to_the_reference_institution_total()
    {
        // Independent of the importer's own summing: the README's general table is another pykrx call.
        using var dir = new TempDir();
        var path = dir.Write("02203.json", DetailBody(InvestorMeasure.Value));
        var general = ReferenceTable("pykrx_README_get_market_trading_value_by_date__20210115_20210122_KOSPI_etf=True_etn=True_elw=True.csv");

        var flows = ImportReader.Open(path, new ImportOptions { Market = Market.Kospi, Measure = InvestorMeasure.Value })
            .ReadMarketInvestorFlows().Records;

        foreach (var day in flows.GroupBy(f => f.Date))
        {
            var sum = day.Where(f => Institutional.Contains(f.Investor)).Sum(f => f.NetValue!.Value);
            Assert.Equal(general[day.Key]["기관합계"], sum);
            Assert.Equal(general[day.Key]["외국인합계"], day.Single(f => f.Investor == InvestorType.Foreign).NetValue);
        }

        var pension = flows.Single(f => f.Date == Jan22 && f.Investor == InvestorType.Pension);
        Assert.Equal(-382_520_754_794m, pension.NetValue);
        Assert.Equal(4_778_782_123m, flows.Single(f => f.Date == Jan22 && f.Investor == InvestorType.OtherForeign).NetValue);
    }

    [Fact]
    public void A_per_stock_detail_body_is_MDCSTAT02303()
    {
        using var dir = new TempDir();
        var path = dir.Write("02303.json", DetailBody(InvestorMeasure.Volume));

        var file = ImportReader.Open(path, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Volume });

        Assert.Equal((ImportContent.InvestorFlows, "MDCSTAT02303"), (file.Content, file.Bld));
        Assert.Equal(6 * 12, file.ReadInvestorFlows().Records.Count);
    }

    [Fact]
    public void A_sell_body_fills_the_sell_measure_and_is_refused_as_net()
    {
        using var dir = new TempDir();
        var sell = ReferenceTable("pykrx_README_get_market_trading_value_by_date__20210115_20210122_005930_on=_매도.csv");
        var path = dir.Write("sell.json", Body(sell, ["기관합계", "기타법인", "개인", "외국인합계"]));

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Value }));
        var (flows, _) = ImportReader.Open(path, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Value, Side = InvestorSide.Sell })
            .ReadInvestorFlows();

        Assert.StartsWith("file 'sell.json' is not a net-buy body: TRDVAL_TOT is 2,717,635,251,520 on 2021/01/22", e.Message, StringComparison.Ordinal);
        var institutions = flows.Single(f => f.Date == Jan22 && f.Investor == InvestorType.InstitutionTotal);
        Assert.Equal((1_218_085_354_000m, null, null), (institutions.SellValue, institutions.NetValue, institutions.BuyValue));
    }

    [Fact]
    public void A_net_body_given_as_buy_is_refused()
    {
        var e = Assert.Throws<ImportFormatException>(() =>
            ImportReader.Open(NetValueSample, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Value, Side = InvestorSide.Buy }));

        Assert.Equal("file 'MDCSTAT02302-005930-netbuy-value-20210115-20210122.json' has negative values on 2021/01/22, so it is a net-buy body, not buy: pass --side net", e.Message);
    }

    [Fact]
    public void Bad_numbers_reject_their_day_and_keep_the_others()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", """
            {"output": [
              {"TRD_DD": "2021/01/22", "TRDVAL1": "-6,384,793", "TRDVAL2": "56,478", "TRDVAL3": "9,884,815", "TRDVAL4": "-3,556,500", "TRDVAL_TOT": "0"},
              {"TRD_DD": "2021/01/21", "TRDVAL1": "-712,099", "TRDVAL2": "n/a", "TRDVAL3": "2,890,389", "TRDVAL4": "-1,856,558", "TRDVAL_TOT": "0"},
              {"TRD_DD": "2021/01/20", "TRDVAL1": "-4,157,919", "TRDVAL2": "262,408", "TRDVAL3": "-", "TRDVAL4": "-1,022,144", "TRDVAL_TOT": "0"},
              {"TRD_DD": "2021/01/19", "TRDVAL1": "1,139,258.5", "TRDVAL2": "-34,023", "TRDVAL3": "-2,044,543", "TRDVAL4": "939,308", "TRDVAL_TOT": "0"},
              {"TRDVAL1": "505,669", "TRDVAL2": "262,604", "TRDVAL3": "151,228", "TRDVAL4": "-919,501", "TRDVAL_TOT": "0"}
            ]}
            """);

        var (flows, rejected) = ImportReader.Open(path, new ImportOptions { Code = Samsung, Measure = InvestorMeasure.Volume }).ReadInvestorFlows();

        Assert.Equal(4, flows.Count);
        Assert.Equal(-6_384_793L, flows.Single(f => f.Investor == InvestorType.InstitutionTotal).NetVolume);
        Assert.Equal(
            [(2L, ReasonCodes.NonNumericField), (3L, ReasonCodes.MissingField), (4L, ReasonCodes.NonNumericField), (5L, ReasonCodes.MissingField)],
            rejected.Select(r => (r.Line, r.Reason)));
        Assert.Contains("\"n/a\"", rejected[0].Payload, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, true, "pass either --code (one stock) or --market (whole market), not both")]
    [InlineData(false, false, "names neither stock nor market: pass --code (one stock) or --market (whole market)")]
    public void Per_stock_or_market_wide_must_be_said_exactly_once(bool code, bool market, string expected)
    {
        var options = new ImportOptions { Code = code ? Samsung : null, Market = market ? Market.Kospi : null, Measure = InvestorMeasure.Value };

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(NetValueSample, options));

        Assert.EndsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_measure_must_be_given()
    {
        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(NetValueSample, new ImportOptions { Code = Samsung }));

        Assert.Equal("MDCSTAT02302 bodies do not say whether they hold volumes or values: pass --measure volume|value", e.Message);
    }

    [Fact]
    public void A_layout_with_a_twelfth_column_is_refused_rather_than_guessed()
    {
        using var dir = new TempDir();
        var columns = string.Join(", ", Enumerable.Range(1, 12).Select(i => $"\"TRDVAL{i}\": \"1\""));
        var path = dir.Write("12.json", $$"""{"output": [{"TRD_DD": "2021/01/22", {{columns}}, "TRDVAL_TOT": "0"}]}""");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions { Market = Market.Kospi, Measure = InvestorMeasure.Value }));

        Assert.Contains("unknown investor layout", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A KRX-shaped MDCSTAT02203 body (TRDVAL1..11 = 금융투자 … 기타외국인, TRDVAL_TOT = 전체) built from the values
    /// pykrx printed for that request in its README; the pack has no recorded 02203 body itself.
    /// </summary>
    private static string DetailBody(InvestorMeasure measure) =>
        Body(ReferenceTable($"pykrx_README_get_market_trading_{measure.Name()}_by_date__20210115_20210122_KOSPI_etf=True_etn=True_elw=True_detail=True.csv"),
            ["금융투자", "보험", "투신", "사모", "은행", "기타금융", "연기금", "기타법인", "개인", "외국인", "기타외국인"]);

    private static string Body(Dictionary<DateOnly, Dictionary<string, decimal>> table, string[] columns)
    {
        var json = new StringBuilder("{\"output\": [");
        foreach (var (date, row) in table.OrderByDescending(kv => kv.Key))
        {
            json.Append(CultureInfo.InvariantCulture, $"{{\"TRD_DD\": \"{date:yyyy'/'MM'/'dd}\"");
            for (var i = 0; i < columns.Length; i++)
            {
                json.Append(CultureInfo.InvariantCulture, $", \"TRDVAL{i + 1}\": \"{row[columns[i]]:#,0}\"");
            }

            json.Append(CultureInfo.InvariantCulture, $", \"TRDVAL_TOT\": \"{row["전체"]:#,0}\"}},");
        }

        json.Length--;
        return json.Append("], \"CURRENT_DATETIME\": \"2026.01.25 PM 08:28:50\"}").ToString();
    }

    /// <summary>A reference CSV keyed by its date column (TRD_DD or date).</summary>
    private static Dictionary<DateOnly, Dictionary<string, decimal>> ReferenceTable(string name)
    {
        var lines = File.ReadAllLines(TestPaths.Reference("investor", name));
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => l.Split(',')).ToDictionary(
            f => KrxText.ParseDateOrNull(f[0])!.Value,
            f => header.Skip(1).Select((h, i) => (h, v: decimal.Parse(f[i + 1], CultureInfo.InvariantCulture))).ToDictionary(x => x.h, x => x.v));
    }
}
