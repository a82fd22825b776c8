using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class ImportNamesTests
{
    [Theory]
    [InlineData("auto", ImportFormat.Auto)]
    [InlineData("pykrx-csv", ImportFormat.PykrxCsv)]
    [InlineData("fdr-csv", ImportFormat.FdrCsv)]
    [InlineData("MARCAP-CSV", ImportFormat.MarcapCsv)]
    [InlineData(" krx-json ", ImportFormat.KrxJson)]
    public void CLI_format_names_parse_and_round_trip(string text, ImportFormat expected)
    {
        Assert.True(ImportNames.TryParse(text, out ImportFormat format));
        Assert.Equal(expected, format);
        Assert.Equal(text.Trim().ToLowerInvariant(), format.Name());
    }

    [Theory]
    [InlineData("csv")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_format_names_are_refused(string? text) => Assert.False(ImportNames.TryParse(text, out ImportFormat _));

    [Fact]
    public void Measure_and_side_names_parse()
    {
        Assert.True(ImportNames.TryParse("volume", out InvestorMeasure measure));
        Assert.Equal(InvestorMeasure.Volume, measure);
        Assert.True(ImportNames.TryParse("Sell", out InvestorSide side));
        Assert.Equal(InvestorSide.Sell, side);
        Assert.False(ImportNames.TryParse("both", out InvestorSide _));
    }

    public static TheoryData<string, ImportFormat> RealFiles => new()
    {
        { TestPaths.Data("history", "krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz"), ImportFormat.PykrxCsv },
        { TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz"), ImportFormat.MarcapCsv },
        { TestPaths.Reference("ohlcv", "marcap_raw", "marcap-2022.csv.gz"), ImportFormat.MarcapCsv },
        { TestPaths.Reference("ohlcv", "marcap_raw", "marcap_selected_tickers_JanFeb_2021_2025_raw.csv"), ImportFormat.MarcapCsv },
        { TestPaths.Reference("ohlcv", "do0405_invest_KR", "068270.csv"), ImportFormat.PykrxCsv },
        { TestPaths.Reference("ohlcv", "ecstasyego_CSV", "000660.csv"), ImportFormat.FdrCsv },
        { TestPaths.Reference("ohlcv", "pqmsoft1_stockdata", "091990.csv"), ImportFormat.FdrCsv },
    };

    [Theory]
    [MemberData(nameof(RealFiles))]
    public void Auto_detection_recognises_each_real_CSV_format(string path, ImportFormat expected)
    {
        var needsCode = expected is ImportFormat.FdrCsv || (expected is ImportFormat.PykrxCsv && !path.EndsWith(".gz", StringComparison.Ordinal));
        var options = new ImportOptions { Code = needsCode ? Core.StockCode.Parse(Path.GetFileNameWithoutExtension(path)) : null };

        var file = ImportReader.Open(path, options);

        Assert.Equal(expected, file.Format);
        Assert.NotNull(file.ReadDailyRows().First().Close);
    }
}
