using KrxHub.Core.Backtesting;
using KrxHub.Core.Backtesting.Strategies;

namespace KrxHub.Core.Tests.Backtesting;

public sealed class BacktestEngineTests
{
    private static readonly DateOnly Start = new(2024, 1, 2);

    [Theory]
    [InlineData("sma-cross", FillModel.Close)]
    [InlineData("sma-cross", FillModel.NextOpen)]
    [InlineData("rsi-reversion", FillModel.Close)]
    [InlineData("momentum-topn", FillModel.NextOpen)]
    public void Changing_any_bar_after_day_t_leaves_every_decision_up_to_t_unchanged(string strategyName, FillModel fill)
    {
        var samsung = BacktestData.Samsung.Slice(new DateOnly(2019, 1, 1), new DateOnly(2023, 12, 22));
        var hynix = BacktestData.LoadQuantKang("000660").Slice(new DateOnly(2019, 1, 1), new DateOnly(2023, 12, 22));
        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi), BacktestData.Listed("000660", Market.Kospi));
        var settings = new BacktestSettings(new DateOnly(2020, 1, 2), new DateOnly(2023, 12, 22), 50_000_000m, fill);
        Assert.Null(StrategyCatalog.TryCreateFactory(strategyName, strategyName == "momentum-topn"
            ? new Dictionary<string, string> { ["lookback"] = "20", ["n"] = "1" }
            : new Dictionary<string, string>(), out var factory));

        BacktestResult RunOn(BarSeries a, BarSeries b) =>
            strategyName == "momentum-topn" ? BacktestData.Run(factory!(a.Code), settings, master, a, b) : BacktestData.Run(factory!(a.Code), settings, master, a);

        var baseline = RunOn(samsung, hynix);
        Assert.True(baseline.Trades.Count >= 4, $"{strategyName} should trade in five years, traded {baseline.Trades.Count}");

        var random = new Random(20261122);
        foreach (var t in new[] { 300, 500, 700, 900 })
        {
            var cut = samsung.DateAt(t);
            var changedA = Scramble(samsung, t, random);
            var changedB = Scramble(hynix, hynix.CountOnOrBefore(cut) - 1, random);
            var changed = RunOn(changedA, changedB);

            // Every fill up to t follows from decisions made on bars up to t (a next-open fill on t + 1 also uses bar t + 1).
            var before = baseline.Trades.Where(x => x.Date <= cut).ToArray();
            var after = changed.Trades.Where(x => x.Date <= cut).ToArray();
            Assert.Equal(before, after);
            Assert.Equal(baseline.Equity.Where(p => p.Date <= cut), changed.Equity.Where(p => p.Date <= cut));
        }
    }

    [Fact]
    public void A_series_sliced_from_the_first_possible_day_keeps_its_first_bar()
    {
        // A whole-market read of all history (rsi-reversion) that rebuilds the bar-series cache slices from DateOnly.MinValue.
        var series = BacktestData.Synthetic("005930", Start, [100m, 101m, 102m]);
        Assert.Same(series, series.Slice(DateOnly.MinValue, DateOnly.MaxValue));
        var head = series.Slice(DateOnly.MinValue, series.DateAt(1));
        Assert.Equal((2, Start), (head.Count, head.FirstDate));
    }

    [Fact]
    public void A_slice_shares_its_source_yet_reads_and_backtests_exactly_like_a_copy_of_its_bars()
    {
        // Slices are views over the source's arrays (the hub slices the held whole market per run): bars outside the
        // range must stay invisible, also to a slice of a slice.
        var (from, to) = (new DateOnly(2019, 1, 2), new DateOnly(2021, 12, 30));
        var view = BacktestData.Samsung.Slice(new DateOnly(2018, 1, 2), new DateOnly(2022, 12, 29)).Slice(from, to);
        var copy = new BarSeries(view.Code, view.Basis, view.DateColumn.ToArray(), view.OpenColumn.ToArray(), view.HighColumn.ToArray(),
            view.LowColumn.ToArray(), view.CloseColumn.ToArray(), view.VolumeColumn.ToArray());
        Assert.Equal((from, to), (view.FirstDate, view.LastDate));
        Assert.Equal(BacktestData.Samsung.CountOnOrBefore(to) - BacktestData.Samsung.CountOnOrBefore(from.AddDays(-1)), view.Count);
        Assert.Equal(copy.CountOnOrBefore(new DateOnly(2020, 6, 30)), view.CountOnOrBefore(new DateOnly(2020, 6, 30)));
        Assert.Equal(0, view.CountOnOrBefore(new DateOnly(2018, 12, 31)));
        Assert.Equal(view.Count, view.CountOnOrBefore(new DateOnly(2022, 6, 30)));

        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi));
        var settings = new BacktestSettings(new DateOnly(2019, 3, 4), to, 10_000_000m);
        Assert.Null(StrategyCatalog.TryCreateFactory("sma-cross", new Dictionary<string, string>(), out var factory));
        var onView = BacktestData.Run(factory!(view.Code), settings, master, view);
        var onCopy = BacktestData.Run(factory!(copy.Code), settings, master, copy);
        Assert.True(onCopy.Trades.Count >= 4);
        Assert.Equal(onCopy.Trades, onView.Trades);
        Assert.Equal(onCopy.Equity, onView.Equity);
        Assert.Equal(onCopy.Metrics, onView.Metrics);
    }

    [Fact]
    public void One_bar_each_gives_every_stock_its_own_element_of_the_shared_columns_and_nothing_else()
    {
        // A live condition cycle builds today's bars this way; the columns may be longer than the stocks that traded.
        var samsung = BacktestData.Samsung;
        var codes = new[] { StockCode.Parse("005930"), StockCode.Parse("000660") };
        var (open, high, low, close, volume) = (new[] { 1m, 2m, 99m }, new[] { 3m, 4m, 99m }, new[] { 0.5m, 1.5m, 99m }, new[] { 2m, 3m, 99m }, new[] { 10L, 20L, 99L });
        var today = new DateOnly(2026, 12, 7);

        var each = BarSeries.OneBarEach(codes, samsung.Basis, today, open, high, low, close, volume);

        Assert.Equal(2, each.Length);
        for (var i = 0; i < 2; i++)
        {
            var bar = each[i];
            Assert.Equal((codes[i], 1, today, today), (bar.Code, bar.Count, bar.FirstDate, bar.LastDate));
            Assert.Equal([open[i]], bar.OpenColumn.ToArray());
            Assert.Equal([high[i]], bar.HighColumn.ToArray());
            Assert.Equal([low[i]], bar.LowColumn.ToArray());
            Assert.Equal([close[i]], bar.CloseColumn.ToArray());
            Assert.Equal([volume[i]], bar.VolumeColumn.ToArray());
            Assert.Equal(1, bar.CountOnOrBefore(today));
            Assert.Equal(0, bar.CountOnOrBefore(today.AddDays(-1)));
        }

        Assert.Throws<ArgumentException>(() => BarSeries.OneBarEach(codes, samsung.Basis, today, open, high, low, close, [1L]));
    }

    [Fact]
    public void A_strategy_cannot_read_a_bar_after_the_current_session()
    {
        var series = BacktestData.Synthetic("005930", Start, [100m, 101m, 102m, 103m]);
        var spy = new Spy(series.Code);
        BacktestData.Run(spy, new BacktestSettings(Start, Start.AddDays(10), 1_000_000m), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        Assert.Equal([1, 2, 3, 4], spy.Counts);
        Assert.All(spy.Peeks, e => Assert.IsType<ArgumentOutOfRangeException>(e));
        Assert.Equal(4, spy.Peeks.Count);
    }

    [Fact]
    public void A_backtest_over_a_series_with_a_removed_bar_reports_that_gap()
    {
        var samsung = BacktestData.Samsung.Slice(new DateOnly(2023, 1, 2), new DateOnly(2023, 12, 22));
        var hynix = BacktestData.LoadQuantKang("000660").Slice(new DateOnly(2023, 1, 2), new DateOnly(2023, 12, 22));
        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi), BacktestData.Listed("000660", Market.Kospi));
        var settings = new BacktestSettings(new DateOnly(2023, 3, 2), new DateOnly(2023, 12, 22), 10_000_000m);
        BacktestResult RunOn(BarSeries a, BarSeries b) => BacktestData.Run(new BuyAndHold(a.Code), settings, master, a, b);

        Assert.Equal(0, RunOn(samsung, hynix).DataGaps.Count);

        var removed = new DateOnly(2023, 6, 14);
        var bars = Enumerable.Range(0, samsung.Count).Where(i => samsung.DateAt(i) != removed).ToArray();
        var holed = new BarSeries(samsung.Code, samsung.Basis, [.. bars.Select(samsung.DateAt)], [.. bars.Select(samsung.OpenAt)],
            [.. bars.Select(i => samsung.HighColumn[i])], [.. bars.Select(i => samsung.LowColumn[i])], [.. bars.Select(samsung.CloseAt)], [.. bars.Select(samsung.VolumeAt)]);
        var gaps = RunOn(holed, hynix).DataGaps;
        Assert.Equal(1, gaps.Count);
        Assert.Equal([new DataGap(samsung.Code, removed)], gaps.First);
    }

    [Fact]
    public void The_point_in_time_universe_excludes_a_stock_before_listing_and_after_delisting()
    {
        // Bars exist on every session (as bad data might), but the master says listed 2024-01-05, delisted 2024-01-11.
        var series = BacktestData.Synthetic("123450", Start, [1000m, 1000m, 1000m, 1100m, 1200m, 1300m, 1400m, 1500m, 1600m]);
        var master = BacktestData.Master(BacktestData.Listed("123450", Market.Kosdaq, new DateOnly(2024, 1, 5), new DateOnly(2024, 1, 11)));
        var result = BacktestData.Run(new BuyAndHold(series.Code), new BacktestSettings(Start, new DateOnly(2024, 1, 31), 1_000_000m), master, series);

        Assert.Equal(2, result.Trades.Count);
        var buy = result.Trades[0];
        Assert.Equal(new DateOnly(2024, 1, 5), buy.Date);
        Assert.Equal(TradeSide.Buy, buy.Side);
        var exit = result.Trades[1];
        Assert.Equal(TradeSide.Sell, exit.Side);
        Assert.Equal(new DateOnly(2024, 1, 10), exit.Date);
        Assert.Equal(1400m, exit.Price); // the close of 2024-01-10, its last listed session
        Assert.Equal("delisted", exit.Note);

        var outside = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind>
        {
            [new DateOnly(2024, 1, 3)] = OrderKind.BuyAllIn,
            [new DateOnly(2024, 1, 11)] = OrderKind.BuyAllIn,
        });
        var rejected = BacktestData.Run(outside, new BacktestSettings(Start, new DateOnly(2024, 1, 31), 1_000_000m), master, series);
        Assert.Empty(rejected.Trades);
        Assert.Equal([RejectReasons.NotListed, RejectReasons.NotListed], rejected.Rejected.Select(r => r.Reason));
    }

    [Fact]
    public void A_buy_cannot_fill_on_a_day_locked_at_limit_up_and_a_sell_not_at_limit_down()
    {
        // Raw basis: 10,000 → 13,000 is exactly +30 % (upper limit), traded at one price all day.
        var closes = new[] { 10_000m, 10_000m, 13_000m, 13_500m, 13_500m, 9_450m, 9_000m };
        var series = BacktestData.Synthetic("005930", Start, closes, PriceBasis.Raw);
        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi));
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind>
        {
            [series.DateAt(2)] = OrderKind.BuyAllIn, // locked up: rejected
            [series.DateAt(3)] = OrderKind.BuyAllIn, // fills
            [series.DateAt(5)] = OrderKind.SellAll, // 13,500 → 9,450 is -30 %: locked down, rejected
            [series.DateAt(6)] = OrderKind.SellAll, // fills
        });
        var result = BacktestData.Run(plan, new BacktestSettings(Start, new DateOnly(2024, 1, 31), 10_000_000m, Basis: PriceBasis.Raw), master, series);

        Assert.Equal([(series.DateAt(3), TradeSide.Buy), (series.DateAt(6), TradeSide.Sell)], result.Trades.Select(t => (t.Date, t.Side)));
        Assert.Equal(
            [(series.DateAt(2), RejectReasons.LimitLocked), (series.DateAt(5), RejectReasons.LimitLocked)],
            result.Rejected.Select(r => (r.Date, r.Reason)));
    }

    [Fact]
    public void An_adjusted_day_at_the_limit_with_one_price_is_locked_too()
    {
        var closes = new[] { 1000.5m, 1000.5m, 1300.4m, 1310m };
        var series = BacktestData.Synthetic("005930", Start, closes);
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind> { [series.DateAt(2)] = OrderKind.BuyAllIn, [series.DateAt(3)] = OrderKind.BuyAllIn });
        var result = BacktestData.Run(plan, new BacktestSettings(Start, new DateOnly(2024, 1, 31), 10_000_000m), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        Assert.Equal(series.DateAt(3), Assert.Single(result.Trades).Date);
        Assert.Equal(RejectReasons.LimitLocked, Assert.Single(result.Rejected).Reason);
    }

    [Fact]
    public void Nothing_fills_on_a_halt_or_a_session_without_a_bar()
    {
        var series = BacktestData.Synthetic("005930", Start, [100m, 100m, 100m, 110m], volumes: [1000, 0, 1000, 1000]);
        // Drop the bar of the third session: the stock has no bar then.
        series = new BarSeries(series.Code, series.Basis, [series.DateAt(0), series.DateAt(1), series.DateAt(3)], [100m, 100m, 110m], [100m, 100m, 110m], [100m, 100m, 110m], [100m, 100m, 110m], [1000, 0, 1000]);
        var sessions = BacktestData.Calendar.Sessions(Start, Start.AddDays(10)).ToArray();
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind> { [sessions[1]] = OrderKind.BuyAllIn, [sessions[2]] = OrderKind.BuyAllIn });
        var result = BacktestData.Run(plan, new BacktestSettings(Start, Start.AddDays(10), 1_000_000m), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        Assert.Empty(result.Trades);
        Assert.Equal([RejectReasons.Halted, RejectReasons.NoBar], result.Rejected.Select(r => r.Reason));
    }

    [Fact]
    public void Next_open_fills_at_the_next_sessions_open_and_an_order_on_the_last_session_expires()
    {
        var series = BacktestData.Synthetic("005930", Start, [100m, 100m, 100m], opens: [99m, 95m, 97m]);
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind> { [series.DateAt(0)] = OrderKind.BuyAllIn, [series.DateAt(2)] = OrderKind.SellAll });
        var result = BacktestData.Run(plan, new BacktestSettings(Start, series.DateAt(2), 1_000_000m, FillModel.NextOpen), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        var buy = Assert.Single(result.Trades);
        Assert.Equal(series.DateAt(1), buy.Date);
        Assert.Equal(95m, buy.Price);
        Assert.Equal(RejectReasons.AfterEnd, Assert.Single(result.Rejected).Reason);
    }

    [Fact]
    public void Sell_tax_follows_the_settlement_date_and_the_market()
    {
        // 2024-12-26 settles 2024-12-30 (0.18 %); 2024-12-27 settles 2025-01-02 (0.15 %): the 2025 cut applied from 12-27.
        Assert.Equal(0.0018m, TransactionTax.RateForTrade(new DateOnly(2024, 12, 26), Market.Kospi, BacktestData.Calendar));
        Assert.Equal(0.0015m, TransactionTax.RateForTrade(new DateOnly(2024, 12, 27), Market.Kospi, BacktestData.Calendar));
        Assert.Equal(0.0010m, TransactionTax.RateForTrade(new DateOnly(2024, 12, 27), Market.Konex, BacktestData.Calendar));
        Assert.Equal(0.0030m, TransactionTax.RateForTrade(new DateOnly(2019, 5, 29), Market.Kosdaq, BacktestData.Calendar));
        Assert.Equal(0.0025m, TransactionTax.RateForTrade(new DateOnly(2019, 5, 30), Market.Kosdaq, BacktestData.Calendar));
        Assert.Equal(0.0020m, TransactionTax.RateForTrade(new DateOnly(2026, 1, 2), Market.Kospi, BacktestData.Calendar));

        var start = new DateOnly(2024, 12, 20);
        var series = BacktestData.Synthetic("005930", start, [1000m, 1000m, 1000m, 1000m, 1000m, 1000m, 1000m]);
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind>
        {
            [new DateOnly(2024, 12, 20)] = OrderKind.BuyAllIn,
            [new DateOnly(2024, 12, 26)] = OrderKind.SellAll,
            [new DateOnly(2024, 12, 27)] = OrderKind.BuyAllIn,
        });
        var withSellOn27 = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind>
        {
            [new DateOnly(2024, 12, 20)] = OrderKind.BuyAllIn,
            [new DateOnly(2024, 12, 27)] = OrderKind.SellAll,
        });
        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi));
        var settings = new BacktestSettings(start, new DateOnly(2025, 1, 10), 1_000_000m, Commission: 0m);
        var sell26 = BacktestData.Run(plan, settings, master, series).Trades.Single(t => t.Side == TradeSide.Sell);
        var sell27 = BacktestData.Run(withSellOn27, settings, master, series).Trades.Single(t => t.Side == TradeSide.Sell);
        Assert.Equal(sell26.Value * 0.0018m, sell26.Tax);
        Assert.Equal(sell27.Value * 0.0015m, sell27.Tax);

        var flat = BacktestData.Run(new Scripted(series.Code, new Dictionary<DateOnly, OrderKind>
        {
            [new DateOnly(2024, 12, 20)] = OrderKind.BuyAllIn,
            [new DateOnly(2024, 12, 27)] = OrderKind.SellAll,
        }), settings with { SellTax = 0.0025m }, master, series).Trades.Single(t => t.Side == TradeSide.Sell);
        Assert.Equal(flat.Value * 0.0025m, flat.Tax);
    }

    [Fact]
    public void Orders_are_whole_shares_cash_never_goes_negative_and_nothing_is_sold_short()
    {
        var series = BacktestData.Synthetic("005930", Start, [333m, 333m, 333m]);
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind> { [series.DateAt(0)] = OrderKind.BuyAllIn, [series.DateAt(1)] = OrderKind.Sell, [series.DateAt(2)] = OrderKind.Sell }, quantity: 1_000_000);
        var result = BacktestData.Run(plan, new BacktestSettings(Start, Start.AddDays(10), 1_000_000m), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        var buy = result.Trades[0];
        Assert.Equal(decimal.Floor(1_000_000m / (333m * 1.00015m)), buy.Quantity);
        Assert.Equal(buy.Quantity, result.Trades[1].Quantity);
        Assert.Equal(2, result.Trades.Count);
        Assert.Equal(RejectReasons.NoPosition, Assert.Single(result.Rejected).Reason);
        Assert.All(result.Equity, p => Assert.True(p.Cash >= 0));
    }

    [Fact]
    public void Slippage_moves_the_fill_by_whole_ticks_against_the_trade_on_the_raw_grid()
    {
        var series = BacktestData.Synthetic("005930", Start, [4995m, 5000m, 5000m], PriceBasis.Raw);
        var plan = new Scripted(series.Code, new Dictionary<DateOnly, OrderKind> { [series.DateAt(0)] = OrderKind.BuyAllIn, [series.DateAt(1)] = OrderKind.SellAll });
        var result = BacktestData.Run(plan, new BacktestSettings(Start, Start.AddDays(10), 1_000_000m, SlippageTicks: 2, Basis: PriceBasis.Raw), BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), series);

        Assert.Equal(5010m, result.Trades[0].Price); // 4,995 + 5 → 5,000, then the 10-won band: 5,010
        Assert.Equal(4990m, result.Trades[1].Price); // 5,000 → 4,995 → 4,990 in the 5-won band below 5,000
        Assert.All(result.Trades, t => Assert.True(KrxRules.IsOnTickGrid(t.Price, Market.Kospi, t.Date)));
    }

    [Fact]
    public void Momentum_topn_rebalances_on_month_ends_into_the_strongest_stocks()
    {
        var master = BacktestData.Master(BacktestData.Listed("005930", Market.Kospi), BacktestData.Listed("000660", Market.Kospi), BacktestData.Listed("035420", Market.Kospi));
        var series = new[] { "005930", "000660", "035420" }.Select(c => BacktestData.LoadQuantKang(c).Slice(new DateOnly(2022, 6, 1), new DateOnly(2023, 12, 22))).ToArray();
        var settings = new BacktestSettings(new DateOnly(2023, 1, 2), new DateOnly(2023, 12, 22), 100_000_000m);
        var result = BacktestData.Run(new MomentumTopN(20, 1), settings, master, series);

        Assert.NotEmpty(result.Trades);
        Assert.All(result.Trades, t =>
        {
            var next = BacktestData.Calendar.NextSession(t.Date)!.Value;
            Assert.NotEqual(t.Date.Month, next.Month);
        });
        // Holding one stock at a time: each month-end, at most one code is held after the fills.
        Assert.All(result.Trades.GroupBy(t => t.Date), day => Assert.True(day.Count(t => t.Side == TradeSide.Buy) <= 1));
        Assert.All(result.Equity, p => Assert.True(p.Cash >= 0));
    }

    private static BarSeries Scramble(BarSeries series, int after, Random random)
    {
        var changed = series;
        for (var i = after + 1; i < series.Count; i++)
        {
            var close = Math.Round(series.CloseAt(i) * (decimal)(0.5 + random.NextDouble()), 0);
            changed = changed.WithBar(i, close, close, close, close, 1 + random.Next(1_000_000));
        }

        return changed;
    }

    /// <summary>Places the given order on the given sessions.</summary>
    private sealed class Scripted(StockCode code, Dictionary<DateOnly, OrderKind> plan, long quantity = 0) : Strategy
    {
        public override void OnSession(StrategyContext context)
        {
            if (!plan.TryGetValue(context.Date, out var kind))
            {
                return;
            }

            switch (kind)
            {
                case OrderKind.BuyAllIn:
                    context.BuyAllIn(code);
                    break;
                case OrderKind.SellAll:
                    context.SellAll(code);
                    break;
                case OrderKind.Buy:
                    context.Buy(code, quantity);
                    break;
                default:
                    context.Sell(code, quantity);
                    break;
            }
        }
    }

    /// <summary>Records how many bars it sees and tries to read one more.</summary>
    private sealed class Spy(StockCode code) : Strategy
    {
        public List<int> Counts { get; } = [];

        public List<Exception> Peeks { get; } = [];

        public override void OnSession(StrategyContext context)
        {
            var bars = context.Bars(code);
            if (bars.LastDate != context.Date)
            {
                return;
            }

            Counts.Add(bars.Count);
            try
            {
                _ = bars.Close(bars.Count);
            }
            catch (ArgumentOutOfRangeException e)
            {
                Peeks.Add(e);
            }
        }
    }
}
