using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

/// <summary>Imported adjusted series round each price on its own; one tick of slack is an artifact, more is an error.</summary>
public class AdjustmentRoundingTests
{
    private static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    private static readonly Dictionary<StockCode, Stock> Master = new[]
    {
        new Stock(StockCode.Parse("005930"), "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)),
    }.ToDictionary(s => s.Code);

    // Naver's adjusted 005930 on 2015-01-27 (../shared/reference/ohlcv/naver_fchart_005930_daily_adjusted.csv): high 27,999 < close 28,000.
    private static RawDailyRow Naver(string high = "27999", string low = "27480", string close = "28000") => new()
    {
        Payload = $"2015-01-27,27500,{high},{low},{close},199144",
        Code = "005930", Date = "2015-01-27", Open = "27500", High = high, Low = low, Close = close, Volume = "199144",
    };

    private static ValidatedRow Validate(RawDailyRow row, PriceBasis basis)
    {
        var validator = new DailyBarValidator(Calendar, Master, new DateOnly(2026, 12, 6));
        return validator.ApplyBatchRules(validator.ParseRows([row], basis, "naver", DateTimeOffset.UnixEpoch), new Dictionary<StockCode, PreviousClose>()).Rows.Single();
    }

    [Fact]
    public void A_one_won_miss_on_the_adjusted_basis_is_kept_with_high_widened_and_the_original_in_its_provenance()
    {
        var row = Validate(Naver(), PriceBasis.Adjusted);
        Assert.True(row.Accepted, string.Join(",", row.Reasons));
        Assert.Equal(28000m, row.Bar!.High);
        Assert.Equal(27480m, row.Bar.Low);
        Assert.Equal("high=27999", row.Bar.RepairedFrom);
    }

    [Fact]
    public void A_low_above_the_open_by_one_tick_is_widened_down()
    {
        // 28,000 is in the 50-won band of today's KOSPI tick table: low 27,550 misses open 27,500 by one tick.
        var row = Validate(Naver(high: "28000", low: "27550"), PriceBasis.Adjusted);
        Assert.True(row.Accepted);
        Assert.Equal(27500m, row.Bar!.Low);
        Assert.Equal("low=27550", row.Bar.RepairedFrom);
    }

    [Fact]
    public void A_two_tick_miss_on_the_adjusted_basis_is_still_quarantined()
    {
        var row = Validate(Naver(high: "27900"), PriceBasis.Adjusted);
        Assert.False(row.Accepted);
        Assert.Equal([ReasonCodes.OhlcInconsistent], row.Reasons);
    }

    [Fact]
    public void Raw_rows_are_never_repaired()
    {
        var row = Validate(Naver(), PriceBasis.Raw);
        Assert.False(row.Accepted);
        Assert.Contains(ReasonCodes.OhlcInconsistent, row.Reasons);
    }

    [Fact]
    public void A_consistent_adjusted_row_is_not_marked_repaired()
    {
        var row = Validate(Naver(high: "28000"), PriceBasis.Adjusted);
        Assert.True(row.Accepted);
        Assert.Null(row.Bar!.RepairedFrom);
    }
}
