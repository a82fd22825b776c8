// Over 400 lines on purpose: fills, costs, cash, positions and the equity curve are one accounting loop that the
// golden master checks trade by trade; the strategies and the metrics are in files of their own.
namespace KrxHub.Core.Backtesting;

/// <summary>
/// A bar-by-bar simulation over the KRX calendar. Pure: the bars, the stock master and the calendar are passed in
/// (the hub loads them through the store seam), so the same engine runs against SQLite, PostgreSQL or test data.
/// One instance runs once.
/// </summary>
public sealed class BacktestEngine
{
    /// <summary>Fraction of the daily limit at which an adjusted bar with open = high = low = close counts as limit-locked
    /// (adjusted prices are scaled raw prices, so the exact raw limit price is not visible).</summary>
    public const decimal AdjustedLockTolerance = 0.98m;

    private readonly BacktestSettings _settings;
    private readonly KrxCalendar _calendar;
    private readonly Slot[] _slots;
    private readonly Dictionary<StockCode, Slot> _byCode;
    private readonly List<Trade> _trades = [];
    private readonly List<RejectedOrder> _rejected = [];
    private readonly List<EquityPoint> _equity = [];
    private readonly List<Order> _orders = [];
    private IReadOnlyDictionary<StockCode, decimal>? _rebalance;
    private DateOnly _today;
    private bool _ran;
    private int _sessionsInvested;
    private decimal _tradedValue;
    private int _roundTrips;
    private int _wins;

    public BacktestEngine(BacktestSettings settings, KrxCalendar calendar, IReadOnlyList<BarSeries> series, IReadOnlyDictionary<StockCode, Stock> master)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(master);
        if (settings.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(settings));
        }

        _settings = settings;
        _calendar = calendar;
        _slots = new Slot[series.Count];
        _byCode = new Dictionary<StockCode, Slot>(series.Count);
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            if (s.Basis != settings.Basis)
            {
                throw new ArgumentException($"{s.Code}: {s.Basis.Name()} bars in a {settings.Basis.Name()} backtest (bases are never mixed)", nameof(series));
            }

            if (!master.TryGetValue(s.Code, out var stock))
            {
                throw new ArgumentException($"{s.Code}: not in the stock master", nameof(master));
            }

            var slot = new Slot(s, stock);
            if (!_byCode.TryAdd(s.Code, slot))
            {
                throw new ArgumentException($"{s.Code}: two series for one stock", nameof(series));
            }

            _slots[i] = slot;
        }

        Codes = [.. _slots.Select(s => s.Series.Code)];
        Cash = settings.InitialCash;
        Context = new StrategyContext(this);
    }

    internal IReadOnlyList<StockCode> Codes { get; }

    internal decimal Cash { get; private set; }

    private StrategyContext Context { get; }

    /// <summary>Runs the strategy. <paramref name="progress"/> gets the fraction of sessions done.</summary>
    public BacktestResult Run(Strategy strategy, Action<double>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        if (_ran)
        {
            throw new InvalidOperationException("an engine runs once");
        }

        _ran = true;
        var first = _settings.From;
        foreach (var slot in _slots)
        {
            if (slot.Series.Count > 0 && slot.Series.FirstDate < first)
            {
                first = slot.Series.FirstDate;
            }
        }

        var sessions = _calendar.Sessions(first, _settings.To);
        var warmup = sessions.BinarySearch(_settings.From);
        _equity.Capacity = sessions.Length - (warmup >= 0 ? warmup : ~warmup); // one point per session from --from on
        var reportEvery = Math.Max(1, sessions.Length / 100);
        for (var s = 0; s < sessions.Length; s++)
        {
            var date = sessions[s];
            var next = s + 1 < sessions.Length ? sessions[s + 1] : (DateOnly?)null;
            RunSession(strategy, date, next);
            if (progress is not null && (s % reportEvery == 0 || s == sessions.Length - 1))
            {
                ct.ThrowIfCancellationRequested();
                progress((s + 1) / (double)sessions.Length);
            }
        }

        // A next-open order placed on the last session would fill after --to.
        foreach (var order in _orders)
        {
            Reject(order.Code, order.Kind, RejectReasons.AfterEnd);
        }

        _orders.Clear();
        return new BacktestResult(ComputeMetrics(), _trades, _equity, _rejected) { DataGaps = DataGaps.Find(_slots.Select(s => s.Series), _calendar) };
    }

    private void RunSession(Strategy strategy, DateOnly date, DateOnly? nextSession)
    {
        _today = date;
        foreach (var slot in _slots)
        {
            var dates = slot.Series.Dates;
            while (slot.Visible < dates.Length && dates[slot.Visible] <= date)
            {
                slot.Visible++;
            }
        }

        var trading = date >= _settings.From;
        if (trading && _settings.Fill == FillModel.NextOpen)
        {
            ExecuteOrders(atOpen: true);
        }

        Context.Date = date;
        Context.IsWarmingUp = !trading;
        Context.IsLastSessionOfMonth = nextSession is not { } n ? _calendar.NextSession(date) is not { } after || after.Month != date.Month : n.Month != date.Month;
        strategy.OnSession(Context);
        if (!trading)
        {
            _orders.Clear();
            _rebalance = null;
            return;
        }

        if (_settings.Fill == FillModel.Close)
        {
            ExecuteOrders(atOpen: false);
        }

        ExitDelisted(nextSession ?? _calendar.NextSession(date));
        var equity = MarkToMarket();
        _equity.Add(new EquityPoint(date, equity, Cash));
        foreach (var slot in _slots)
        {
            if (slot.Quantity > 0)
            {
                _sessionsInvested++;
                break;
            }
        }
    }

    // --- what the context reads ---

    internal BarHistory History(StockCode code) => TryFind(code, out var slot) ? new BarHistory(slot.Series, slot.Visible) : default;

    internal long Position(StockCode code) => TryFind(code, out var slot) ? slot.Quantity : 0;

    /// <summary>
    /// The slot of <paramref name="code"/>. A run of one stock (each of a whole-market run's 2,800) asks for it twice a
    /// session: comparing with its one code skips hashing the code string.
    /// </summary>
    private bool TryFind(StockCode code, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Slot? slot)
    {
        if (_slots.Length == 1 && _slots[0].Series.Code == code)
        {
            slot = _slots[0];
            return true;
        }

        return _byCode.TryGetValue(code, out slot);
    }

    internal Market MarketOf(StockCode code) => _byCode.TryGetValue(code, out var slot) ? slot.Stock.Market : throw new ArgumentException($"{code} is not in this backtest");

    internal bool IsTradableToday(StockCode code) => _byCode.TryGetValue(code, out var slot) && TradableReason(slot) is null;

    internal decimal MarkToMarket()
    {
        var equity = Cash;
        foreach (var slot in _slots)
        {
            if (slot.Quantity > 0)
            {
                equity += slot.Quantity * slot.Series.Close[slot.Visible - 1];
            }
        }

        return equity;
    }

    internal void Place(Order order)
    {
        if (!_byCode.ContainsKey(order.Code))
        {
            throw new ArgumentException($"{order.Code} is not in this backtest");
        }

        _orders.Add(order);
    }

    internal void PlaceRebalance(IReadOnlyDictionary<StockCode, decimal> weights)
    {
        foreach (var code in weights.Keys)
        {
            if (!_byCode.ContainsKey(code))
            {
                throw new ArgumentException($"{code} is not in this backtest");
            }
        }

        _rebalance = weights;
    }

    // --- fills ---

    private void ExecuteOrders(bool atOpen)
    {
        if (_orders.Count == 0 && _rebalance is null)
        {
            return;
        }

        var orders = _orders.ToArray();
        var rebalance = _rebalance;
        _orders.Clear();
        _rebalance = null;

        // Sells first, so their cash funds the buys of the same session.
        foreach (var order in orders)
        {
            if (order.Kind is OrderKind.Sell or OrderKind.SellAll)
            {
                var slot = _byCode[order.Code];
                var quantity = order.Kind == OrderKind.SellAll ? slot.Quantity : Math.Min(order.Quantity, slot.Quantity);
                if (quantity <= 0)
                {
                    Reject(order.Code, order.Kind, RejectReasons.NoPosition);
                    continue;
                }

                TrySell(slot, quantity, atOpen, order.Kind, note: null);
            }
        }

        if (rebalance is not null)
        {
            Rebalance(rebalance, atOpen);
        }

        foreach (var order in orders)
        {
            if (order.Kind is OrderKind.Buy or OrderKind.BuyAllIn)
            {
                TryBuy(_byCode[order.Code], order.Kind == OrderKind.Buy ? order.Quantity : long.MaxValue, atOpen, order.Kind);
            }
        }
    }

    private void Rebalance(IReadOnlyDictionary<StockCode, decimal> weights, bool atOpen)
    {
        // Equity at this fill point's prices where the stock trades, else at its latest close.
        var equity = Cash;
        foreach (var slot in _slots)
        {
            if (slot.Quantity > 0)
            {
                var price = TradableReason(slot) is null ? BasePrice(slot, atOpen) : slot.Series.Close[slot.Visible - 1];
                equity += slot.Quantity * price;
            }
        }

        var targets = new List<(Slot Slot, long Target)>();
        foreach (var slot in _slots)
        {
            var weight = weights.GetValueOrDefault(slot.Series.Code);
            if (weight == 0 && slot.Quantity == 0)
            {
                continue;
            }

            long target = 0;
            if (weight > 0)
            {
                if (TradableReason(slot) is { } reason)
                {
                    Reject(slot.Series.Code, OrderKind.Buy, reason);
                    continue;
                }

                var price = FillPrice(slot, BasePrice(slot, atOpen), TradeSide.Buy);
                target = (long)decimal.Floor(equity * weight / (price * (1 + _settings.Commission)));
            }

            targets.Add((slot, target));
        }

        foreach (var (slot, target) in targets)
        {
            if (slot.Quantity > target)
            {
                TrySell(slot, slot.Quantity - target, atOpen, OrderKind.Sell, note: "rebalance");
            }
        }

        foreach (var (slot, target) in targets)
        {
            if (target > slot.Quantity)
            {
                TryBuy(slot, target - slot.Quantity, atOpen, OrderKind.Buy);
            }
        }
    }

    private void TryBuy(Slot slot, long wanted, bool atOpen, OrderKind kind)
    {
        if (TradableReason(slot) is { } reason)
        {
            Reject(slot.Series.Code, kind, reason);
            return;
        }

        if (IsLimitLocked(slot, up: true))
        {
            Reject(slot.Series.Code, kind, RejectReasons.LimitLocked);
            return;
        }

        var price = FillPrice(slot, BasePrice(slot, atOpen), TradeSide.Buy);
        var affordable = (long)decimal.Floor(Cash / (price * (1 + _settings.Commission)));
        var quantity = Math.Min(wanted, affordable);
        if (quantity <= 0)
        {
            Reject(slot.Series.Code, kind, RejectReasons.NoCash);
            return;
        }

        var value = price * quantity;
        var commission = value * _settings.Commission;
        Cash -= value + commission;
        slot.Quantity += quantity;
        slot.OpenCost += value + commission;
        _tradedValue += value;
        _trades.Add(new Trade(_today, slot.Series.Code, TradeSide.Buy, price, quantity, commission, 0m));
    }

    private void TrySell(Slot slot, long quantity, bool atOpen, OrderKind kind, string? note)
    {
        if (TradableReason(slot) is { } reason)
        {
            Reject(slot.Series.Code, kind, reason);
            return;
        }

        if (IsLimitLocked(slot, up: false))
        {
            Reject(slot.Series.Code, kind, RejectReasons.LimitLocked);
            return;
        }

        Sell(slot, quantity, FillPrice(slot, BasePrice(slot, atOpen), TradeSide.Sell), note);
    }

    private void Sell(Slot slot, long quantity, decimal price, string? note)
    {
        var value = price * quantity;
        var commission = value * _settings.Commission;
        var rate = _settings.SellTax ?? TransactionTax.RateForTrade(_today, slot.Stock.Market, _calendar);
        var tax = value * rate;
        var proceeds = value - commission - tax;
        var cost = slot.OpenCost * quantity / slot.Quantity;
        Cash += proceeds;
        slot.OpenCost -= cost;
        slot.TripProfit += proceeds - cost;
        slot.Quantity -= quantity;
        _tradedValue += value;
        _trades.Add(new Trade(_today, slot.Series.Code, TradeSide.Sell, price, quantity, commission, tax, note));
        if (slot.Quantity == 0)
        {
            _roundTrips++;
            if (slot.TripProfit > 0)
            {
                _wins++;
            }

            slot.OpenCost = 0;
            slot.TripProfit = 0;
        }
    }

    /// <summary>A stock that is not listed on the next session is sold at its latest close (no survivorship bias).</summary>
    private void ExitDelisted(DateOnly? nextSession)
    {
        if (nextSession is not { } next)
        {
            return;
        }

        foreach (var slot in _slots)
        {
            if (slot.Quantity > 0 && !slot.Stock.IsListedOn(next))
            {
                Sell(slot, slot.Quantity, slot.Series.Close[slot.Visible - 1], note: "delisted");
            }
        }
    }

    /// <summary>Null when the stock can trade today, else why not.</summary>
    private string? TradableReason(Slot slot)
    {
        if (!slot.Stock.IsListedOn(_today))
        {
            return RejectReasons.NotListed;
        }

        if (slot.Visible == 0 || slot.Series.Dates[slot.Visible - 1] != _today)
        {
            return RejectReasons.NoBar;
        }

        return slot.Series.Volume[slot.Visible - 1] <= 0 ? RejectReasons.Halted : null;
    }

    /// <summary>
    /// A day that traded at one price at the daily limit: buys cannot fill at limit-up, sells not at limit-down.
    /// Raw basis: the exact KRX limit price from the previous close; adjusted: within <see cref="AdjustedLockTolerance"/> of the limit.
    /// </summary>
    private bool IsLimitLocked(Slot slot, bool up)
    {
        var i = slot.Visible - 1;
        var s = slot.Series;
        if (i < 1 || s.Open[i] != s.High[i] || s.High[i] != s.Low[i] || s.Low[i] != s.Close[i])
        {
            return false;
        }

        var previous = s.Close[i - 1];
        if (previous <= 0)
        {
            return false;
        }

        var market = slot.Stock.Market;
        if (_settings.Basis == PriceBasis.Raw)
        {
            var (lower, upper) = KrxRules.PriceLimits(previous, market, _today);
            return up ? s.Close[i] >= upper : s.Close[i] <= lower;
        }

        var move = (s.Close[i] / previous) - 1;
        var limit = KrxRules.LimitRate(market, _today) * AdjustedLockTolerance;
        return up ? move >= limit : move <= -limit;
    }

    private static decimal BasePrice(Slot slot, bool atOpen) =>
        atOpen ? slot.Series.Open[slot.Visible - 1] : slot.Series.Close[slot.Visible - 1];

    /// <summary>The base price moved against the trade by the slippage ticks; on the tick grid when the basis is raw.</summary>
    private decimal FillPrice(Slot slot, decimal price, TradeSide side)
    {
        var market = slot.Stock.Market;
        for (var i = 0; i < _settings.SlippageTicks; i++)
        {
            var tick = KrxRules.TickSize(side == TradeSide.Buy ? price : Math.Max(0, price - 1), market, _today) ?? 1m;
            price = side == TradeSide.Buy ? price + tick : Math.Max(tick, price - tick);
        }

        if (_settings.Basis == PriceBasis.Raw)
        {
            price = side == TradeSide.Buy ? KrxRules.CeilingToTick(price, market, _today) : KrxRules.FloorToTick(price, market, _today);
        }

        return price;
    }

    private void Reject(StockCode code, OrderKind kind, string reason) => _rejected.Add(new RejectedOrder(_today, code, kind, reason));

    private BacktestMetrics ComputeMetrics() =>
        BacktestStatistics.Compute(_settings.InitialCash, _equity, _trades.Count, _roundTrips, _wins, _tradedValue, _sessionsInvested, _rejected.Count);

    private sealed class Slot(BarSeries series, Stock stock)
    {
        public BarSeries Series { get; } = series;

        public Stock Stock { get; } = stock;

        /// <summary>Bars dated on or before the current session.</summary>
        public int Visible { get; set; }

        public long Quantity { get; set; }

        /// <summary>Cost of the open position incl. buy commissions.</summary>
        public decimal OpenCost { get; set; }

        /// <summary>Realised profit of the current round trip (flat → flat).</summary>
        public decimal TripProfit { get; set; }
    }
}
