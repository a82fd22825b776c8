using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Sources.KrxOpenApi;
using static KrxHub.Sources.Tests.KrxOpenApi.KrxTestKit;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public sealed class KrxOpenApiParsingTests
{
    [Fact]
    public async Task The_three_markets_of_a_day_parse_into_the_real_raw_bars_KRX_reported()
    {
        await using var server = await FakeKrxServer.StartAsync();
        ServeJan4(server);

        var days = await Client(server).GetAllMarketsDailyAsync(Jan4, CancellationToken.None);

        Assert.Equal([Market.Kospi, Market.Kosdaq, Market.Konex], days.Select(d => d.Market));
        Assert.Equal([917, 1471, 143], days.Select(d => d.Rows.Count));
        Assert.All(days, d => Assert.Equal((Jan4, PriceBasis.Raw, "krx-openapi"), (d.Date, d.Basis, d.Source)));

        // The request as documented: GET {root}/sto/{stk,ksq,knx}_bydd_trd?basDd=yyyyMMdd with the AUTH_KEY header.
        var calls = server.OpenApiCalls;
        Assert.Equal(["/svc/apis/sto/stk_bydd_trd", "/svc/apis/sto/ksq_bydd_trd", "/svc/apis/sto/knx_bydd_trd"], calls.Select(c => c.Path));
        Assert.All(calls, c => Assert.Equal(("GET", "?basDd=20210104", FakeKrxServer.AuthKey), (c.Method, c.Query, c.Header("AUTH_KEY"))));

        // Every row becomes the bar KRX reported: compare each one with the recorded cross-section.
        var validator = Validator(Jan4Rows);
        var expected = Jan4Rows.ToDictionary(r => r.Code);
        foreach (var day in days)
        {
            var validated = day.Validate(validator);
            Assert.All(validated, v => Assert.True(v.Accepted, $"{v.Raw.Code}: {string.Join(",", v.Reasons)}"));
            foreach (var bar in validated.Select(v => v.Bar!))
            {
                var r = expected[bar.Code.Value];
                var noTrade = r.Volume == 0 && r.Open == 0;
                Assert.Equal(noTrade, bar.NoTrade);
                Assert.Equal((noTrade ? r.Close : r.Open, noTrade ? r.Close : r.High, noTrade ? r.Close : r.Low, r.Close, r.Volume),
                    (bar.Open, bar.High, bar.Low, bar.Close, bar.Volume));
                Assert.Equal(((decimal?)r.TradingValue, (decimal?)r.MarketCap, (long?)r.ListedShares), (bar.TradingValue, bar.MarketCap, bar.ListedShares));
                Assert.Equal((Jan4, "krx-openapi", PriceBasis.Raw), (bar.Date, bar.Source, bar.Basis));
            }
        }

        // Golden values, independent of the loader above: 005930 on 2021-01-04.
        var samsung = days[0].Validate(validator).Single(v => v.Raw.Code == "005930");
        Assert.Equal((81_000m, 84_400m, 80_200m, 83_000m, 38_655_276L), (samsung.Bar!.Open, samsung.Bar.High, samsung.Bar.Low, samsung.Bar.Close, samsung.Bar.Volume));
        Assert.Equal((3_185_356_823_460m, 495_491_951_650_000m, 5_969_782_550L), (samsung.Bar.TradingValue!.Value, samsung.Bar.MarketCap!.Value, samsung.Bar.ListedShares!.Value));
        Assert.Equal(("삼성전자", "KOSPI", "2,000"), (samsung.Raw.Name, samsung.Raw.Market, samsung.Raw.Change));
        var konexHalt = days[2].Rows.Single(r => r.Code == "183410");
        Assert.Equal(("골프존데카", "KONEX", "1,530", "-5", "0"), (konexHalt.Name, konexHalt.Market, konexHalt.Close, konexHalt.Change, konexHalt.Volume));
    }

    [Fact]
    public async Task KRX_strings_with_thousands_separators_and_signs_give_exactly_the_values_of_the_file_import()
    {
        await using var server = await FakeKrxServer.StartAsync();
        server.OpenApiDays[("sto/stk_bydd_trd", "20210122")] = OpenApiBody(KospiJan22AsOpenApi());

        var day = await Client(server).GetDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        // The same KRX strings through the file import of the saved data-system body.
        var imported = ImportReader.Open(KospiJan22Sample, new ImportOptions { Date = Jan22 }).ReadDailyRows().ToList();
        Assert.Equal(917, day.Rows.Count);
        Assert.Equal(imported.Select(Fields), day.Rows.Select(Fields));
        Assert.All(day.Rows, r => Assert.Equal("20210122", r.Date));

        var samsung = StockCode.Parse("005930");
        var retail = StockCode.Parse("282330");
        var master = new Dictionary<StockCode, Stock>
        {
            [samsung] = new(samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)),
            [retail] = new(retail, "BGF리테일", Market.Kospi, new DateOnly(2017, 12, 8)),
        };
        var bars = day.Validate(new DailyBarValidator(Calendar, master, new DateOnly(2026, 4, 14)))
            .Where(v => v.Accepted).ToDictionary(v => v.Bar!.Code, v => v.Bar!);
        Assert.Equal(2, bars.Count);
        Assert.Equal((89_000m, 89_700m, 86_800m, 86_800m, 30_861_661L), (bars[samsung].Open, bars[samsung].High, bars[samsung].Low, bars[samsung].Close, bars[samsung].Volume));
        Assert.Equal((2_717_635_251_520m, 518_177_125_340_000m, 5_969_782_550L), (bars[samsung].TradingValue!.Value, bars[samsung].MarketCap!.Value, bars[samsung].ListedShares!.Value));

        // "-4,000": a signed change with a separator; close − change is the base of the day's price limit (156,000 ± 30%).
        Assert.Equal(("152,000", "-4,000"), (day.Rows.Single(r => r.Code == "282330").Close, day.Rows.Single(r => r.Code == "282330").Change));
        Assert.Equal((156_500m, 156_500m, 151_500m, 152_000m, 62_510L, 9_555_364_000m), (bars[retail].Open, bars[retail].High, bars[retail].Low, bars[retail].Close, bars[retail].Volume, bars[retail].TradingValue!.Value));
    }

    // BAS_DD is the Open API's own field; the saved data-system body is dated by the import option instead.
    private static (string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?) Fields(RawDailyRow r) =>
        (r.Code, r.Open, r.High, r.Low, r.Close, r.Volume, r.TradingValue, r.MarketCap, r.ListedShares, r.Change, r.Name, r.Market);

    [Fact]
    public async Task Bad_records_are_rejected_one_by_one_with_their_reasons_and_none_is_lost()
    {
        await using var server = await FakeKrxServer.StartAsync();
        var konex = Jan4Rows.Where(r => r.MarketId == "KNX").ToList();
        var records = konex.Select(r => (JsonNode?)OpenApiRecord(r, "20210104")).ToList();
        records[0]!.AsObject().Remove("TDD_CLSPRC");
        records[1]!["TDD_OPNPRC"] = "1,2x0";
        records[2]!["ACC_TRDVOL"] = "N/A";
        records[3] = JsonValue.Create("not a record");
        records[4]!["MKTCAP"] = "12.5억";
        records[5]!["ISU_CD"] = "";
        records[6]!["BAS_DD"] = null;
        server.OpenApiDays[("sto/knx_bydd_trd", "20210104")] = OpenApiBody(records);

        var day = await Client(server).GetDailyAsync(Market.Konex, Jan4, CancellationToken.None);
        var validated = day.Validate(Validator(Jan4Rows));

        Assert.Equal(143, validated.Count);
        Assert.Equal(Enumerable.Range(1, 143).Select(i => (long)i), validated.Select(v => v.Raw.Line));
        var rejected = validated.Where(v => !v.Accepted).ToDictionary(v => v.Raw.Line, v => string.Join(",", v.Reasons));
        Assert.Equal(new Dictionary<long, string>
        {
            [1] = ReasonCodes.MissingField,
            [2] = ReasonCodes.NonNumericField,
            [3] = ReasonCodes.NonNumericField,
            [4] = ReasonCodes.MissingField,
            [5] = ReasonCodes.NonNumericField,
            [6] = ReasonCodes.MissingField,
            [7] = ReasonCodes.MissingField,
        }, rejected);
        Assert.Equal("\"not a record\"", validated[3].Raw.Payload);
        Assert.Contains("\"1,2x0\"", validated[1].Raw.Payload, StringComparison.Ordinal);
        Assert.Equal(136, validated.Count(v => v.Accepted));
    }

    [Fact]
    public async Task A_record_with_ISU_SRT_CD_uses_it_and_an_answer_holding_only_ISINs_is_refused_with_the_reason()
    {
        await using var server = await FakeKrxServer.StartAsync();
        var kospi = Jan4Rows.Where(r => r.MarketId == "STK").Take(3).ToList();
        server.OpenApiDays[("sto/stk_bydd_trd", "20210104")] = OpenApiBody(kospi.Select(r =>
        {
            var record = OpenApiRecord(r, "20210104");
            record["ISU_CD"] = r.Isin;
            record["ISU_SRT_CD"] = r.Code;
            return (JsonNode?)record;
        }));
        server.OpenApiDays[("sto/ksq_bydd_trd", "20210104")] = OpenApiBody(Jan4Rows.Where(r => r.MarketId == "KSQ").Take(3).Select(r =>
        {
            var record = OpenApiRecord(r, "20210104");
            record["ISU_CD"] = r.Isin;
            return (JsonNode?)record;
        }));
        var client = Client(server);

        var day = await client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None);
        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => client.GetDailyAsync(Market.Kosdaq, Jan4, CancellationToken.None));

        Assert.Equal(kospi.Select(r => r.Code), day.Rows.Select(r => r.Code));
        Assert.Equal("KRX Open API sto/ksq_bydd_trd basDd=20210104: ISU_CD holds ISINs (e.g. KR7060310000), not 6-character stock codes: the rows cannot be matched to stocks", e.Message);
    }

    [Fact]
    public void KONEX_is_asked_for_only_from_its_opening_day()
    {
        Assert.Equal([Market.Kospi, Market.Kosdaq], KrxOpenApiClient.MarketsOn(new DateOnly(2013, 6, 28)));
        Assert.Equal([Market.Kospi, Market.Kosdaq, Market.Konex], KrxOpenApiClient.MarketsOn(new DateOnly(2013, 7, 1)));
    }
}
