using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class KrxJsonImportTests
{
    private static readonly string Samples = Path.Combine(TestPaths.RepoRoot, "..", "shared", "data", "samples", "krx");
    private static readonly string AllStocks = Path.Combine(Samples, "MDCSTAT01501-STK-20210122.json");
    private static readonly string Listing = Path.Combine(Samples, "MDCSTAT01901-ALL-20260414.json");
    private static readonly DateOnly Jan22 = new(2021, 1, 22);

    [Fact]
    public void An_MDCSTAT01501_body_gives_one_raw_row_per_stock_dated_by_the_option()
    {
        var file = ImportReader.Open(AllStocks, new ImportOptions { Date = Jan22 });
        var rows = file.ReadDailyRows().ToList();

        Assert.Equal((ImportFormat.KrxJson, "MDCSTAT01501", PriceBasis.Raw), (file.Format, file.Bld, file.Basis));
        Assert.Equal("krx:MDCSTAT01501", file.Source);
        Assert.Equal(new DateTimeOffset(2026, 1, 25, 20, 27, 25, TimeSpan.FromHours(9)), file.FetchedAt);
        Assert.Equal(917, rows.Count);
        Assert.Equal(Enumerable.Range(1, 917).Select(i => (long)i), rows.Select(r => r.Line));
        var samsung = rows.Single(r => r.Code == "005930");
        Assert.Equal(("2021-01-22", "89,000", "89,700", "86,800", "86,800", "30,861,661"),
            (samsung.Date, samsung.Open, samsung.High, samsung.Low, samsung.Close, samsung.Volume));
        Assert.Equal(("2,717,635,251,520", "518,177,125,340,000", "5,969,782,550", "-1,300", "2"),
            (samsung.TradingValue, samsung.MarketCap, samsung.ListedShares, samsung.Change, samsung.ChangeCode));
        Assert.Equal(("삼성전자", "KOSPI"), (samsung.Name, samsung.Market));
        Assert.Equal("KR7005930003", JsonDocument.Parse(samsung.Payload).RootElement.GetProperty("ISU_CD").GetString());
    }

    [Fact]
    public void MDCSTAT01501_rows_pass_the_validator_as_real_raw_bars()
    {
        var rows = ImportReader.Open(AllStocks, new ImportOptions { Date = Jan22 }).ReadDailyRows();
        var calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));
        var samsung = StockCode.Parse("005930");
        var master = new Dictionary<StockCode, Stock> { [samsung] = new(samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)) };

        var validated = new DailyBarValidator(calendar, master, new DateOnly(2026, 4, 14))
            .ParseRows(rows, PriceBasis.Raw, "krx", DateTimeOffset.UnixEpoch);

        var bar = validated.Single(v => v.Raw.Code == "005930");
        Assert.True(bar.Accepted);
        Assert.Equal((89_000m, 86_800m, 30_861_661L, 2_717_635_251_520m), (bar.Bar!.Open, bar.Bar.Close, bar.Bar.Volume, bar.Bar.TradingValue));
        Assert.DoesNotContain(validated, v => v.Reasons.Contains(ReasonCodes.NonNumericField) || v.Reasons.Contains(ReasonCodes.MissingField));
    }

    [Fact]
    public void An_MDCSTAT01501_body_without_a_date_option_is_refused_with_a_one_line_message()
    {
        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(AllStocks, new ImportOptions()));

        Assert.Equal("MDCSTAT01501 bodies carry no session date: pass --date yyyy-MM-dd", e.Message);
    }

    [Fact]
    public void An_MDCSTAT01901_body_gives_the_stock_master_with_segments()
    {
        var file = ImportReader.Open(Listing, new ImportOptions());
        var (stocks, rejected) = file.ReadStocks();

        Assert.Equal((ImportContent.Stocks, "MDCSTAT01901"), (file.Content, file.Bld));
        Assert.Empty(rejected);
        Assert.Equal(2_882, stocks.Count);
        Assert.Equal(950, stocks.Count(s => s.Market == Market.Kospi));
        Assert.Equal(1_771 + 52, stocks.Count(s => s.Market == Market.Kosdaq));
        Assert.Equal(52, stocks.Count(s => s.Segment == "KOSDAQ GLOBAL"));
        Assert.Equal(109, stocks.Count(s => s.Market == Market.Konex));
        Assert.Equal(66, stocks.Count(s => !s.Code.Value.All(char.IsAsciiDigit)));
        var micro = stocks.Single(s => s.Code.Value == "098120");
        Assert.Equal(
            new Stock(micro.Code, "마이크로컨텍솔", Market.Kosdaq, new DateOnly(2008, 9, 23), null, 8_312_766, null,
                "Micro Contact Solution Co.,Ltd.", "KR7098120009", "KOSDAQ", "주권", "보통주"),
            micro);
    }

    [Fact]
    public void Listing_records_that_are_not_KRX_stocks_are_rejected_with_reasons()
    {
        using var dir = new TempDir();
        var path = dir.Write("l.json", """
            {"OutBlock_1": [
              {"ISU_CD": "KR7005930003", "ISU_SRT_CD": "005930", "ISU_ABBRV": "삼성전자", "LIST_DD": "1975/06/11", "MKT_TP_NM": "KOSPI", "LIST_SHRS": "5,919,637,922"},
              {"ISU_CD": "X", "ISU_SRT_CD": "06031012", "ISU_ABBRV": "권리", "LIST_DD": "2020/01/01", "MKT_TP_NM": "KOSPI", "LIST_SHRS": "1"},
              {"ISU_CD": "X", "ISU_SRT_CD": "123456", "ISU_ABBRV": "x", "LIST_DD": "2020/01/01", "MKT_TP_NM": "NASDAQ", "LIST_SHRS": "1"},
              {"ISU_CD": "X", "ISU_SRT_CD": "123457", "ISU_ABBRV": "y", "LIST_DD": "2020/01/01", "MKT_TP_NM": "KONEX", "LIST_SHRS": "many"}
            ]}
            """);

        var (stocks, rejected) = ImportReader.Open(path, new ImportOptions()).ReadStocks();

        Assert.Equal("005930", Assert.Single(stocks).Code.Value);
        Assert.Equal([(2L, ReasonCodes.InvalidCode), (3L, ImportReasonCodes.UnknownMarket), (4L, ReasonCodes.NonNumericField)],
            rejected.Select(r => (r.Line, r.Reason)));
        Assert.Contains("\"06031012\"", rejected[0].Payload, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_body_is_refused_naming_the_byte_where_it_ends()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(AllStocks);
        var path = dir.WriteBytes("cut.json", bytes[..1234]);

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions { Date = Jan22 }));

        Assert.Equal("file 'cut.json' is truncated JSON at byte 1234: the body ends inside a value", e.Message);
    }

    [Fact]
    public void Malformed_JSON_is_refused_naming_the_byte()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.json", "{\"output\": [{\"TRD_DD\": \"2021/01/22\",, }]}");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));

        Assert.Equal("file 'bad.json' is invalid JSON at byte 36: ',' is an invalid start of a property name", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("<html><head><title>KRX</title></head><body>error</body></html>", "is an HTML page")]
    [InlineData("\n  <!DOCTYPE html>\n<html>", "is an HTML page")]
    [InlineData("LOGOUT", "holds KRX's reply 'LOGOUT'")]
    [InlineData("", "is empty")]
    [InlineData("{\"OutBlock_1\": []}", "holds an empty 'OutBlock_1' array")]
    [InlineData("{\"result\": \"fail\"}", "no 'OutBlock_1' or 'output' array (keys: result)")]
    [InlineData("[1, 2]", "its top level is an array")]
    [InlineData("{\"output\": [{\"IDX_NM\": \"KRX 300\"}]}", "record keys IDX_NM match none of")]
    public void Bodies_that_are_not_importable_data_are_refused(string content, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("reply.json", content);

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_CSV_given_as_krx_json_and_a_JSON_given_as_CSV_are_refused()
    {
        var csv = TestPaths.Reference("ohlcv", "ecstasyego_CSV", "005930.csv");

        var e1 = Assert.Throws<ImportFormatException>(() => ImportReader.Open(csv, new ImportOptions { Format = ImportFormat.KrxJson }));
        var e2 = Assert.Throws<ImportFormatException>(() => ImportReader.Open(AllStocks, new ImportOptions { Format = ImportFormat.MarcapCsv }));

        Assert.Equal("file '005930.csv' is not KRX JSON: it starts with 'Date,Open,High,Low,Close,Volume,Change'", e1.Message);
        Assert.Equal("file 'MDCSTAT01501-STK-20210122.json' is JSON, not a marcap CSV: pass --format krx-json or auto", e2.Message);
    }

    [Fact]
    public void A_gzipped_KRX_body_is_read_like_the_plain_one()
    {
        using var dir = new TempDir();
        var path = dir.WriteBytes("listing.json.gz", TempDir.Gzip(File.ReadAllBytes(Listing)));

        var (stocks, _) = ImportReader.Open(path, new ImportOptions()).ReadStocks();

        Assert.Equal(2_882, stocks.Count);
    }

    [Fact]
    public void An_MDCSTAT01701_body_takes_its_code_from_the_option_and_its_dates_from_TRD_DD()
    {
        using var dir = new TempDir();
        var path = dir.Write("01701.json", Cassettes.Body(("bld", "dbms/MDC/STAT/standard/MDCSTAT01701"), ("isuCd", "KR7005930003")));
        var samsung = StockCode.Parse("005930");

        var file = ImportReader.Open(path, new ImportOptions { Code = samsung });
        var rows = file.ReadDailyRows().ToList();

        Assert.Equal(("MDCSTAT01701", (PriceBasis?)null), (file.Bld, file.Basis));
        Assert.Equal(5, rows.Count);
        Assert.Equal(("005930", "2018/05/04", "51,900", "-1,100", "6,419,324,700"), (rows[0].Code, rows[0].Date, rows[0].Close, rows[0].Change, rows[0].ListedShares));

        // The split halt (2018-04-30..05-03) comes as OHLC 0 with the close carried: kept as no-trade bars.
        var calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));
        var master = new Dictionary<StockCode, Stock> { [samsung] = new(samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)) };
        var validated = new DailyBarValidator(calendar, master, new DateOnly(2026, 4, 14)).ParseRows(rows, PriceBasis.Raw, "krx", DateTimeOffset.UnixEpoch);
        Assert.All(validated, v => Assert.True(v.Accepted, string.Join(",", v.Reasons)));
        Assert.Equal(3, validated.Count(v => v.Bar!.NoTrade));
    }
}
