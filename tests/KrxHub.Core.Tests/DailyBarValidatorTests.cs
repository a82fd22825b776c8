using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

public class DailyBarValidatorTests
{
    private static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));
    private static readonly DateTimeOffset FetchedAt = new(2024, 2, 14, 9, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<StockCode, Stock> Master = new[]
    {
        new Stock(StockCode.Parse("005930"), "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)),
        new Stock(StockCode.Parse("091990"), "셀트리온헬스케어", Market.Kosdaq, new DateOnly(2017, 7, 28), new DateOnly(2024, 1, 12)),
        new Stock(StockCode.Parse("0126Z0"), "새 종목", Market.Kospi, new DateOnly(2024, 1, 3)),
    }.ToDictionary(s => s.Code);

    private static DailyBarValidator Validator => new(Calendar, Master, new DateOnly(2024, 2, 14));

    // Real raw KRX values of 005930 (marcap), with change = close − previous close.
    private static RawDailyRow Row(string code = "005930", string date = "2024-01-02", string open = "78200", string high = "79800",
        string low = "78200", string close = "79600", string volume = "17142847", string? change = null, string? changeCode = null) =>
        new()
        {
            Payload = $"{code},{date},{open},{high},{low},{close},{volume}",
            Code = code, Date = date, Open = open, High = high, Low = low, Close = close, Volume = volume,
            Change = change, ChangeCode = changeCode,
        };

    private static ValidatedBatch Validate(PriceBasis basis, IReadOnlyDictionary<StockCode, PreviousClose>? previous, params RawDailyRow[] rows)
    {
        var v = Validator;
        var parsed = v.ParseRows(rows, basis, "test", FetchedAt);
        return v.ApplyBatchRules(parsed, previous ?? new Dictionary<StockCode, PreviousClose>());
    }

    private static IReadOnlyList<string> ReasonsOf(RawDailyRow row, PriceBasis basis = PriceBasis.Raw) =>
        Validate(basis, null, row).Rows.Single().Reasons;

    [Fact]
    public void A_real_bar_is_accepted_with_exact_values()
    {
        var batch = Validate(PriceBasis.Raw, null, Row());
        var bar = Assert.Single(batch.Accepted);
        Assert.Equal(79600m, bar.Close);
        Assert.Equal(17142847, bar.Volume);
        Assert.Equal(PriceBasis.Raw, bar.Basis);
        Assert.False(bar.NoTrade);
    }

    [Theory]
    [InlineData("", "2024-01-02", "78200", ReasonCodes.MissingField)]
    [InlineData("005930", "", "78200", ReasonCodes.MissingField)]
    [InlineData("005930", "2024-01-02", "", ReasonCodes.MissingField)]
    [InlineData("005930", "2024-01-02", "-", ReasonCodes.MissingField)]
    [InlineData("005930", "2024-01-02", "7820O", ReasonCodes.NonNumericField)]
    [InlineData("005930", "2024-13-02", "78200", ReasonCodes.NonNumericField)]
    [InlineData("5930", "2024-01-02", "78200", ReasonCodes.InvalidCode)]
    public void Missing_and_non_numeric_fields_are_rejected(string code, string date, string open, string reason)
    {
        Assert.Contains(reason, ReasonsOf(Row(code: code, date: date, open: open)));
    }

    [Fact]
    public void Each_rule_has_its_reason()
    {
        Assert.Contains(ReasonCodes.NonPositivePrice, ReasonsOf(Row(open: "-78200")));
        Assert.Contains(ReasonCodes.NegativeVolume, ReasonsOf(Row(volume: "-1")));
        Assert.Contains(ReasonCodes.OhlcInconsistent, ReasonsOf(Row(low: "79000")));   // low above the open
        Assert.Contains(ReasonCodes.OhlcInconsistent, ReasonsOf(Row(high: "79500")));  // high below the close
        Assert.Contains(ReasonCodes.NotASession, ReasonsOf(Row(date: "2024-01-06")));  // a Saturday
        Assert.Contains(ReasonCodes.FutureDate, ReasonsOf(Row(date: "2024-02-15")));
        Assert.Contains(ReasonCodes.UnknownCode, ReasonsOf(Row(code: "999999")));
        Assert.Contains(ReasonCodes.OffTickGrid, ReasonsOf(Row(close: "79650", high: "79800")));
    }

    [Fact]
    public void The_tick_grid_is_checked_on_raw_prices_only()
    {
        Assert.Empty(ReasonsOf(Row(close: "79650"), PriceBasis.Adjusted));
    }

    [Fact]
    public void A_KRX_no_trade_row_is_a_flagged_halt_not_an_error()
    {
        // 091990 on 2024-01-02 in the real raw window: no open/high/low, close carried forward, change code 0.
        var batch = Validate(PriceBasis.Raw, null, Row("091990", open: "0.0", high: "0.0", low: "0.0", close: "75900.0", volume: "0.0", change: "0.0", changeCode: "0"));
        var bar = Assert.Single(batch.Accepted);
        Assert.True(bar.NoTrade);
        Assert.Equal(75900m, bar.Open);
        Assert.Equal(75900m, bar.Low);
        Assert.Equal(0, bar.Volume);
        Assert.Equal(1, batch.NoTradeCount);
    }

    [Fact]
    public void The_limit_check_uses_the_previous_session_close()
    {
        var previous = new Dictionary<StockCode, PreviousClose> { [StockCode.Parse("005930")] = new(new DateOnly(2023, 12, 28), 78500m) };
        // Upper limit from 78,500 = 102,000 (102,050 truncated to the 100 tick).
        Assert.Empty(Validate(PriceBasis.Raw, previous, Row(open: "100000", high: "102000", low: "99000", close: "102000")).Rows.Single().Reasons);
        Assert.Contains(ReasonCodes.OutsidePriceLimit,
            Validate(PriceBasis.Raw, previous, Row(open: "100000", high: "102100", low: "99000", close: "102100")).Rows.Single().Reasons);
    }

    [Fact]
    public void The_limit_check_is_skipped_without_a_previous_close_or_after_a_gap()
    {
        Assert.Empty(ReasonsOf(Row(open: "150000", high: "160000", low: "150000", close: "160000")));
        var stale = new Dictionary<StockCode, PreviousClose> { [StockCode.Parse("005930")] = new(new DateOnly(2023, 11, 1), 50000m) };
        Assert.Empty(Validate(PriceBasis.Raw, stale, Row()).Rows.Single().Reasons);
    }

    [Fact]
    public void The_source_change_field_gives_the_base_price()
    {
        // close 79,600 with change +1,100 → base 78,500: within the limit.
        Assert.Empty(ReasonsOf(Row(change: "1100")));
        // close 79,600 with change +40,000 → base 39,600, upper limit 51,400: outside.
        Assert.Contains(ReasonCodes.OutsidePriceLimit, ReasonsOf(Row(change: "40000")));
    }

    [Fact]
    public void Within_a_batch_each_bar_is_checked_against_the_bar_before_it()
    {
        var batch = Validate(PriceBasis.Raw, null,
            Row(date: "2024-01-02"),
            Row(date: "2024-01-03", open: "78500", high: "78800", low: "77000", close: "77000"),
            Row(date: "2024-01-04", open: "110000", high: "110000", low: "110000", close: "110000"));
        Assert.Equal(2, batch.AcceptedCount);
        Assert.Equal([ReasonCodes.OutsidePriceLimit], batch.Rows[2].Reasons);
    }

    [Fact]
    public void A_new_listing_is_not_limit_checked_on_its_first_day()
    {
        var previous = new Dictionary<StockCode, PreviousClose> { [StockCode.Parse("0126Z0")] = new(new DateOnly(2024, 1, 2), 10000m) };
        Assert.Empty(Validate(PriceBasis.Raw, previous, Row("0126Z0", "2024-01-03", "10000", "40000", "10000", "40000", "1000")).Rows.Single().Reasons);
    }

    [Fact]
    public void Identical_duplicates_are_dropped_and_conflicting_ones_all_rejected()
    {
        var same = Validate(PriceBasis.Raw, null, Row(), Row());
        Assert.Equal(1, same.AcceptedCount);
        Assert.Equal(1, same.DuplicatesDropped);

        var conflict = Validate(PriceBasis.Raw, null, Row(), Row(close: "79500"), Row(date: "2024-01-03", open: "78500", high: "78800", low: "77000", close: "77000"));
        Assert.Equal(1, conflict.AcceptedCount);
        Assert.All(conflict.Rows.Take(2), r => Assert.Equal([ReasonCodes.ConflictingDuplicate], r.Reasons));
        Assert.Equal(2, conflict.QuarantinedByReason[ReasonCodes.ConflictingDuplicate]);
    }

    [Fact]
    public void Trailing_zero_decimals_from_pandas_exports_are_the_same_price()
    {
        var bar = Assert.Single(Validate(PriceBasis.Raw, null, Row(close: "79600.0", volume: "17142847.0")).Accepted);
        Assert.Equal("79600", bar.Close.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(17142847, bar.Volume);
    }
}

public class RealCasesThatAreNotErrors
{
    private static readonly KrxCalendar Calendar = KrxCalendar.Load(KrxHub.Testing.TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    private static readonly Dictionary<StockCode, Stock> Master = new[]
    {
        new Stock(StockCode.Parse("346010"), "타이드", Market.Konex, new DateOnly(2019, 12, 20)),
        new Stock(StockCode.Parse("114120"), "크루셜텍", Market.Kosdaq, new DateOnly(2010, 7, 21), new DateOnly(2024, 2, 15)),
    }.ToDictionary(s => s.Code);

    private static ValidatedRow Validate(RawDailyRow row)
    {
        var v = new DailyBarValidator(Calendar, Master, new DateOnly(2024, 12, 31));
        return v.ApplyBatchRules(v.ParseRows([row], PriceBasis.Raw, "marcap", DateTimeOffset.UnixEpoch), new Dictionary<StockCode, PreviousClose>()).Rows.Single();
    }

    [Fact]
    public void A_KONEX_no_trade_row_with_a_quoted_price_change_is_a_halt()
    {
        // Real marcap row, 2024-01-02: no trades, close 5,780 down 180 (change code 2).
        var row = Validate(new RawDailyRow
        {
            Payload = "346010", Code = "346010", Date = "2024-01-02", Open = "0.0", High = "0.0", Low = "0.0", Close = "5780.0",
            Volume = "0.0", Change = "-180.0", ChangeCode = "2",
        });
        Assert.Empty(row.Reasons);
        Assert.True(row.Bar!.NoTrade);
    }

    [Fact]
    public void Liquidation_trading_before_a_delisting_has_no_daily_limit()
    {
        // Real marcap row, 2024-02-02: close 1,249 after 10,850 (−88.5%) during 정리매매; delisted 2024-02-15.
        var row = Validate(new RawDailyRow
        {
            Payload = "114120", Code = "114120", Date = "2024-02-02", Open = "1500", High = "1500", Low = "961", Close = "1249",
            Volume = "1424729", Change = "-9601", ChangeCode = "2",
        });
        Assert.Empty(row.Reasons);
    }
}
