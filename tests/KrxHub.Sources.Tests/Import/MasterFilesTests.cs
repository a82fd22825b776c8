using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

public class MasterFilesTests
{
    [Fact]
    public void The_bundled_master_has_2882_stocks_in_the_three_markets()
    {
        var (stocks, rejected) = MasterFiles.ReadListed(TestPaths.Data("master", "krx-master-2026-04-14.csv"));

        Assert.Empty(rejected);
        Assert.Equal(2_882, stocks.Count);
        Assert.Equal(950, stocks.Count(s => s.Market == Market.Kospi));
        Assert.Equal(1_771 + 52, stocks.Count(s => s.Market == Market.Kosdaq));
        Assert.Equal(52, stocks.Count(s => s.Segment == "KOSDAQ GLOBAL"));
        Assert.Equal(109, stocks.Count(s => s.Market == Market.Konex));
        Assert.Equal(66, stocks.Count(s => !s.Code.Value.All(char.IsAsciiDigit)));
        Assert.Equal(2_882, stocks.Select(s => s.Code).Distinct().Count());

        var posco = stocks.Single(s => s.Code.Value == "009520");
        Assert.Equal(
            new Stock(posco.Code, "포스코엠텍", Market.Kosdaq, new DateOnly(1997, 11, 10), null, 41_642_703, "1차 철강 제조업",
                "POSCO M-TECH CO.,LTD.", "KR7009520008", "KOSDAQ GLOBAL", "주권", "보통주"),
            posco);
    }

    [Fact]
    public void The_delisted_list_keeps_stocks_of_the_three_markets_and_reports_what_it_skipped()
    {
        var (stocks, rejected) = MasterFiles.ReadDelisted(TestPaths.Data("master", "krx-delisted-2026-03-20.csv"));

        // 4,104 records: 1,777 rights/warrants with 8-character codes, 12 codes delisted twice.
        Assert.Equal(1_777, rejected.Count(r => r.Reason == ReasonCodes.InvalidCode));
        Assert.Equal(12, rejected.Count(r => r.Reason == ImportReasonCodes.DuplicateCode));
        Assert.Equal(1_789, rejected.Count);
        Assert.Equal(4_104 - 1_789, stocks.Count);
        Assert.Equal(stocks.Count, stocks.Select(s => s.Code).Distinct().Count());
        Assert.All(stocks, s => Assert.NotNull(s.DelistingDate));

        // A reason with a line break inside quotes stays one record.
        var hwarim = stocks.Single(s => s.Code.Value == "045920");
        Assert.Equal(("화림모드", Market.Kosdaq, new DateOnly(2000, 10, 6), new DateOnly(2003, 10, 17), 21_634_950L, "섬유·의류"),
            (hwarim.Name, hwarim.Market, hwarim.ListingDate, hwarim.DelistingDate, hwarim.ListedShares, hwarim.Industry));

        // Of a code used twice, the later listing is kept.
        Assert.Equal(new DateOnly(1999, 12, 29), stocks.Single(s => s.Code.Value == "016601").DelistingDate);
    }

    [Fact]
    public void A_file_that_is_not_a_master_is_refused()
    {
        var e = Assert.Throws<ImportFormatException>(() =>
            MasterFiles.ReadDelisted(TestPaths.Data("master", "krx-master-2026-04-14.csv")));

        Assert.StartsWith("file 'krx-master-2026-04-14.csv' is not a stock master: header 'code,isin,name,", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("lacks Symbol/DelistingDate", e.Message, StringComparison.Ordinal);
    }
}
