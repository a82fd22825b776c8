using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class IndexImportTests
{
    private static readonly string Kospi = TestPaths.Reference("index", "fdr_krx_data_cache", "ks11_daily_all_years.csv");
    private static readonly string Kospi200 = TestPaths.Reference("index", "fdr_krx_data_cache", "ks200_daily_all_years.csv");
    private static readonly string KrxKospi = TestPaths.Reference("index", "krx_MDCSTAT00301_KOSPI_1001_daily_1980_20200831.csv");
    private static readonly string Constituents = TestPaths.Reference("index", "krx_MDCSTAT00601_KOSPI_constituents_20260123.csv");
    private static readonly DateOnly Jan23 = new(2026, 1, 23);

    [Fact]
    public void A_FinanceDataReader_index_history_is_recognised_and_read_whole_for_the_named_index()
    {
        var file = ImportReader.Open(Kospi, new ImportOptions { Index = KrxIndex.Kospi });
        var bars = file.ReadIndexBars();

        Assert.Equal((ImportFormat.IndexCsv, ImportContent.IndexBars, "index-csv"), (file.Format, file.Content, file.Source));
        Assert.Equal(7784, bars.Records.Count);
        Assert.Empty(bars.Rejected);
        Assert.All(bars.Records, b => Assert.Equal("1001", b.IndexCode));
        var golden = bars.Records.Single(b => b.Date == new DateOnly(2026, 3, 10));
        Assert.Equal((5523.21m, 5595.88m, 5427.88m, 5532.59m, 923_209_866L, 28_713_302_920_559m, 4_567_316_826_262_150m),
            (golden.Open, golden.High, golden.Low, golden.Close, golden.Volume, golden.TradingValue, golden.MarketCap));
    }

    [Fact]
    public void Levels_the_source_did_not_publish_are_null_not_zero()
    {
        var fdr = ImportReader.Open(Kospi200, new ImportOptions { Index = KrxIndex.Kospi200 }).ReadIndexBars();
        var krx = ImportReader.Open(KrxKospi, new ImportOptions { Index = KrxIndex.Kospi }).ReadIndexBars();

        var first = fdr.Records[0];
        Assert.Equal((new DateOnly(1990, 1, 3), 100m, (decimal?)null, (decimal?)null, 4_024_570L), (first.Date, first.Close, first.Open, first.High, first.Volume));
        // KRX writes 0 for KOSPI's open/high/low before they were published.
        var early = krx.Records[0];
        Assert.Equal((new DateOnly(1980, 1, 4), 100m, (decimal?)null), (early.Date, early.Close, early.Open));
        Assert.Empty(krx.Rejected);
        Assert.Equal(10_916, krx.Records.Count);
    }

    [Fact]
    public void The_KRX_screen_and_FinanceDataReader_agree_on_every_KOSPI_close_they_share()
    {
        var krx = ImportReader.Open(KrxKospi, new ImportOptions { Index = KrxIndex.Kospi }).ReadIndexBars().Records.ToDictionary(b => b.Date);
        var fdr = ImportReader.Open(Kospi, new ImportOptions { Index = KrxIndex.Kospi }).ReadIndexBars().Records;

        var shared = fdr.Where(b => krx.ContainsKey(b.Date)).ToList();
        Assert.Equal(6425, shared.Count);
        Assert.All(shared, b => Assert.Equal(krx[b.Date].Close, b.Close));
    }

    [Fact]
    public void An_index_file_without_an_index_option_is_refused_with_a_one_line_message()
    {
        var e = Assert.Throws<ImportFormatException>(() => ImportReader.Open(Kospi, new ImportOptions()));

        Assert.Equal("'ks11_daily_all_years.csv' holds index bars but does not name its index: pass --index (e.g. --index KOSPI or --index 1001)", e.Message);
    }

    [Fact]
    public void MDCSTAT00601_constituents_keep_every_stock_with_its_cap_share_as_weight()
    {
        var file = ImportReader.Open(Constituents, new ImportOptions { Index = KrxIndex.Kospi, Date = Jan23 });
        var list = file.ReadIndexConstituents();

        Assert.Equal(ImportContent.IndexConstituents, file.Content);
        Assert.Equal(839, list.Records.Count);
        Assert.Empty(list.Rejected);
        var samsung = list.Records[0];
        Assert.Equal(("1001", Jan23, "005930", "삼성전자", 152_100m, 900_376_927_936_200m),
            (samsung.IndexCode, samsung.Date, samsung.Code.Value, samsung.Name, samsung.Close, samsung.MarketCap));
        var total = list.Records.Sum(c => c.MarketCap!.Value);
        Assert.All(list.Records, c => Assert.Equal(Math.Round(c.MarketCap!.Value / total, 8), c.Weight));
        Assert.InRange(list.Records.Sum(c => c.Weight!.Value), 0.999995m, 1.000005m);
    }

    [Fact]
    public void An_MDCSTAT00601_JSON_body_with_thousands_separators_reads_the_same_as_its_CSV()
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(Constituents);
        var header = lines[0].Split(',');
        var records = lines.Skip(1).Select(l => l.Split(',')).Select(f => header.Select((h, i) => (h, v: h is "TDD_CLSPRC" or "MKTCAP" or "STR_CMP_PRC"
            ? decimal.Parse(f[i], CultureInfo.InvariantCulture).ToString("#,0", CultureInfo.InvariantCulture) : f[i])).ToDictionary(x => x.h, x => x.v));
        var body = dir.Write("MDCSTAT00601-1001-20260123.json",
            JsonSerializer.Serialize(new Dictionary<string, object> { ["output"] = records, ["CURRENT_DATETIME"] = "2026.01.25 PM 08:27:25" }));

        var json = ImportReader.Open(body, new ImportOptions { Index = KrxIndex.Kospi, Date = Jan23 });
        var csv = ImportReader.Open(Constituents, new ImportOptions { Index = KrxIndex.Kospi, Date = Jan23 });

        Assert.Equal((ImportFormat.KrxJson, "MDCSTAT00601", "krx:MDCSTAT00601"), (json.Format, json.Bld, json.Source));
        Assert.Equal(new DateTimeOffset(2026, 1, 25, 20, 27, 25, TimeSpan.FromHours(9)), json.FetchedAt);
        Assert.Equal(csv.ReadIndexConstituents().Records.Select(c => (c.Code, c.Name, c.Close, c.MarketCap, c.Weight)),
            json.ReadIndexConstituents().Records.Select(c => (c.Code, c.Name, c.Close, c.MarketCap, c.Weight)));
    }

    [Fact]
    public void FinanceDataReaders_index_stock_list_is_read_as_constituents_not_as_a_marcap_file()
    {
        var file = ImportReader.Open(TestPaths.Reference("index", "fdr_krx_data_cache", "index_stock_1001_2026-03-20.csv"),
            new ImportOptions { Index = KrxIndex.Kospi, Date = new DateOnly(2026, 3, 20) });

        var list = file.ReadIndexConstituents();
        Assert.Equal(837, list.Records.Count);
        Assert.Equal(("005930", 199_400m, 1_180_375_801_646_800m), (list.Records[0].Code.Value, list.Records[0].Close, list.Records[0].MarketCap));
    }

    [Fact]
    public void A_constituent_list_without_a_date_is_refused_and_a_bad_row_is_rejected_with_its_reason()
    {
        using var dir = new TempDir();
        var lines = File.ReadLines(Constituents).Take(4).ToList();
        var bad = dir.Write("bad.csv", string.Join('\n', [lines[0], lines[1], "ABC,이상한,1,1,0,0,5,", lines[2], lines[1]]));

        Assert.Throws<ImportFormatException>(() => ImportReader.Open(bad, new ImportOptions { Index = KrxIndex.Kospi }));
        var list = ImportReader.Open(bad, new ImportOptions { Index = KrxIndex.Kospi, Date = Jan23 }).ReadIndexConstituents();

        Assert.Equal(["005930", "000660"], list.Records.Select(c => c.Code.Value));
        Assert.Equal([ReasonCodes.InvalidCode, ReasonCodes.DuplicateCode], list.Rejected.Select(r => r.Reason));
    }

    [Theory]
    [InlineData("KOSPI", "1001")]
    [InlineData("kosdaq", "2001")]
    [InlineData("KOSPI 200", "1028")]
    [InlineData("KS200", "1028")]
    [InlineData("1163", "1163")]
    [InlineData("5042", "5042")]
    public void Index_names_and_codes_resolve_to_KRX_codes(string text, string code)
    {
        Assert.True(KrxIndex.TryParse(text, out var index));
        Assert.Equal(code, index.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SP500")]
    [InlineData("10011")]
    public void Anything_else_is_not_an_index(string text) => Assert.False(KrxIndex.TryParse(text, out _));
}
