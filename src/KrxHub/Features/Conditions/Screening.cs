using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Conditions;
using KrxHub.Core.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>A screen's answer: the session it ran on, the universe, the matches with the values that decided them.</summary>
public sealed record ScreenResultDto(
    string Expression,
    DateOnly Date,
    string Basis,
    string? Live,
    int Universe,
    int Matched,
    int NotEnoughHistory,
    int WithoutBar,
    IReadOnlyList<ScreenMatchDto> Stocks);

public sealed record ScreenMatchDto(string Code, string Name, string Market, decimal Close, IReadOnlyDictionary<string, object?> Values);

/// <summary>
/// Today's live bars: the feed's name and each stock's last tick (its open, high, low, price and accumulated volume/value),
/// on top of the stored history the day's live evaluations share.
/// </summary>
public sealed record LiveBars(DateOnly Today, string Source, Func<StockCode, LiveTick?> LastTick, ConditionHistoryCache Histories);

/// <summary>
/// Ad-hoc screening of a condition over the whole listed universe on a stored session (shared by POST /api/screen and
/// `krxhub screen`): one bulk read of the bars, one of today's scalars and one per investor type the condition uses.
/// </summary>
public static class Screening
{
    /// <summary>Sessions loaded before the screened one at least, so that change and short windows always have history.</summary>
    public const int MinimumSessions = 30;

    public static async Task<ScreenResultDto> RunAsync(MarketStore store, KrxCalendar calendar, ConditionNode condition, string expression,
        Market? market, DateOnly? date, PriceBasis basis, DateOnly today, CancellationToken ct, LiveBars? live = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        if (live is not null)
        {
            var history = await live.Histories.GetAsync(condition, live.Today, basis, ct);
            var universe = TodayUniverse(history, live.Today, live.LastTick, market);
            if (universe.Universe.Count > 0)
            {
                return Answer(new ConditionEvaluator(universe.Universe, history), condition, expression, basis, universe.WithoutBar, live.Source);
            }
        }

        var day = date ?? await NewestBroadSessionAsync(store, basis, today, ct)
            ?? throw new ScreenException($"the store has no session on or before {today:yyyy-MM-dd} with {basis.Name()} bars for half the listed stocks; pass a date");
        var stored = await LoadAsync(store, calendar, condition, market, day, basis, ct);
        return Answer(new ConditionEvaluator(stored.Universe), condition, expression, basis, stored.WithoutBar, null);
    }

    /// <summary>
    /// The newest session on or before <paramref name="onOrBefore"/> with <paramref name="basis"/> bars for at least half the
    /// stocks listed then: one stock's newer file (a single-stock import) must not make a whole-market screen run on a day
    /// nobody else has.
    /// </summary>
    public static async Task<DateOnly?> NewestBroadSessionAsync(MarketStore store, PriceBasis basis, DateOnly onOrBefore, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var listed = (await store.GetAllStocksAsync(ct)).Count(s => s.IsListedOn(onOrBefore));
        return await store.GetLatestBroadSessionAsync(basis, onOrBefore, Math.Max(1, listed / 2), ct);
    }

    /// <summary>
    /// The basis conditions run on: adjusted where the store has a whole market of it, else raw (a store fed by raw
    /// collection only), whichever has the newer broad session (adjusted on a tie), with that session.
    /// </summary>
    public static async Task<(PriceBasis Basis, DateOnly? Newest)> BroadestBasisAsync(MarketStore store, DateOnly onOrBefore, CancellationToken ct)
    {
        var adjusted = await NewestBroadSessionAsync(store, PriceBasis.Adjusted, onOrBefore, ct);
        var raw = await NewestBroadSessionAsync(store, PriceBasis.Raw, onOrBefore, ct);
        return raw is { } r && (adjusted is not { } a || r > a) ? (PriceBasis.Raw, raw) : (PriceBasis.Adjusted, adjusted);
    }

    private static ScreenResultDto Answer(ConditionEvaluator evaluator, ConditionNode condition, string expression, PriceBasis basis, int withoutBar, string? live)
    {
        var universe = evaluator.Universe;
        var outcome = evaluator.Evaluate(condition);
        var stocks = outcome.Matches.Select(i =>
        {
            var stock = universe.Stocks[i];
            return new ScreenMatchDto(stock.Code.Value, stock.Name, stock.Market.Name(), universe.Bars[i].CloseAt(universe.Bars[i].Count - 1), ValuesOf(evaluator, outcome, i));
        }).ToList();
        return new ScreenResultDto(expression, universe.Date, basis.Name(), live, universe.Count + withoutBar, stocks.Count, outcome.NotEnoughHistory, withoutBar, stocks);
    }

    /// <summary>The universe listed on <paramref name="date"/> (one market or all) with its bars up to that session.</summary>
    public static async Task<(ScreenUniverse Universe, int WithoutBar)> LoadAsync(MarketStore store, KrxCalendar calendar, ConditionNode condition,
        Market? market, DateOnly date, PriceBasis basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        var from = SessionsBefore(calendar, date, WindowFor(condition));
        var series = (await store.GetBarSeriesAsync(basis, from, date, null, ct)).ToDictionary(s => s.Code);
        var today = (await store.GetBarsOnDateAsync(date, market, null, ct)).GroupBy(b => b.Code)
            .ToDictionary(g => g.Key, g => g.OrderBy(b => b.Basis == basis ? 0 : 1).ToList());
        var rows = new UniverseRows();
        foreach (var stock in await ListedAsync(store, date, market, ct))
        {
            if (!series.TryGetValue(stock.Code, out var s) || s.Count == 0 || s.LastDate != date)
            {
                rows.WithoutBar++;
                continue;
            }

            var stored = today.GetValueOrDefault(stock.Code) ?? [];
            rows.Add(stock, s, stored.Select(b => b.TradingValue).FirstOrDefault(v => v is not null),
                stored.Select(b => b.MarketCap).FirstOrDefault(v => v is not null),
                stored.Select(b => b.ListedShares).FirstOrDefault(v => v is not null) ?? stock.ListedShares);
        }

        return rows.Build(date, await FlowsAsync(store, Investors(condition), from, date, ct));
    }

    /// <summary>
    /// The history live evaluations on <paramref name="today"/> share: every stock listed today (all markets) with its stored
    /// bars before today, however old the newest of them is (none for a stock listed today), and the flows through today.
    /// </summary>
    public static async Task<ConditionHistory> LoadHistoryAsync(MarketStore store, KrxCalendar calendar, int window, IEnumerable<string> investors,
        DateOnly today, PriceBasis basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        var anchor = await store.GetLatestDateWithBarsAsync(basis, today.AddDays(-1), ct) ?? today.AddDays(-1);
        var from = SessionsBefore(calendar, anchor, window - 1);
        var series = (await store.GetBarSeriesAsync(basis, from, anchor, null, ct)).ToDictionary(s => s.Code);
        var stocks = await ListedAsync(store, today, null, ct);
        var flows = await FlowsAsync(store, investors, from, today, ct);
        return new ConditionHistory(new ScreenUniverse
        {
            Date = anchor,
            Stocks = stocks,
            Bars = [.. stocks.Select(s => series.GetValueOrDefault(s.Code) ?? new BarSeries(s.Code, basis, [], [], [], [], [], []))],
            TradingValue = new decimal?[stocks.Count],
            MarketCap = new decimal?[stocks.Count],
            ListedShares = [.. stocks.Select(s => s.ListedShares)],
            NetBuying = flows,
        }) { Basis = basis };
    }

    /// <summary>
    /// Today's universe for a live evaluation: the stocks of <paramref name="history"/> (of one market or all) that have a
    /// tick today, each with its bar today alone (open, high, low, price and accumulated volume of its last tick); the
    /// others are left out and counted.
    /// </summary>
    public static (ScreenUniverse Universe, int WithoutBar) TodayUniverse(ConditionHistory history, DateOnly today, Func<StockCode, LiveTick?> lastTick, Market? market)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(lastTick);
        // Today as a range of instants: comparing each tick's time with it is cheaper than converting it to a KST date.
        var dayStart = new DateTimeOffset(today.ToDateTime(TimeOnly.MinValue), KrxCalendar.KstOffset);
        var dayEnd = dayStart.AddDays(1);
        var traded = new List<(Stock Stock, LiveTick Tick)>();
        var withoutBar = 0;
        foreach (var stock in history.Universe.Stocks)
        {
            if (market is not null && stock.Market != market)
            {
                continue;
            }

            if (lastTick(stock.Code) is not { } tick || tick.Time < dayStart || tick.Time >= dayEnd)
            {
                withoutBar++;
                continue;
            }

            traded.Add((stock, tick));
        }

        // Today's bars as columns with one-bar views (a cycle runs several times a second; an on-tick pass holds a few stocks).
        var n = traded.Count;
        var (open, high, low, close, volume) = (new decimal[n], new decimal[n], new decimal[n], new decimal[n], new long[n]);
        var (stocks, codes, value, cap, shares) = (new Stock[n], new StockCode[n], new decimal?[n], new decimal?[n], new decimal?[n]);
        for (var k = 0; k < n; k++)
        {
            var (stock, tick) = traded[k];
            // A tick before the first trade of the day may carry no open/high/low yet: the price stands for all three.
            open[k] = tick.Open > 0m ? tick.Open : tick.Price;
            high[k] = Math.Max(tick.High, tick.Price);
            low[k] = tick.Low > 0m ? Math.Min(tick.Low, tick.Price) : tick.Price;
            close[k] = tick.Price;
            volume[k] = tick.AccVolume;
            (stocks[k], codes[k], value[k], shares[k]) = (stock, stock.Code, tick.AccValue, stock.ListedShares);
            cap[k] = stock.ListedShares is { } listedShares ? listedShares * tick.Price : null;
        }

        return (new ScreenUniverse
        {
            Date = today,
            Stocks = stocks,
            Bars = BarSeries.OneBarEach(codes, history.Basis, today, open, high, low, close, volume),
            TradingValue = value,
            MarketCap = cap,
            ListedShares = shares,
        }, withoutBar);
    }

    /// <summary>A universe's columns as its stocks are added, and how many stocks were left out for want of a bar.</summary>
    private sealed class UniverseRows
    {
        private readonly List<Stock> _stocks = [];
        private readonly List<BarSeries> _bars = [];
        private readonly List<decimal?> _value = [];
        private readonly List<decimal?> _cap = [];
        private readonly List<decimal?> _shares = [];

        public int WithoutBar { get; set; }

        public void Add(Stock stock, BarSeries bars, decimal? value, decimal? cap, decimal? shares)
        {
            _stocks.Add(stock);
            _bars.Add(bars);
            _value.Add(value);
            _cap.Add(cap);
            _shares.Add(shares);
        }

        public (ScreenUniverse Universe, int WithoutBar) Build(DateOnly date,
            IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>? netBuying) =>
            (new ScreenUniverse
            {
                Date = date,
                Stocks = _stocks,
                Bars = _bars,
                TradingValue = _value,
                MarketCap = _cap,
                ListedShares = _shares,
                NetBuying = netBuying ?? new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>(),
            }, WithoutBar);
    }

    /// <summary>The value of every field and function of the condition for stock <paramref name="i"/>, by its text.</summary>
    public static Dictionary<string, object?> ValuesOf(ConditionEvaluator evaluator, ScreenOutcome outcome, int i)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        return evaluator.ValuesOf(outcome, i).ToDictionary(v => v.Expression, v => v.Number as object ?? v.Text as object ?? v.Truth, StringComparer.Ordinal);
    }

    /// <summary>The sessions a condition loads: its deepest window plus two, and never fewer than <see cref="MinimumSessions"/>.</summary>
    public static int WindowFor(ConditionNode condition) => Math.Max(MinimumSessions, SessionsNeeded(condition) + 2);

    private static async Task<List<Stock>> ListedAsync(MarketStore store, DateOnly date, Market? market, CancellationToken ct) =>
        [.. (await store.GetAllStocksAsync(ct)).Where(s => s.IsListedOn(date) && (market is null || s.Market == market)).OrderBy(s => s.Code.Value, StringComparer.Ordinal)];

    private static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>> FlowsAsync(
        MarketStore store, IEnumerable<string> investors, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var flows = new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>();
        foreach (var investor in investors)
        {
            flows[investor] = await store.GetNetBuyingValueAsync(investor, from, to, ct);
        }

        return flows;
    }

    /// <summary>How many sessions of history the condition reads: windows add up through nesting; EMA-type functions get 4× their period to settle.</summary>
    public static int SessionsNeeded(ConditionNode node) => node switch
    {
        CallNode c => Own(c) + c.Arguments.Select(SessionsNeeded).DefaultIfEmpty(0).Max(),
        BinaryNode b => Math.Max(SessionsNeeded(b.Left), SessionsNeeded(b.Right)),
        BetweenNode b => new[] { b.Value, b.Low, b.High }.Max(SessionsNeeded),
        UnaryNode u => SessionsNeeded(u.Operand),
        _ => 1,
    };

    private static int Own(CallNode c)
    {
        var p = c.Parameters.Select(x => (int)x).ToArray();
        return c.Name switch
        {
            "ema" or "rsi" or "atr" => 4 * p[0],
            "macd" or "macd_signal" or "macd_hist" => 4 * (p[1] + p[2]),
            "cross_up" or "cross_down" => 1,
            _ => p.Length > 0 ? p[0] : 0,
        };
    }

    /// <summary>The investor types the condition's netbuy calls name.</summary>
    public static IEnumerable<string> Investors(ConditionNode node) => node switch
    {
        CallNode c => (c.Investor is { } i ? [i] : Array.Empty<string>()).Concat(c.Arguments.SelectMany(Investors)).Distinct(),
        BinaryNode b => Investors(b.Left).Concat(Investors(b.Right)).Distinct(),
        BetweenNode b => Investors(b.Value).Concat(Investors(b.Low)).Concat(Investors(b.High)).Distinct(),
        UnaryNode u => Investors(u.Operand),
        _ => [],
    };

    /// <summary>The session <paramref name="count"/> − 1 sessions before <paramref name="date"/> (or the calendar's first).</summary>
    private static DateOnly SessionsBefore(KrxCalendar calendar, DateOnly date, int count)
    {
        var d = date;
        for (var i = 1; i < count && calendar.PreviousSession(d) is { } previous; i++)
        {
            d = previous;
        }

        return d;
    }
}

/// <summary>A screen that cannot run (no data); shown as a 404 by the API and exit code 1 by the CLI.</summary>
public sealed class ScreenException(string message) : Exception(message);
