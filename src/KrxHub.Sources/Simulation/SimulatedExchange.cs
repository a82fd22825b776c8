// Over 400 lines on purpose: the price walk, the books, the phase windows and the liquidity weights share the step
// counter and the random stream that make a run reproducible from its seed; split apart they would pass both around.
using KrxHub.Core;
using KrxHub.Core.Live;

namespace KrxHub.Sources.Simulation;

/// <summary>
/// The default live source when no broker keys are set: a simulated KRX that drives every listed stock of the master
/// from its last stored close. Every event says <see cref="LiveSources.Simulated"/>.
/// <list type="bullet">
/// <item>Time is cut into steps of 1/<see cref="SimulatorOptions.TradesPerSecond"/> s from the instant the exchange is built.
/// A step in continuous trading is one trade of one stock (stocks are picked with fixed activity weights: each stock's real
/// average daily trading value when it is given, which is heavy-tailed across the market, else a log-normal draw)
/// followed by that stock's order book; a step in an auction (pre-open, closing auction) is only a book, because KRX
/// matches auctions once; other phases produce nothing. With <see cref="SimulatorOptions.AlwaysOpen"/> every step trades.</item>
/// <item>Prices walk on the tick grid (<see cref="KrxRules.TickSize"/> of the day and market), mostly by one tick with
/// heavy-tailed jumps, pulled toward a per-stock target of the day, and never leave the daily limits of the previous
/// close (<see cref="KrxRules.PriceLimits"/>). Trade quantities are Pareto-distributed around a lot worth about 3 million KRW.</item>
/// <item>The book has up to 10 levels per side on consecutive grid prices, best first, all within the limits, with a
/// one-tick spread around the last trade: a buyer-initiated trade (an uptick) leaves the last price as the best ask,
/// a seller-initiated one as the best bid. Levels beyond a limit are omitted (at the upper limit there are no asks).</item>
/// <item>A new KST date starts a new session: the previous close becomes the last price of the day before (unchanged
/// for a stock that did not trade), limits are recomputed, and the day's open, high, low and totals restart.</item>
/// <item>The sequence is a function of the seed, the starting instant and the times it is asked to generate up to:
/// the same seed under the same clock gives the same events, however the wall clock jitters (see <see cref="GenerateUntil"/>).</item>
/// </list>
/// Not thread-safe: one caller drives it (<see cref="RunAsync"/>, or a benchmark calling <see cref="GenerateUntil"/>).
/// </summary>
public sealed class SimulatedExchange : ILiveFeed
{
    public const int BookDepth = 10;

    /// <summary>How far the feed may fall behind the clock before it drops the backlog instead of replaying it in a burst.</summary>
    public static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(50);

    // A typical trade is worth about this much; the lot of a stock is this value in shares at its previous close.
    private const decimal TypicalTradeValue = 3_000_000m;

    // The activity floor of a stock whose stored trading value is zero (halted).
    private const double MinDailyValue = 1_000_000;

    // Strength of the pull toward the day's target, per unit of log distance (0.5 - 5 * ln(last/target) = P(up)).
    private const double Reversion = 5.0;

    private readonly SimulatedStock[] _stocks;
    private readonly double[] _cumulativeActivity;
    private readonly KrxSessionClock _clock;
    private readonly TimeProvider _time;
    private readonly SimulatorOptions _options;
    private readonly Random _random;
    private readonly long _originTicks;
    private long _nextStep;
    private DateOnly _date;
    private long _windowEndTicks = long.MinValue;
    private SessionPhase _windowPhase;

    /// <param name="stocks">The stock master; listed stocks (no delisting date) with a previous close are driven.</param>
    /// <param name="previousCloses">The last stored raw close per stock.</param>
    /// <param name="averageDailyValue">
    /// Each stock's average daily trading value (KRW) from stored bars: its share of the trades is its share of the market's
    /// value, so 005930 trades far more often than a thin KOSDAQ name, as on the real market. Stocks missing here get the
    /// median value times a log-normal factor.
    /// </param>
    public SimulatedExchange(IEnumerable<Stock> stocks, IReadOnlyDictionary<StockCode, decimal> previousCloses,
        KrxSessionClock clock, TimeProvider time, SimulatorOptions options, IReadOnlyDictionary<StockCode, decimal>? averageDailyValue = null)
    {
        ArgumentNullException.ThrowIfNull(stocks);
        ArgumentNullException.ThrowIfNull(previousCloses);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TradesPerSecond, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.TradesPerSecond, 10_000_000, nameof(options));
        _clock = clock;
        _time = time;
        _options = options;
        _random = new Random(options.Seed);
        _originTicks = time.GetUtcNow().UtcTicks;
        _date = KstDate(_originTicks);

        var driven = new List<SimulatedStock>();
        var skipped = new List<StockCode>();
        foreach (var stock in stocks.Where(s => s.DelistingDate is null).DistinctBy(s => s.Code).OrderBy(s => s.Code.Value, StringComparer.Ordinal))
        {
            if (previousCloses.TryGetValue(stock.Code, out var close) && close > 0)
            {
                driven.Add(new SimulatedStock(stock.Code, stock.Market, close));
            }
            else
            {
                skipped.Add(stock.Code);
            }
        }

        if (driven.Count == 0)
        {
            throw new ArgumentException("no listed stock of the master has a stored close: load prices before starting the simulator", nameof(previousCloses));
        }

        _stocks = [.. driven];
        SkippedWithoutClose = skipped;
        _cumulativeActivity = new double[_stocks.Length];
        var known = _stocks.Select(s => averageDailyValue?.GetValueOrDefault(s.Code) ?? 0m).Where(v => v > 0).Order().ToArray();
        var median = known.Length > 0 ? (double)known[known.Length / 2] : 1.0;
        var total = 0.0;
        for (var i = 0; i < _stocks.Length; i++)
        {
            // Drawn for every stock, so the random sequence is the same with or without liquidity data.
            var lognormal = Math.Exp(1.2 * Gaussian());
            var value = averageDailyValue?.GetValueOrDefault(_stocks[i].Code) ?? 0m;
            // A stock halted through the whole window (value 0) still trades now and then, at the rate of 1 million KRW a day.
            total += averageDailyValue is null ? lognormal
                : averageDailyValue.ContainsKey(_stocks[i].Code) ? Math.Max((double)value, MinDailyValue)
                : median * lognormal;
            _cumulativeActivity[i] = total;
        }

        foreach (var stock in _stocks)
        {
            StartDay(stock);
        }
    }

    public string Source => LiveSources.Simulated;

    public bool AlwaysOpen => _options.AlwaysOpen;

    /// <summary>The codes this exchange drives, ascending.</summary>
    public IReadOnlyList<StockCode> Codes => [.. _stocks.Select(s => s.Code)];

    /// <summary>The probability that a step of continuous trading trades this stock (0 for a stock not driven).</summary>
    public double TradeShare(StockCode code)
    {
        var i = Array.FindIndex(_stocks, s => s.Code == code);
        return i < 0 ? 0 : (_cumulativeActivity[i] - (i == 0 ? 0 : _cumulativeActivity[i - 1])) / _cumulativeActivity[^1];
    }

    /// <summary>Listed stocks of the master left out because no close is stored for them.</summary>
    public IReadOnlyList<StockCode> SkippedWithoutClose { get; }

    /// <summary>The time of the next step to be generated.</summary>
    public DateTimeOffset NextStepTime => ToKst(StepTicks(_nextStep));

    /// <summary>The simulator drives every listed stock whatever the hub asks for.</summary>
    public Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// Generates the events of every step not yet generated whose time is at or before <paramref name="until"/>, in order,
    /// and returns how many it added. Steps in closed phases are skipped a whole phase at a time.
    /// </summary>
    /// <exception cref="CalendarCoverageException">A step falls outside the calendar (never with <see cref="AlwaysOpen"/>).</exception>
    public int GenerateUntil(DateTimeOffset until, ICollection<LiveEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var untilTicks = until.UtcTicks;
        var added = 0;
        while (true)
        {
            var ticks = StepTicks(_nextStep);
            if (ticks > untilTicks)
            {
                return added;
            }

            var phase = _options.AlwaysOpen ? SessionPhase.Regular : PhaseAt(ticks);
            if (!phase.IsMarketOpen())
            {
                _nextStep = Math.Max(_nextStep + 1, FirstStepAtOrAfter(_windowEndTicks));
                continue;
            }

            EnterDate(KstDate(ticks));
            var stock = PickStock();
            var time = ToKst(ticks);
            if (phase == SessionPhase.Regular)
            {
                output.Add(Trade(stock, time));
                added++;
            }

            output.Add(Book(stock, time));
            added++;
            _nextStep++;
        }
    }

    /// <summary>Writes events as the clock advances until cancelled; sleeps through the phases without trading.</summary>
    public async Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
        var batch = new List<LiveEvent>();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var now = _time.GetUtcNow();
            if (now.UtcTicks - StepTicks(_nextStep) > MaxLag.Ticks)
            {
                _nextStep = FirstStepAtOrAfter(now.UtcTicks - MaxLag.Ticks);
            }

            batch.Clear();
            GenerateUntil(now, batch);
            foreach (var e in batch)
            {
                publish(e);
            }

            var wait = BatchInterval;
            if (!_options.AlwaysOpen && !PhaseAt(now.UtcTicks).IsMarketOpen())
            {
                wait = TimeSpan.FromTicks(Math.Max(_windowEndTicks - now.UtcTicks, 0));
            }

            await Task.Delay(wait, _time, ct);
        }
    }

    private SessionPhase PhaseAt(long utcTicks)
    {
        // Steps only move forward, so the phase is looked up once per phase window.
        if (utcTicks >= _windowEndTicks)
        {
            var instant = new DateTimeOffset(utcTicks, TimeSpan.Zero);
            _windowPhase = _clock.PhaseAt(instant);
            _windowEndTicks = _clock.NextTransition(instant).At.UtcTicks;
        }

        return _windowPhase;
    }

    private long StepTicks(long step) => _originTicks + (long)((Int128)step * TimeSpan.TicksPerSecond / _options.TradesPerSecond);

    private long FirstStepAtOrAfter(long utcTicks)
    {
        var elapsed = utcTicks - _originTicks;
        return elapsed <= 0 ? 0 : (long)(((Int128)elapsed * _options.TradesPerSecond + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond);
    }

    private static DateTimeOffset ToKst(long utcTicks) => new(utcTicks + KrxCalendar.KstOffset.Ticks, KrxCalendar.KstOffset);

    private static DateOnly KstDate(long utcTicks) => DateOnly.FromDayNumber((int)((utcTicks + KrxCalendar.KstOffset.Ticks) / TimeSpan.TicksPerDay));

    private void EnterDate(DateOnly date)
    {
        if (date == _date)
        {
            return;
        }

        _date = date;
        foreach (var stock in _stocks)
        {
            if (stock.Open != 0)
            {
                stock.PreviousClose = stock.Last;
            }

            StartDay(stock);
        }
    }

    private void StartDay(SimulatedStock stock)
    {
        (stock.Lower, stock.Upper) = KrxRules.PriceLimits(stock.PreviousClose, stock.Market, _date);
        // A close stored under an older tick table may be off today's grid: start from the grid price below it.
        stock.Last = Math.Clamp(KrxRules.FloorToTick(stock.PreviousClose, stock.Market, _date), stock.Lower, stock.Upper);
        stock.Lot = Math.Max(1L, (long)decimal.Round(TypicalTradeValue / stock.PreviousClose));
        stock.Open = stock.High = stock.Low = 0m;
        stock.AccVolume = 0;
        stock.AccValue = 0m;
        stock.BuyerInitiated = _random.NextDouble() < 0.5;
        // The day's story of the stock: mostly within a few percent, now and then a big move.
        var trend = 0.02 * Gaussian();
        if (_random.NextDouble() < 0.02)
        {
            trend += (_random.NextDouble() < 0.5 ? -1 : 1) * (0.1 + 0.2 * _random.NextDouble());
        }

        stock.LogTarget = Math.Log((double)stock.PreviousClose) + trend;
    }

    private SimulatedStock PickStock()
    {
        var point = _random.NextDouble() * _cumulativeActivity[^1];
        var index = Array.BinarySearch(_cumulativeActivity, point);
        return _stocks[Math.Min(index >= 0 ? index : ~index, _stocks.Length - 1)];
    }

    private LiveTick Trade(SimulatedStock stock, DateTimeOffset time)
    {
        var moves = 0;
        if (_random.NextDouble() < 0.5)
        {
            // Jump sizes in ticks: P(size >= m) = m^-2.5, capped.
            var size = (int)Math.Min(50.0, Math.Floor(Math.Pow(1.0 - _random.NextDouble(), -1.0 / 2.5)));
            var up = Math.Clamp(0.5 - Reversion * (Math.Log((double)stock.Last) - stock.LogTarget), 0.05, 0.95);
            moves = _random.NextDouble() < up ? size : -size;
        }

        var price = stock.Last;
        for (var i = 0; i < Math.Abs(moves); i++)
        {
            var next = moves > 0 ? TickUp(stock, price) : TickDown(stock, price);
            if (next > stock.Upper || next < stock.Lower)
            {
                break;
            }

            price = next;
        }

        stock.BuyerInitiated = moves > 0 || (moves == 0 && _random.NextDouble() < 0.5);
        var volume = HeavyTailed(stock.Lot * 0.3, 1.3, stock.Lot * 2000);
        stock.Last = price;
        if (stock.Open == 0)
        {
            stock.Open = stock.High = stock.Low = price;
        }
        else
        {
            stock.High = Math.Max(stock.High, price);
            stock.Low = Math.Min(stock.Low, price);
        }

        stock.AccVolume += volume;
        stock.AccValue += price * volume;
        var change = price - stock.PreviousClose;
        var changePct = decimal.Round(change * 100m / stock.PreviousClose, 2, MidpointRounding.AwayFromZero);
        return new LiveTick(stock.Code, time, LiveSources.Simulated, price, change, changePct, volume,
            stock.AccVolume, stock.AccValue, stock.Open, stock.High, stock.Low);
    }

    private OrderBook Book(SimulatedStock stock, DateTimeOffset time)
    {
        var asks = new List<BookLevel>(BookDepth);
        var bids = new List<BookLevel>(BookDepth);
        long totalAsk = 0, totalBid = 0;
        var ask = stock.BuyerInitiated ? stock.Last : TickUp(stock, stock.Last);
        for (var i = 0; i < BookDepth && ask <= stock.Upper; i++)
        {
            var qty = HeavyTailed(stock.Lot * (1 + 0.3 * i), 1.6, stock.Lot * 5000);
            asks.Add(new BookLevel(ask, qty));
            totalAsk += qty;
            ask = TickUp(stock, ask);
        }

        var bid = stock.BuyerInitiated ? TickDown(stock, stock.Last) : stock.Last;
        for (var i = 0; i < BookDepth && bid >= stock.Lower; i++)
        {
            var qty = HeavyTailed(stock.Lot * (1 + 0.3 * i), 1.6, stock.Lot * 5000);
            bids.Add(new BookLevel(bid, qty));
            totalBid += qty;
            bid = TickDown(stock, bid);
        }

        return new OrderBook(stock.Code, time, LiveSources.Simulated, asks, bids, totalAsk, totalBid);
    }

    private decimal TickUp(SimulatedStock stock, decimal price) => price + (KrxRules.TickSize(price, stock.Market, _date) ?? 1m);

    // Ticks are whole wons and every band starts on a multiple of its own tick, so the grid price below p is floor(p - 1).
    private decimal TickDown(SimulatedStock stock, decimal price) => price <= 1m ? 0m : KrxRules.FloorToTick(price - 1m, stock.Market, _date);

    /// <summary>A Pareto draw with minimum <paramref name="scale"/> and tail index <paramref name="alpha"/>, at least 1, capped.</summary>
    private long HeavyTailed(double scale, double alpha, double cap)
    {
        var draw = scale * Math.Pow(1.0 - _random.NextDouble(), -1.0 / alpha);
        return Math.Max(1L, (long)Math.Min(draw, cap));
    }

    private double Gaussian()
    {
        // Box–Muller; one of the pair is enough here.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private sealed class SimulatedStock(StockCode code, Market market, decimal previousClose)
    {
        public StockCode Code { get; } = code;

        public Market Market { get; } = market;

        public decimal PreviousClose { get; set; } = previousClose;

        public decimal Lower { get; set; }

        public decimal Upper { get; set; }

        public decimal Last { get; set; }

        /// <summary>0 until the first trade of the day.</summary>
        public decimal Open { get; set; }

        public decimal High { get; set; }

        public decimal Low { get; set; }

        public long AccVolume { get; set; }

        public decimal AccValue { get; set; }

        public long Lot { get; set; }

        public bool BuyerInitiated { get; set; }

        public double LogTarget { get; set; }
    }
}
