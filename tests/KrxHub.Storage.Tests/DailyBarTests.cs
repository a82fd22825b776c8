using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class DailyBarTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Staged_bars_are_invisible_until_promoted_and_then_read_back_exactly(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var runId = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        DailyBar[] bars = [Samples.SamsungJan2, Samples.SamsungJan3, Samples.HynixJan2, Samples.SamsungJan2Adjusted];

        await db.Store.StageDailyBarsAsync(runId, bars, Ct);
        Assert.Equal(0, await db.Store.CountDailyBarsAsync(Ct));

        var result = await db.Store.PromoteDailyBarsAsync(runId, Ct);

        Assert.Equal(new PromotionResult(4, 0), result);
        Assert.Equal(4, await db.Store.CountDailyBarsAsync(Ct));
        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM staging_daily_bars"));
        var stored = await db.Store.GetBarsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan4, PriceBasis.Raw, Ct);
        Assert.Equal([Samples.SamsungJan2 with { FetchedAt = Samples.Stored(Samples.FetchedAt) }, Samples.SamsungJan3 with { FetchedAt = Samples.Stored(Samples.FetchedAt) }], stored);
        var samsung = stored[0];
        Assert.Equal("79600", samsung.Close.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(475194690980000m, samsung.MarketCap);
        Assert.Equal(TimeSpan.Zero, samsung.FetchedAt.Offset);
        Assert.Equal(Samples.FetchedAt.UtcTicks / 10 * 10, samsung.FetchedAt.UtcTicks);
        var adjusted = Assert.Single(await db.Store.GetBarsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan4, PriceBasis.Adjusted, Ct));
        Assert.Null(adjusted.TradingValue);
        Assert.Null(adjusted.ListedShares);
        Assert.Equal(PriceBasis.Adjusted, adjusted.Basis);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Fractional_prices_and_values_round_trip_exactly(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var bar = Samples.SamsungJan2Adjusted with
        {
            Open = 212969.5m, High = 213000.25m, Low = 0.0001m, Close = 79600.0m, TradingValue = 1356958225913.75m, MarketCap = 0.1m,
        };

        await db.Store.StageDailyBarsAsync(1, [bar], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var stored = Assert.Single(await db.Store.GetBarsOnDateAsync(Samples.Jan2, null, PriceBasis.Adjusted, Ct));
        Assert.True(bar.SameValues(stored));
        Assert.Equal(
            ["212969.5", "213000.25", "0.0001", "79600", "1356958225913.75", "0.1"],
            new[] { stored.Open, stored.High, stored.Low, stored.Close, stored.TradingValue!.Value, stored.MarketCap!.Value }
                .Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>PostgreSQL stages in its binary COPY format, where numerics are base-10000 groups with a weight and a scale.</summary>
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Decimals_of_every_shape_round_trip_through_staging(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        decimal[] values =
        [
            0m, 0.0m, 1m, 9999m, 10000m, 10001m, 99999999m, 100000000m, 0.5m, 0.0001m, 0.00001m, 0.00000001m, 1234.5678m, 1234.56789m,
            -12.5m, -0.0001m, 1356958225913.75m, 450000000000000m, 123456789.123456m,
        ];
        if (backend != "sqlite")
        {
            // SQLite keeps fractions as doubles (15 significant digits); PostgreSQL's numeric takes any decimal.
            values = [.. values, 123456789012345678.123456789m, 79228162514264337593543950.335m, -79228162514264337593543950.335m];
        }

        var bars = values.Select((v, i) => Samples.SamsungJan2Adjusted with
        {
            Date = Samples.Jan2.AddYears(-i), Open = 100.25m, High = 101m, Low = 99.5m, Close = 100.00m, TradingValue = v, MarketCap = -v,
        }).ToList();

        await db.Store.StageDailyBarsAsync(1, bars, Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var stored = await db.Store.GetBarsAsync(Samples.SamsungJan2Adjusted.Code, DateOnly.MinValue, DateOnly.MaxValue, PriceBasis.Adjusted, Ct);
        Assert.Equal(values.Length, stored.Count);
        foreach (var (bar, back) in bars.OrderBy(b => b.Date).Zip(stored))
        {
            Assert.Equal(bar.TradingValue, back.TradingValue);
            Assert.Equal(bar.MarketCap, back.MarketCap);
            Assert.True(bar.SameValues(back), $"{bar.TradingValue}: {back}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Every_field_survives_a_batch_that_mixes_sources_fetch_times_bases_and_missing_values(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var t = Samples.FetchedAt;
        DailyBar[] bars =
        [
            Samples.SamsungJan2,
            Samples.SamsungJan2Adjusted,
            Samples.SamsungJan3 with { Source = "krx-json", FetchedAt = t.AddSeconds(1) },
            Samples.SamsungJan4 with { MarketCap = null, FetchedAt = t.AddSeconds(1) },
            Samples.HynixJan2 with { ListedShares = null, TradingValue = 0.5m },
            Samples.HynixJan3,
            Samples.CelltrionHealthcareJan2Halted with { Basis = PriceBasis.Adjusted, Source = "x" },
            Samples.CelltrionHealthcareJan2Halted,
        ];

        await db.Store.StageDailyBarsAsync(3, bars, Ct);
        await db.Store.PromoteDailyBarsAsync(3, Ct);

        var stored = new List<DailyBar>();
        foreach (var date in new[] { Samples.Jan2, Samples.Jan3, Samples.Jan4 })
        {
            stored.AddRange(await db.Store.GetBarsOnDateAsync(date, null, null, Ct));
        }

        var expected = bars.Select(b => b with { FetchedAt = Samples.Stored(b.FetchedAt) })
            .OrderBy(b => b.Date).ThenBy(b => b.Code.Value, StringComparer.Ordinal).ThenBy(b => b.Basis.Name(), StringComparer.Ordinal);
        Assert.Equal(expected, stored);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Rows_that_vary_in_every_column_survive_multi_row_staging(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var t = Samples.FetchedAt;
        var bars = RealBars.Load(101).Select((b, i) => (i % 5) switch
        {
            0 => b with { TradingValue = null, MarketCap = b.MarketCap + 0.25m },
            1 => b with { Basis = PriceBasis.Adjusted, Source = "adjusted.csv", ListedShares = null },
            2 => b with { FetchedAt = t.AddTicks(i * 10), Open = b.Open + 0.5m, NoTrade = true },
            3 => b with { Source = "krx-json", MarketCap = null, TradingValue = 1.5m },
            _ => b,
        }).ToList();

        await db.Store.StageDailyBarsAsync(4, bars, Ct);
        await db.Store.PromoteDailyBarsAsync(4, Ct);

        var stored = await db.Store.GetBarsOnDateAsync(bars[0].Date, null, null, Ct);
        var expected = bars.Select(b => b with { FetchedAt = Samples.Stored(b.FetchedAt) })
            .OrderBy(b => b.Code.Value, StringComparer.Ordinal).ThenBy(b => b.Basis.Name(), StringComparer.Ordinal);
        Assert.Equal(expected, stored);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Sources_with_tabs_backslashes_and_line_breaks_survive_staging(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        DailyBar[] bars =
        [
            Samples.SamsungJan2 with { Source = "C:\\data\\krx\tfile\nline 2\r\\N" },
            Samples.HynixJan2 with { Source = "\\." },
            Samples.SamsungJan3 with { Source = "plain" },
        ];

        await db.Store.StageDailyBarsAsync(1, bars, Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var stored = await db.Store.GetBarsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan4, PriceBasis.Raw, Ct);
        Assert.Equal(["C:\\data\\krx\tfile\nline 2\r\\N", "plain"], stored.Select(b => b.Source));
        Assert.Equal("\\.", Assert.Single(await db.Store.GetBarsAsync(Samples.Hynix, Samples.Jan2, Samples.Jan2, PriceBasis.Raw, Ct)).Source);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Large_and_small_promotions_leave_the_by_date_index_in_place(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var first = RealBars.Load(200);
        await db.Store.StageDailyBarsAsync(1, first, Ct);
        Assert.Equal(new PromotionResult(first.Count, 0), await db.Store.PromoteDailyBarsAsync(1, Ct));
        await AssertByDateIndexAsync();

        // Smaller than the table: promoted through the index.
        await db.Store.StageDailyBarsAsync(2, [Samples.SamsungJan2Adjusted], Ct);
        Assert.Equal(new PromotionResult(1, 0), await db.Store.PromoteDailyBarsAsync(2, Ct));
        await AssertByDateIndexAsync();
        Assert.Equal(first.Count + 1, await db.Store.CountDailyBarsAsync(Ct));
        Assert.Equal(first.Count(b => b.Date == Samples.Jan2) + 1, (await db.Store.GetBarsOnDateAsync(Samples.Jan2, null, null, Ct)).Count);

        async Task AssertByDateIndexAsync() => Assert.Equal(1, await db.ScalarAsync(backend == "sqlite"
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'daily_bars_by_date' AND sql = 'CREATE INDEX daily_bars_by_date ON daily_bars (date, basis)'"
            : "SELECT count(*) FROM pg_indexes WHERE tablename = 'daily_bars' AND indexname = 'daily_bars_by_date'"));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_cancelled_staging_leaves_nothing_staged(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Store.StageDailyBarsAsync(1, RealBars.Load(100), cancelled.Token));

        Assert.Equal(0, await db.ScalarAsync("SELECT count(*) FROM staging_daily_bars"));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Promoting_the_same_bars_twice_changes_nothing_and_keeps_the_first_fetch_time(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        DailyBar[] bars = [Samples.SamsungJan2, Samples.HynixJan2, Samples.CelltrionHealthcareJan2Halted];
        await db.Store.StageDailyBarsAsync(1, bars, Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        // The same values fetched again later, from another source: provenance alone is not a change.
        var later = Samples.FetchedAt.AddDays(1);
        await db.Store.StageDailyBarsAsync(2, [.. bars.Select(b => b with { FetchedAt = later, Source = "krx-json" })], Ct);
        var result = await db.Store.PromoteDailyBarsAsync(2, Ct);

        Assert.Equal(new PromotionResult(0, 3), result);
        var stored = await db.Store.GetBarsOnDateAsync(Samples.Jan2, null, null, Ct);
        Assert.All(stored, b => Assert.Equal(Samples.Stored(Samples.FetchedAt), b.FetchedAt));
        Assert.All(stored, b => Assert.Equal(Samples.RawSource, b.Source));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_corrected_bar_replaces_the_old_one_with_its_new_fetch_time(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2, Samples.HynixJan2], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var later = Samples.FetchedAt.AddHours(3);
        var corrected = Samples.SamsungJan2 with { Volume = 17142848, TradingValue = null, FetchedAt = later, Source = "krx-json" };
        await db.Store.StageDailyBarsAsync(2, [corrected, Samples.HynixJan2 with { FetchedAt = later }, Samples.SamsungJan3], Ct);
        var result = await db.Store.PromoteDailyBarsAsync(2, Ct);

        Assert.Equal(new PromotionResult(2, 1), result);
        var stored = await db.Store.GetBarsOnDateAsync(Samples.Jan2, null, PriceBasis.Raw, Ct);
        Assert.Equal([Samples.HynixJan2 with { FetchedAt = Samples.Stored(Samples.FetchedAt) }, corrected with { FetchedAt = Samples.Stored(later) }], stored);
        Assert.Equal(3, await db.Store.CountDailyBarsAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Promotion_only_takes_its_own_run_and_leaves_other_runs_staged(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2], Ct);
        await db.Store.StageDailyBarsAsync(2, [Samples.HynixJan2], Ct);

        Assert.Equal(new PromotionResult(1, 0), await db.Store.PromoteDailyBarsAsync(1, Ct));
        Assert.Equal(new PromotionResult(0, 0), await db.Store.PromoteDailyBarsAsync(1, Ct));

        Assert.Equal(1, await db.Store.CountDailyBarsAsync(Ct));
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM staging_daily_bars WHERE run_id = 2"));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Unstaging_removes_and_returns_only_the_given_keys_of_the_run(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2, Samples.SamsungJan3, Samples.HynixJan2, Samples.SamsungJan2Adjusted], Ct);
        await db.Store.StageDailyBarsAsync(2, [Samples.SamsungJan2], Ct);

        var removed = await db.Store.UnstageDailyBarsAsync(1, [(Samples.Samsung, Samples.Jan2), (Samples.Hynix, Samples.Jan4)], Ct);

        Assert.Equal(
            [Samples.SamsungJan2Adjusted with { FetchedAt = Samples.Stored(Samples.FetchedAt) }, Samples.SamsungJan2 with { FetchedAt = Samples.Stored(Samples.FetchedAt) }],
            removed.OrderBy(b => b.Basis == PriceBasis.Raw));
        Assert.Equal(new PromotionResult(2, 0), await db.Store.PromoteDailyBarsAsync(1, Ct));
        Assert.Equal([Samples.Jan3], (await db.Store.GetBarsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan4, PriceBasis.Raw, Ct)).Select(b => b.Date));
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM staging_daily_bars WHERE run_id = 2"));
        Assert.Empty(await db.Store.UnstageDailyBarsAsync(1, [], Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_last_raw_close_before_a_date_ignores_adjusted_bars_and_later_dates(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var adjustedJan3 = Samples.SamsungJan2Adjusted with { Date = Samples.Jan3, Close = 1 };
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2, adjustedJan3, Samples.SamsungJan4, Samples.HynixJan2, Samples.HynixJan3], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var closes = await db.Store.GetLastRawClosesBeforeAsync(new Dictionary<StockCode, DateOnly>
        {
            [Samples.Samsung] = Samples.Jan4,
            [Samples.Hynix] = Samples.Jan3,
            [Samples.CelltrionHealthcare] = Samples.Jan4,
            [StockCode.Parse("0126Z0")] = Samples.Jan3,
        }, Ct);

        Assert.Equal(2, closes.Count);
        Assert.Equal(new PreviousClose(Samples.Jan2, 79600), closes[Samples.Samsung]);
        Assert.Equal(new PreviousClose(Samples.Jan2, 142400), closes[Samples.Hynix]);
        Assert.Empty(await db.Store.GetLastRawClosesBeforeAsync(new Dictionary<StockCode, DateOnly> { [Samples.Samsung] = Samples.Jan2 }, Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_newest_close_of_either_basis_says_its_basis_and_prefers_raw_on_the_same_date(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        // 005930: raw and adjusted on Jan 2, adjusted only on Jan 3. 000660: raw only.
        var adjustedJan3 = Samples.SamsungJan2Adjusted with { Date = Samples.Jan3, Close = 76600 };
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2, Samples.SamsungJan2Adjusted, adjustedJan3, Samples.HynixJan2, Samples.HynixJan3], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);
        var before = new Dictionary<StockCode, DateOnly> { [Samples.Samsung] = Samples.Jan4, [Samples.Hynix] = Samples.Jan4, [Samples.CelltrionHealthcare] = Samples.Jan4 };

        var either = await db.Store.GetLastClosesBeforeAsync(before, null, Ct);
        Assert.Equal(2, either.Count);
        Assert.Equal(new StoredClose(Samples.Jan3, 76600, PriceBasis.Adjusted), either[Samples.Samsung]);
        Assert.Equal(new StoredClose(Samples.Jan3, Samples.HynixJan3.Close, PriceBasis.Raw), either[Samples.Hynix]);

        var sameDate = await db.Store.GetLastClosesBeforeAsync(new Dictionary<StockCode, DateOnly> { [Samples.Samsung] = Samples.Jan3 }, null, Ct);
        Assert.Equal(new StoredClose(Samples.Jan2, 79600, PriceBasis.Raw), sameDate[Samples.Samsung]);

        var adjusted = await db.Store.GetLastClosesBeforeAsync(new Dictionary<StockCode, DateOnly> { [Samples.Samsung] = Samples.Jan3 }, PriceBasis.Adjusted, Ct);
        Assert.Equal(new StoredClose(Samples.Jan2, Samples.SamsungJan2Adjusted.Close, PriceBasis.Adjusted), adjusted[Samples.Samsung]);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bars_of_a_session_filter_by_market_from_the_master_and_by_basis(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.UpsertStocksAsync([Samples.SamsungStock, Samples.HynixStock, Samples.CelltrionHealthcareStock], Ct);
        await db.Store.StageDailyBarsAsync(1,
            [Samples.SamsungJan2, Samples.HynixJan2, Samples.CelltrionHealthcareJan2Halted, Samples.SamsungJan2Adjusted, Samples.SamsungJan3], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        var all = await db.Store.GetBarsOnDateAsync(Samples.Jan2, null, null, Ct);
        var kospiRaw = await db.Store.GetBarsOnDateAsync(Samples.Jan2, Market.Kospi, PriceBasis.Raw, Ct);
        var kosdaq = await db.Store.GetBarsOnDateAsync(Samples.Jan2, Market.Kosdaq, null, Ct);

        Assert.Equal(["000660", "005930", "005930", "091990"], all.Select(b => b.Code.Value));
        Assert.Equal([Samples.Hynix, Samples.Samsung], kospiRaw.Select(b => b.Code));
        Assert.All(kospiRaw, b => Assert.Equal(PriceBasis.Raw, b.Basis));
        var halted = Assert.Single(kosdaq);
        Assert.True(halted.NoTrade);
        Assert.Equal(0, halted.Volume);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Dates_with_bars_are_distinct_and_ascending_within_the_range(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan4, Samples.SamsungJan2, Samples.HynixJan2, Samples.SamsungJan3], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);

        Assert.Equal([Samples.Jan2, Samples.Jan3, Samples.Jan4], await db.Store.GetDatesWithBarsAsync(Samples.Jan2, Samples.Jan4, Ct));
        Assert.Equal([Samples.Jan3], await db.Store.GetDatesWithBarsAsync(Samples.Jan3, Samples.Jan3, Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Stale_staging_of_runs_that_are_not_running_is_deleted(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var running = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        var failed = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        await db.Store.FinishRunAsync(failed, new RunOutcome(RunStatus.Failed, 2, 0, 0, 0, Samples.FetchedAt, "boom"), Ct);
        await db.Store.StageDailyBarsAsync(running, [Samples.SamsungJan2], Ct);
        await db.Store.StageDailyBarsAsync(failed, [Samples.SamsungJan3, Samples.HynixJan2], Ct);
        await db.Store.StageDailyBarsAsync(999, [Samples.HynixJan3], Ct);

        await db.Store.DeleteStaleStagingAsync(Ct);

        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM staging_daily_bars"));
        Assert.Equal(1, await db.ScalarAsync($"SELECT count(*) FROM staging_daily_bars WHERE run_id = {running}"));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_large_batch_of_real_bars_stages_and_promotes_in_one_go(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var bars = RealBars.Load(20_011);

        await db.Store.StageDailyBarsAsync(7, bars, Ct);
        var first = await db.Store.PromoteDailyBarsAsync(7, Ct);
        await db.Store.StageDailyBarsAsync(8, bars, Ct);
        var second = await db.Store.PromoteDailyBarsAsync(8, Ct);

        Assert.Equal(new PromotionResult(bars.Count, 0), first);
        Assert.Equal(new PromotionResult(0, bars.Count), second);
        Assert.Equal(bars.Count, await db.Store.CountDailyBarsAsync(Ct));
        var sample = bars[bars.Count / 2];
        var stored = Assert.Single(await db.Store.GetBarsAsync(sample.Code, sample.Date, sample.Date, PriceBasis.Raw, Ct));
        Assert.Equal(sample with { FetchedAt = Samples.Stored(sample.FetchedAt) }, stored);
    }
}
