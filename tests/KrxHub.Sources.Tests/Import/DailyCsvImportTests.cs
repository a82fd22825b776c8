using System.Text;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class DailyCsvImportTests
{
    private static readonly string AdjustedHistory = TestPaths.Data("history", "krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz");
    private static readonly string RawHistory = TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz");
    private static readonly StockCode Samsung = StockCode.Parse("005930");

    [Fact]
    public void The_bundled_adjusted_history_streams_all_986298_rows_in_pykrx_format()
    {
        var file = ImportReader.Open(AdjustedHistory, new ImportOptions());

        long count = 0;
        RawDailyRow? first = null, last = null;
        var samsung = 0;
        foreach (var row in file.ReadDailyRows())
        {
            count++;
            first ??= row;
            last = row;
            Assert.Equal(count, row.Line);
            if (row.Code == "005930")
            {
                samsung++;
            }
        }

        Assert.Equal(ImportFormat.PykrxCsv, file.Format);
        Assert.Null(file.Basis);
        Assert.Equal("pykrx-csv", file.Source);
        Assert.Equal(986_298, count);
        Assert.Equal(370, samsung);
        Assert.Equal("000020,2023-12-05,9350,9550,9330,9550,78661,2.139", first!.Payload);
        Assert.Equal(("000020", "2023-12-05", "9350", "9550", "9330", "9550", "78661"),
            (first.Code, first.Date, first.Open, first.High, first.Low, first.Close, first.Volume));
        Assert.Null(first.Change);
        Assert.Equal(("950220", "2025-06-17", "1204"), (last!.Code, last.Date, last.Close));
    }

    [Fact]
    public async Task Async_streaming_of_the_raw_history_agrees_with_sync_streaming()
    {
        var file = ImportReader.Open(RawHistory, new ImportOptions());
        var sync = file.ReadDailyRows().ToList();
        var asyncRows = new List<RawDailyRow>();
        await foreach (var row in file.ReadDailyRowsAsync(CancellationToken.None))
        {
            asyncRows.Add(row);
        }

        Assert.Equal(80_828, sync.Count);
        Assert.Equal(sync.Select(r => r.Payload), asyncRows.Select(r => r.Payload));
        Assert.Equal(sync.Select(r => r.Close), asyncRows.Select(r => r.Close));
    }

    [Fact]
    public void The_raw_all_stocks_history_maps_the_marcap_columns()
    {
        var file = ImportReader.Open(RawHistory, new ImportOptions());

        var row = file.ReadDailyRows().First(r => r.Code == "005930" && r.Date == "2024-01-02");

        Assert.Equal(ImportFormat.MarcapCsv, file.Format);
        Assert.Equal(PriceBasis.Raw, file.Basis);
        Assert.Equal("삼성전자", row.Name);
        Assert.Equal("KOSPI", row.Market);
        Assert.Equal(("78200.0", "79800.0", "78200.0", "79600.0", "17142847.0"), (row.Open, row.High, row.Low, row.Close, row.Volume));
        Assert.Equal(("1356958225913.0", "475194690980000.0", "5969782550"), (row.TradingValue, row.MarketCap, row.ListedShares));
        Assert.Equal(("1100.0", "1"), (row.Change, row.ChangeCode));
        Assert.StartsWith("\"005930\",\"삼성전자\",79600.0,", row.Payload, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("marcap-2021.csv.gz", "2021-01-04", "KOSDAQ", "187200.0", "17100.0", "1")]
    [InlineData("marcap-2025.csv.gz", "2025-01-02", "KOSDAQ GLOBAL", "105500.0", "-4400.0", "2")]
    public void Marcap_files_are_read_by_column_name_whatever_the_order_and_line_ending(
        string file, string date, string market, string close, string change, string changeCode)
    {
        var import = ImportReader.Open(TestPaths.Reference("ohlcv", "marcap_raw", file), new ImportOptions());

        var row = import.ReadDailyRows().First(r => r.Code == "247540");

        Assert.Equal(ImportFormat.MarcapCsv, import.Format);
        Assert.Equal((date, market, close, change, changeCode), (row.Date, row.Market, row.Close, row.Change, row.ChangeCode));
        Assert.Equal("에코프로비엠", row.Name);
        Assert.DoesNotContain('\r', row.Payload);
        Assert.DoesNotContain('\r', row.Date!);
    }

    [Fact]
    public void Pykrx_Korean_headers_are_detected_and_take_the_code_from_the_option()
    {
        var path = TestPaths.Reference("ohlcv", "do0405_invest_KR", "005930.csv");

        var file = ImportReader.Open(path, new ImportOptions { Code = Samsung });
        var rows = file.ReadDailyRows().ToList();

        Assert.Equal(ImportFormat.PykrxCsv, file.Format);
        Assert.Equal(370, rows.Count);
        Assert.All(rows, r => Assert.Equal("005930", r.Code));
        Assert.Equal(("2023-12-05", "72300", "72400", "71200", "71200", "12129682"),
            (rows[0].Date, rows[0].Open, rows[0].High, rows[0].Low, rows[0].Close, rows[0].Volume));
        Assert.Equal(("2025-06-17", "58450"), (rows[^1].Date, rows[^1].Close));
        Assert.Null(rows[0].Change);
    }

    [Fact]
    public void A_single_stock_file_without_code_option_is_refused_with_a_one_line_message()
    {
        var path = TestPaths.Reference("ohlcv", "do0405_invest_KR", "005930.csv");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));

        Assert.Equal("file '005930.csv' has no code column: pass --code (e.g. --code 005930)", e.Message);
    }

    [Fact]
    public void A_code_option_for_a_file_that_names_its_stocks_is_refused()
    {
        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(AdjustedHistory, new ImportOptions { Code = Samsung }));

        Assert.Contains("names its stocks in column 'code'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ecstasyego_CSV", "005930.csv", 6000, "2000-08-25", "6400", "2024-12-16", "55600")]
    [InlineData("pqmsoft1_stockdata", "247540.csv", 640, "2019-03-05", "63200", "2021-10-01", "451000")]
    public void FinanceDataReader_files_are_detected_and_their_fractional_change_is_not_taken_as_an_amount(
        string folder, string name, int count, string firstDate, string firstClose, string lastDate, string lastClose)
    {
        var code = StockCode.Parse(Path.GetFileNameWithoutExtension(name));

        var file = ImportReader.Open(TestPaths.Reference("ohlcv", folder, name), new ImportOptions { Code = code });
        var rows = file.ReadDailyRows().ToList();

        Assert.Equal(ImportFormat.FdrCsv, file.Format);
        Assert.Equal(count, rows.Count);
        Assert.Equal((firstDate, firstClose), (rows[0].Date, rows[0].Close));
        Assert.Equal((lastDate, lastClose), (rows[^1].Date, rows[^1].Close));
        Assert.All(rows, r => Assert.Null(r.Change));
    }

    [Fact]
    public void A_non_numeric_close_is_yielded_for_quarantine_not_thrown()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.csv", "code,date,open,high,low,close,volume,change_pct\n005930,2024-01-02,78200,79800,78200,abc,17142847,1.4\n005930,2024-01-03,78500,78800,77000,77000,21753644,-3.27\n");

        var rows = ImportReader.Open(path, new ImportOptions()).ReadDailyRows().ToList();

        Assert.Equal(2, rows.Count);
        Assert.Equal("abc", rows[0].Close);
        Assert.Equal("005930,2024-01-02,78200,79800,78200,abc,17142847,1.4", rows[0].Payload);
        var validated = Validator().ParseRows(rows, PriceBasis.Adjusted, "test", DateTimeOffset.UnixEpoch);
        Assert.Equal([ReasonCodes.NonNumericField], validated[0].Reasons);
        Assert.True(validated[1].Accepted);
    }

    [Fact]
    public void Rows_with_the_wrong_number_of_fields_are_yielded_with_missing_fields()
    {
        using var dir = new TempDir();
        var path = dir.Write("short.csv", "code,date,open,high,low,close,volume,change_pct\n005930,2024-01-02,78200\n005930,2024-01-02,78,200,79800,78200,79600,17142847,1.4\n");

        var rows = ImportReader.Open(path, new ImportOptions()).ReadDailyRows().ToList();

        Assert.Equal(("005930", "2024-01-02", "78200", null), (rows[0].Code, rows[0].Date, rows[0].Open, rows[0].Close));
        Assert.Equal((null, null, null), (rows[1].Code, rows[1].Open, rows[1].Close));
        Assert.Equal("005930,2024-01-02,78,200,79800,78200,79600,17142847,1.4", rows[1].Payload);
        var validated = Validator().ParseRows(rows, PriceBasis.Adjusted, "test", DateTimeOffset.UnixEpoch);
        Assert.All(validated, v => Assert.Contains(ReasonCodes.MissingField, v.Reasons));
    }

    [Fact]
    public void A_header_that_lacks_required_columns_is_refused_before_any_row_naming_what_is_missing()
    {
        using var dir = new TempDir();
        var path = dir.Write("x.csv", "code,date,open,close\n005930,2024-01-02,1,2\n");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions { Format = ImportFormat.PykrxCsv }));

        Assert.Equal("file 'x.csv' is not a pykrx CSV: header 'code,date,open,close' lacks high/low/volume", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_unrecognisable_header_is_refused_in_auto_mode()
    {
        using var dir = new TempDir();
        var path = dir.Write("x.csv", "a,b,c\n1,2,3\n");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));

        Assert.Equal("cannot tell the format of 'x.csv' from its header 'a,b,c': pass --format pykrx-csv|fdr-csv|marcap-csv|krx-json", e.Message);
    }

    [Fact]
    public void Options_a_CSV_does_not_use_are_refused_rather_than_ignored()
    {
        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(RawHistory, new ImportOptions { Date = new DateOnly(2024, 1, 2) }));

        Assert.StartsWith("--date does not apply to", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_is_recognised_by_its_magic_bytes_and_a_BOM_is_dropped()
    {
        using var dir = new TempDir();
        var text = "\uFEFFDate,Open,High,Low,Close,Volume,Change\r\n2024-01-02,78200,79800,78200,79600,17142847,0.014\r\n";
        var path = dir.WriteBytes("no-extension", TempDir.Gzip(Encoding.UTF8.GetBytes(text)));

        var file = ImportReader.Open(path, new ImportOptions { Code = Samsung });
        var row = Assert.Single(file.ReadDailyRows());

        Assert.Equal(ImportFormat.FdrCsv, file.Format);
        Assert.Equal(("005930", "2024-01-02", "79600"), (row.Code, row.Date, row.Close));
    }

    [Fact]
    public void A_gz_file_that_is_not_gzip_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Write("plain.csv.gz", "code,date,open,high,low,close,volume\n");

        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));

        Assert.Equal("file 'plain.csv.gz' ends in .gz but is not gzip data", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_fails_with_an_import_format_error_while_streaming()
    {
        using var dir = new TempDir();
        var text = new StringBuilder("code,date,open,high,low,close,volume\n");
        var random = new Random(7);
        for (var i = 0; i < 200_000; i++)
        {
            text.Append("005930,2024-01-02,").Append(random.Next(1000, 99999)).Append(",2,3,4,5\n");
        }

        var gz = TempDir.Gzip(Encoding.UTF8.GetBytes(text.ToString()));
        var path = dir.WriteBytes("cut.csv.gz", gz[..(gz.Length / 2)]);

        var file = ImportReader.Open(path, new ImportOptions());
        var e = Assert.Throws<ImportFormatException>(() => file.ReadDailyRows().Count());

        Assert.Contains("truncated gzip", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_CP949_encoded_pykrx_export_is_read_with_its_Korean_headers()
    {
        using var dir = new TempDir();
        var cp949 = CodePagesEncodingProvider.Instance.GetEncoding(949)!;
        var path = dir.WriteBytes("cp949.csv", cp949.GetBytes("날짜,시가,고가,저가,종가,거래량,등락률,거래대금\n2024-01-02,78200,79800,78200,79600,17142847,1.4,1356958225913\n"));

        var file = ImportReader.Open(path, new ImportOptions { Code = Samsung });
        var row = Assert.Single(file.ReadDailyRows());

        Assert.Equal(ImportFormat.PykrxCsv, file.Format);
        Assert.Equal(("79600", "1356958225913"), (row.Close, row.TradingValue));
    }

    [Fact]
    public void A_pandas_index_column_without_a_name_is_the_date_of_a_pykrx_export()
    {
        using var dir = new TempDir();
        var path = dir.Write("idx.csv", ",시가,고가,저가,종가,거래량\n2024-01-02,78200,79800,78200,79600,17142847\n");

        var row = Assert.Single(ImportReader.Open(path, new ImportOptions { Code = Samsung }).ReadDailyRows());

        Assert.Equal(("2024-01-02", "78200"), (row.Date, row.Open));
    }

    [Fact]
    public void A_pykrx_by_ticker_export_takes_its_session_from_the_date_option()
    {
        using var dir = new TempDir();
        var path = dir.Write("ohlcv-20210122.csv", "티커,시가,고가,저가,종가,거래량,거래대금,등락률\n005930,89000,89700,86800,86800,30861661,2717635251520,-1.48\n");

        var missing = Assert.Throws<ImportFormatException>(() => ImportReader.Open(path, new ImportOptions()));
        var row = Assert.Single(ImportReader.Open(path, new ImportOptions { Date = new DateOnly(2021, 1, 22) }).ReadDailyRows());

        Assert.Equal("file 'ohlcv-20210122.csv' has no date column: pass --date yyyy-MM-dd if all its rows are of one session", missing.Message);
        Assert.Equal(("005930", "2021-01-22", "86800", "2717635251520"), (row.Code, row.Date, row.Close, row.TradingValue));
    }

    private static DailyBarValidator Validator()
    {
        var calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));
        var master = new Dictionary<StockCode, Stock> { [Samsung] = new(Samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)) };
        return new DailyBarValidator(calendar, master, new DateOnly(2026, 4, 14));
    }
}
