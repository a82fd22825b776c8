using System.Globalization;
using System.Text;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Sources.Simulation;
using KrxHub.Sources.Tests.Kiwoom;

namespace KrxHub.Sources.Tests.Simulation;

public class SimulatedExchangeTests
{
    private static SimulatedExchange Exchange(DateTimeOffset start, SimulatorOptions options, TimeProvider? time = null) =>
        new(RealMarket.Master, RealMarket.LastCloses, RealMarket.Clock, time ?? new ManualTimeProvider(start), options);

    /// <summary>Every event as one line of text, so that sequences can be compared and diffed.</summary>
    private static string Line(LiveEvent e) => e switch
    {
        LiveTick t => FormattableString.Invariant(
            $"T {t.Code} {t.Time:O} {t.Source} {t.Price} {t.Change} {t.ChangePct} {t.Volume} {t.AccVolume} {t.AccValue} {t.Open} {t.High} {t.Low}"),
        OrderBook b => FormattableString.Invariant(
            $"B {b.Code} {b.Time:O} {b.Source} a[{string.Join(' ', b.Asks.Select(l => $"{l.Price}x{l.Qty}"))}] b[{string.Join(' ', b.Bids.Select(l => $"{l.Price}x{l.Qty}"))}] {b.TotalAskQty} {b.TotalBidQty}"),
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    [Fact]
    public void It_drives_every_listed_stock_of_the_real_master_that_has_a_stored_close()
    {
        var exchange = Exchange(RealMarket.Kst(2024, 2, 14, 8, 0), new SimulatorOptions());

        var expected = RealMarket.Master.Where(s => RealMarket.LastCloses.ContainsKey(s.Code)).Select(s => s.Code).OrderBy(c => c.Value, StringComparer.Ordinal).ToList();
        Assert.True(expected.Count > 2_500, $"only {expected.Count} master stocks have a close on 2024-02-13");
        Assert.Equal(expected, exchange.Codes);
        // Stocks listed after the last stored session have no close to start from.
        Assert.Equal(RealMarket.Master.Count - expected.Count, exchange.SkippedWithoutClose.Count);
        Assert.Contains(RealMarket.Master.First(s => s.ListingDate > RealMarket.LastStoredSession).Code, exchange.SkippedWithoutClose);
        Assert.Equal(LiveSources.Simulated, exchange.Source);
    }

    [Fact]
    public void Over_two_whole_sessions_prices_stay_on_the_tick_grid_within_the_limits_and_books_match_the_last_trade()
    {
        // 2024-02-14 and 02-15, the two sessions after the last stored close, from 07:00 to 19:00 KST.
        var exchange = Exchange(RealMarket.Kst(2024, 2, 14, 7, 0), new SimulatorOptions { Seed = 7, TradesPerSecond = 10 });
        var replay = new Replay(RealMarket.LastCloses);
        var batch = new List<LiveEvent>();
        foreach (var day in new[] { 14, 15 })
        {
            for (var at = RealMarket.Kst(2024, 2, day, 7, 0); at <= RealMarket.Kst(2024, 2, day, 19, 0); at += TimeSpan.FromMinutes(10))
            {
                batch.Clear();
                exchange.GenerateUntil(at, batch);
                foreach (var e in batch)
                {
                    replay.Check(e);
                }
            }
        }

        // 2 sessions x 6 h 20 min of continuous trading x 10 trades/s; books also in the 40 min of auctions a day.
        Assert.Equal(2 * 380 * 60 * 10, replay.Ticks);
        Assert.Equal(2 * 420 * 60 * 10, replay.Books);
        Assert.True(replay.TradedCodes.Count > 2_000, $"only {replay.TradedCodes.Count} stocks traded");
        Assert.True(replay.LimitHits > 0, "no trade reached a daily limit, so clamping was never exercised");
        Assert.True(replay.BooksWithoutAsks > 0, "no book at the upper limit");
        Assert.True(replay.MultiTickMoves > 0, "every move was a single tick");

        // Heavy tails: the largest 1% of trades carry a large share of the value traded (about 1/20 for a thin-tailed
        // exponential distribution of trade sizes).
        var values = replay.TradeValues.OrderDescending().ToList();
        var top = values.Take(values.Count / 100).Sum();
        Assert.True(top / values.Sum() > 0.2m, $"the top 1% of trades carry only {top / values.Sum():P1} of the value");
    }

    [Fact]
    public void Nothing_trades_on_a_weekend_or_after_hours_or_before_the_pre_open()
    {
        var saturday = Exchange(RealMarket.Kst(2024, 2, 17, 9, 0), new SimulatorOptions { TradesPerSecond = 100 });
        var events = new List<LiveEvent>();
        Assert.Equal(0, saturday.GenerateUntil(RealMarket.Kst(2024, 2, 18, 23, 59), events));

        var evening = Exchange(RealMarket.Kst(2024, 2, 14, 15, 30), new SimulatorOptions { TradesPerSecond = 100 });
        Assert.Equal(0, evening.GenerateUntil(RealMarket.Kst(2024, 2, 15, 8, 29, 59), events));
        Assert.Empty(events);

        // The first events of the next day are books of the opening auction at 08:30, and the first trade comes at 09:00.
        evening.GenerateUntil(RealMarket.Kst(2024, 2, 15, 9, 0, 1), events);
        Assert.Equal(RealMarket.Kst(2024, 2, 15, 8, 30), events[0].Time);
        Assert.All(events.Where(e => e.Time < RealMarket.Kst(2024, 2, 15, 9, 0)), e => Assert.IsType<OrderBook>(e));
        Assert.Equal(RealMarket.Kst(2024, 2, 15, 9, 0), events.OfType<LiveTick>().First().Time);
    }

    [Fact]
    public void The_always_open_demo_trades_on_a_weekend_night()
    {
        var start = RealMarket.Kst(2024, 2, 17, 23, 0);
        var exchange = Exchange(start, new SimulatorOptions { AlwaysOpen = true, TradesPerSecond = 100 });
        var events = new List<LiveEvent>();

        exchange.GenerateUntil(start.AddMinutes(2), events);

        Assert.True(exchange.AlwaysOpen);
        Assert.Equal(2 * 60 * 100 + 1, events.OfType<LiveTick>().Count());
        Assert.Equal(events.Count / 2, events.OfType<OrderBook>().Count());
        Assert.All(events, e => Assert.Equal(LiveSources.Simulated, e.Source));
        Assert.All(events, e => Assert.Equal(SessionPhase.Holiday, RealMarket.Clock.PhaseAt(e.Time)));
    }

    [Fact]
    public void The_always_open_demo_starts_a_new_session_at_midnight_from_the_last_price()
    {
        var start = RealMarket.Kst(2024, 2, 17, 23, 50);
        var exchange = Exchange(start, new SimulatorOptions { AlwaysOpen = true, Seed = 3, TradesPerSecond = 100 });
        var replay = new Replay(RealMarket.LastCloses);
        var events = new List<LiveEvent>();
        exchange.GenerateUntil(start.AddMinutes(20), events);

        foreach (var e in events)
        {
            replay.Check(e, alwaysOpen: true);
        }

        Assert.Equal(2, replay.Sessions);
        Assert.True(replay.CarriedCloses > 1_000, $"only {replay.CarriedCloses} stocks started the new day from a simulated close");
    }

    [Fact]
    public void The_same_seed_and_clock_give_the_same_events_however_the_generation_is_sliced()
    {
        var start = RealMarket.Kst(2024, 2, 14, 8, 59, 30);
        var options = new SimulatorOptions { Seed = 42, TradesPerSecond = 500 };
        var end = start.AddMinutes(2);

        var whole = new List<LiveEvent>();
        Exchange(start, options).GenerateUntil(end, whole);

        // Irregular slices, as a timer with jitter would ask for them.
        var sliced = new List<LiveEvent>();
        var exchange = Exchange(start, options);
        var jitter = new Random(9);
        for (var at = start; at < end; at += TimeSpan.FromMilliseconds(jitter.Next(1, 400)))
        {
            exchange.GenerateUntil(at, sliced);
        }

        exchange.GenerateUntil(end, sliced);

        Assert.True(whole.Count > 50_000);
        Assert.Equal(whole.Select(Line), sliced.Select(Line));

        var otherSeed = new List<LiveEvent>();
        Exchange(start, options with { Seed = 43 }).GenerateUntil(end, otherSeed);
        Assert.Equal(whole.Count, otherSeed.Count);
        var same = whole.Zip(otherSeed).Count(p => Line(p.First) == Line(p.Second));
        Assert.True(same < whole.Count / 100, $"{same} of {whole.Count} events are identical with another seed");
    }

    [Fact]
    public async Task Running_on_a_clock_writes_the_same_events_and_sleeps_until_the_pre_open()
    {
        var start = RealMarket.Kst(2024, 2, 14, 8, 29);
        var options = new SimulatorOptions { Seed = 5, TradesPerSecond = 50 };
        var time = new ManualTimeProvider(start);
        var exchange = Exchange(start, options, time);
        var channel = Channel.CreateUnbounded<LiveEvent>();
        using var cts = new CancellationTokenSource();
        var run = exchange.RunAsync(e => channel.Writer.TryWrite(e), cts.Token);

        // Closed until 08:30: the feed waits for the transition instead of polling, and writes nothing.
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(channel.Reader.TryRead(out _));

        // Each step of the clock: wait (no fixed sleep) until the feed has written every event a twin generates up to then.
        var received = new List<LiveEvent>();
        var twin = new List<LiveEvent>();
        var twinExchange = Exchange(start, options);
        for (var i = 0; i < 40; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            twinExchange.GenerateUntil(time.GetUtcNow(), twin);
            await ReadUntilAsync(channel.Reader, received, twin.Count);
        }

        Assert.NotEmpty(received);
        Assert.All(received, e => Assert.True(e.Time <= time.GetUtcNow() && e.Time >= RealMarket.Kst(2024, 2, 14, 8, 30)));
        Assert.Equal(twin.Select(Line), received.Select(Line));

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    /// <summary>Reads until <paramref name="count"/> events have arrived in all; fails after a generous 30 s.</summary>
    private static async Task ReadUntilAsync(ChannelReader<LiveEvent> reader, List<LiveEvent> into, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (into.Count < count)
        {
            Assert.True(await reader.WaitToReadAsync(deadline.Token), "the feed stopped writing");
            while (into.Count < count && reader.TryRead(out var e))
            {
                into.Add(e);
            }
        }
    }

    [Fact]
    public void Without_any_stored_close_it_refuses_to_start_with_a_clear_message()
    {
        var e = Assert.Throws<ArgumentException>(() => new SimulatedExchange(RealMarket.Master, new Dictionary<StockCode, decimal>(),
            RealMarket.Clock, new ManualTimeProvider(RealMarket.Kst(2024, 2, 14, 9, 0)), new SimulatorOptions()));
        Assert.StartsWith("no listed stock of the master has a stored close: load prices before starting the simulator", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_the_calendar_it_fails_clearly_unless_always_open()
    {
        var start = RealMarket.Kst(2051, 1, 2, 10, 0);
        var events = new List<LiveEvent>();
        var e = Assert.Throws<CalendarCoverageException>(() => Exchange(start, new SimulatorOptions()).GenerateUntil(start.AddSeconds(1), events));
        Assert.EndsWith("the holiday rules end with 2050", e.Message, StringComparison.Ordinal);
        Assert.True(Exchange(start, new SimulatorOptions { AlwaysOpen = true }).GenerateUntil(start.AddSeconds(1), events) > 0);
    }

    [Fact]
    public void In_a_provisional_year_it_trades_in_calendar_mode_from_the_10_o_clock_first_open()
    {
        // 2027-01-04 is the first session of 2027 by the holiday rules: books of the opening auction from 09:30, the first trade at 10:00.
        var events = new List<LiveEvent>();
        var evening = Exchange(RealMarket.Kst(2026, 12, 30, 18, 0), new SimulatorOptions { TradesPerSecond = 100 });
        Assert.Equal(0, evening.GenerateUntil(RealMarket.Kst(2027, 1, 4, 9, 29, 59), events));
        evening.GenerateUntil(RealMarket.Kst(2027, 1, 4, 10, 0, 1), events);
        Assert.Equal(RealMarket.Kst(2027, 1, 4, 9, 30), events[0].Time);
        Assert.Equal(RealMarket.Kst(2027, 1, 4, 10, 0), events.OfType<LiveTick>().First().Time);

        events.Clear();
        var regular = RealMarket.Kst(2027, 3, 2, 9, 5);
        Assert.True(Exchange(regular, new SimulatorOptions()).GenerateUntil(regular.AddSeconds(1), events) > 0);
        Assert.NotEmpty(events.OfType<LiveTick>());
    }

    [Fact]
    public void Trade_rates_follow_each_stocks_real_average_trading_value()
    {
        var start = RealMarket.Kst(2024, 2, 17, 23, 0);
        var values = RealMarket.AverageTradingValues;
        var exchange = new SimulatedExchange(RealMarket.Master, RealMarket.LastCloses, RealMarket.Clock, new ManualTimeProvider(start),
            new SimulatorOptions { AlwaysOpen = true, TradesPerSecond = 1000 }, values);
        var samsung = StockCode.Parse("005930");
        var hynix = StockCode.Parse("000660");

        // The share of trades is the share of real trading value: 005930 and 000660 trade in the ratio of their values.
        Assert.Equal((double)(values[samsung] / values[hynix]), exchange.TradeShare(samsung) / exchange.TradeShare(hynix), 9);
        var events = new List<LiveEvent>();
        exchange.GenerateUntil(start.AddSeconds(60), events);
        var ticks = events.OfType<LiveTick>().GroupBy(t => t.Code).ToDictionary(g => g.Key, g => g.Count());
        var total = ticks.Values.Sum();
        var expected = exchange.TradeShare(samsung) * total;
        Assert.InRange(ticks[samsung], expected * 0.9, expected * 1.1);
        // Heavy-tailed like the market: 005930 alone trades many times a second (it traded about once in 7 s before), and the
        // tenth of the stocks with the most value takes most of the trades.
        Assert.True(ticks[samsung] / 60.0 > 10, $"005930 traded {ticks[samsung]} times in 60 s");
        var top = exchange.Codes.OrderByDescending(c => values.GetValueOrDefault(c)).Take(exchange.Codes.Count / 10).ToHashSet();
        Assert.True(ticks.Where(kv => top.Contains(kv.Key)).Sum(kv => kv.Value) > total / 2);
    }

    [Theory]
    [InlineData(null, null, null, null, false, false, SimulatorOptions.DefaultSeed)]
    [InlineData(null, null, null, null, true, true, SimulatorOptions.DefaultSeed)]
    [InlineData(null, null, "true", "17", false, true, 17)]
    [InlineData(null, null, "1", "-3", false, true, -3)]
    [InlineData(null, null, "false", "", false, false, SimulatorOptions.DefaultSeed)]
    [InlineData(null, null, "false", "", true, false, SimulatorOptions.DefaultSeed)]
    [InlineData(true, 5, "false", "17", false, true, 5)]
    [InlineData(false, null, "true", null, true, false, SimulatorOptions.DefaultSeed)]
    public void Options_come_from_the_command_line_then_the_environment_then_the_default(
        bool? flag, int? seed, string? envAlwaysOpen, string? envSeed, bool defaultAlwaysOpen, bool alwaysOpen, int expectedSeed)
    {
        var env = new Dictionary<string, string?> { [SimulatorOptions.AlwaysOpenVariable] = envAlwaysOpen, [SimulatorOptions.SeedVariable] = envSeed };

        var options = SimulatorOptions.Resolve(flag, seed, name => env.GetValueOrDefault(name), defaultAlwaysOpen);

        Assert.Equal((alwaysOpen, expectedSeed), (options.AlwaysOpen, options.Seed));
    }

    [Fact]
    public void Malformed_environment_values_are_refused_in_one_line()
    {
        var e = Assert.Throws<FormatException>(() => SimulatorOptions.Resolve(null, null, n => n == SimulatorOptions.AlwaysOpenVariable ? "sometimes" : null));
        Assert.Equal("KRXHUB_SIMULATOR__ALWAYSOPEN='sometimes' is not a boolean; use true or false", e.Message);
        e = Assert.Throws<FormatException>(() => SimulatorOptions.Resolve(null, null, n => n == SimulatorOptions.SeedVariable ? "4.2" : null));
        Assert.Equal("KRXHUB_SIMULATOR__SEED='4.2' is not a whole number; use e.g. 42", e.Message);
    }

    /// <summary>
    /// Checks each event against the KRX rules, independently of the simulator: the phase of the calendar, the tick grid
    /// and limits of the day from the previous close (the stored one, then the last trade of the day before), the day's
    /// running totals, and books of consecutive grid prices around the last trade.
    /// </summary>
    private sealed class Replay(IReadOnlyDictionary<StockCode, decimal> storedCloses)
    {
        private readonly Dictionary<StockCode, decimal> _previousClose = new(storedCloses);
        private readonly Dictionary<StockCode, LiveTick> _lastTick = [];
        private DateOnly _date;
        private LiveEvent? _previous;
        private SessionPhase _phase;
        private DateTimeOffset _phaseUntil = DateTimeOffset.MinValue;

        public int Ticks { get; private set; }

        public int Books { get; private set; }

        public int Sessions { get; private set; }

        public int LimitHits { get; private set; }

        public int BooksWithoutAsks { get; private set; }

        public int MultiTickMoves { get; private set; }

        public int CarriedCloses { get; private set; }

        public HashSet<StockCode> TradedCodes { get; } = [];

        public List<decimal> TradeValues { get; } = [];

        private SessionPhase PhaseAt(DateTimeOffset time)
        {
            // Events come in time order: look the phase up again only when its window is over.
            if (time >= _phaseUntil)
            {
                _phase = RealMarket.Clock.PhaseAt(time);
                _phaseUntil = RealMarket.Clock.NextTransition(time).At;
            }

            return _phase;
        }

        // Messages are built only on failure: formatting a book for every check would dominate the test's time.
        private static void Require(bool condition, Func<string> message)
        {
            if (!condition)
            {
                Assert.Fail(message());
            }
        }

        public void Check(LiveEvent e, bool alwaysOpen = false)
        {
            Assert.Equal(LiveSources.Simulated, e.Source);
            Assert.Equal(KrxCalendar.KstOffset, e.Time.Offset);
            var date = DateOnly.FromDateTime(e.Time.DateTime);
            if (date != _date)
            {
                foreach (var (code, tick) in _lastTick)
                {
                    _previousClose[code] = tick.Price;
                    CarriedCloses++;
                }

                _lastTick.Clear();
                _date = date;
                Sessions++;
            }

            var market = RealMarket.Markets[e.Code];
            var previousClose = _previousClose[e.Code];
            var (lower, upper) = KrxRules.PriceLimits(previousClose, market, date);
            var phase = alwaysOpen ? SessionPhase.Regular : PhaseAt(e.Time);
            switch (e)
            {
                case LiveTick t:
                    Assert.Equal(SessionPhase.Regular, phase);
                    CheckTick(t, market, date, previousClose, lower, upper);
                    break;
                case OrderBook b:
                    Require(phase.IsMarketOpen(), () => $"{Line(b)} in phase {phase.Name()}");
                    if (phase == SessionPhase.Regular)
                    {
                        // In continuous trading a book follows the trade that shaped it.
                        Require(_previous is LiveTick p && p.Code == b.Code && p.Time == b.Time, () => $"{Line(b)} does not follow its trade");
                    }

                    CheckBook(b, market, date, previousClose, lower, upper);
                    break;
            }

            _previous = e;
        }

        private void CheckTick(LiveTick t, Market market, DateOnly date, decimal previousClose, decimal lower, decimal upper)
        {
            Ticks++;
            TradedCodes.Add(t.Code);
            Require(KrxRules.IsOnTickGrid(t.Price, market, date), () => $"{Line(t)}: off the tick grid");
            Require(t.Price >= lower && t.Price <= upper, () => $"{Line(t)}: outside the limits {lower}..{upper} of {previousClose}");
            LimitHits += t.Price == lower || t.Price == upper ? 1 : 0;
            Assert.Equal(t.Price - previousClose, t.Change);
            Assert.Equal(Math.Round((t.Price - previousClose) / previousClose * 100m, 2, MidpointRounding.AwayFromZero), t.ChangePct);
            Assert.True(t.Volume >= 1);
            TradeValues.Add(t.Price * t.Volume);
            if (_lastTick.TryGetValue(t.Code, out var before))
            {
                Assert.Equal(before.AccVolume + t.Volume, t.AccVolume);
                Assert.Equal(before.AccValue + t.Price * t.Volume, t.AccValue);
                Assert.Equal(before.Open, t.Open);
                Assert.Equal(Math.Max(before.High, t.Price), t.High);
                Assert.Equal(Math.Min(before.Low, t.Price), t.Low);
                // A one-tick move differs by the tick of the lower price, also across a band boundary.
                var lowerPrice = Math.Min(before.Price, t.Price);
                MultiTickMoves += Math.Abs(t.Price - before.Price) > KrxRules.TickSize(lowerPrice, market, date) ? 1 : 0;
            }
            else
            {
                Assert.Equal((t.Volume, t.Price * t.Volume, t.Price, t.Price, t.Price), (t.AccVolume, t.AccValue, t.Open, t.High, t.Low));
            }

            _lastTick[t.Code] = t;
        }

        private void CheckBook(OrderBook b, Market market, DateOnly date, decimal previousClose, decimal lower, decimal upper)
        {
            Books++;
            Assert.InRange(b.Asks.Count, 0, SimulatedExchange.BookDepth);
            Assert.InRange(b.Bids.Count, 0, SimulatedExchange.BookDepth);
            Assert.Equal(b.Asks.Sum(l => l.Qty), b.TotalAskQty);
            Assert.Equal(b.Bids.Sum(l => l.Qty), b.TotalBidQty);
            foreach (var level in b.Asks.Concat(b.Bids))
            {
                Require(KrxRules.IsOnTickGrid(level.Price, market, date), () => $"{Line(b)}: {level.Price} off the grid");
                Require(level.Price >= lower && level.Price <= upper, () => $"{Line(b)}: {level.Price} outside {lower}..{upper}");
                Assert.True(level.Qty >= 1);
            }

            // Consecutive grid prices: asks ascend and bids descend by exactly one tick.
            for (var i = 1; i < b.Asks.Count; i++)
            {
                Assert.Equal(b.Asks[i - 1].Price + KrxRules.TickSize(b.Asks[i - 1].Price, market, date), b.Asks[i].Price);
            }

            for (var i = 1; i < b.Bids.Count; i++)
            {
                Assert.Equal(b.Bids[i].Price + KrxRules.TickSize(b.Bids[i].Price, market, date), b.Bids[i - 1].Price);
            }

            // Fewer than 10 levels only where the next one would cross a limit (the limits are grid prices).
            if (b.Asks.Count < SimulatedExchange.BookDepth)
            {
                Require(b.Asks.Count == 0 ? b.Bids[0].Price == upper : b.Asks[^1].Price == upper, () => $"{Line(b)}: asks cut short");
            }

            if (b.Bids.Count < SimulatedExchange.BookDepth)
            {
                Require(b.Bids.Count == 0 ? b.Asks[0].Price == lower : b.Bids[^1].Price == lower, () => $"{Line(b)}: bids cut short");
            }

            BooksWithoutAsks += b.Asks.Count == 0 ? 1 : 0;

            // The last trade (or, before the first, the previous close on today's grid) is the best bid or the best ask.
            var last = _lastTick.TryGetValue(b.Code, out var tick)
                ? tick.Price
                : Math.Clamp(KrxRules.FloorToTick(previousClose, market, date), lower, upper);
            var bestAsk = b.Asks.Count > 0 ? b.Asks[0].Price : (decimal?)null;
            var bestBid = b.Bids.Count > 0 ? b.Bids[0].Price : (decimal?)null;
            Require(bestAsk == last || bestBid == last, () => $"{Line(b)}: the last price {last} is neither best bid nor best ask");
            Require(bestAsk is null || bestBid is null || bestBid < bestAsk, () => $"{Line(b)}: crossed");
        }
    }
}
