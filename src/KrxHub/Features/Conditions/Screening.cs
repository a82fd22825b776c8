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

/// <summary>Today's live bars: the feed's name and each stock's last tick (its open, high, low, price and accumulated volume/value).</summary>
public sealed record LiveBars(DateOnly Today, string Source, Func<StockCode, LiveTick?> LastTick);

/// <summary>The stored half of a live universe (<see cref="Screening.LoadHistoryAsync"/>): listed stocks, their series, investor flows.</summary>
public sealed record LiveHistory(DateOnly Date, PriceBasis Basis, IReadOnlyList<Stock> Stocks, IReadOnlyDictionary<StockCode, BarSeries> Series,
    IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>> NetBuying);

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
            var universe = await LoadAsync(store, calendar, condition, market, live.Today, basis, ct, live);
            if (universe.Universe.Count > 0)
            {
                return Answer(condition, expression, basis, universe, live.Source);
            }
        }

        var day = date ?? await NewestBroadSessionAsync(store, basis, today, ct)
            ?? throw new ScreenException($"the store has no session on or before {today:yyyy-MM-dd} with {basis.Name()} bars for half the listed stocks; pass a date");
        return Answer(condition, expression, basis, await LoadAsync(store, calendar, condition, market, day, basis, ct), null);
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

    private static ScreenResultDto Answer(ConditionNode condition, string expression, PriceBasis basis, (ScreenUniverse Universe, int WithoutBar) universe, string? live)
    {
        var day = universe.Universe.Date;
        var evaluator = new ConditionEvaluator(universe.Universe);
        var outcome = evaluator.Evaluate(condition);
        var stocks = outcome.Matches.Select(i =>
        {
            var stock = universe.Universe.Stocks[i];
            var values = ValuesOf(evaluator, outcome, i);
            return new ScreenMatchDto(stock.Code.Value, stock.Name, stock.Market.Name(), universe.Universe.Bars[i].CloseAt(universe.Universe.Bars[i].Count - 1), values);
        }).ToList();
        return new ScreenResultDto(expression, day, basis.Name(), live, universe.Universe.Count + universe.WithoutBar, stocks.Count, outcome.NotEnoughHistory, universe.WithoutBar, stocks);
    }

    /// <summary>The universe listed on <paramref name="date"/> (one market or all) with its bars up to that session.</summary>
    /// <remarks>
    /// With <paramref name="live"/>, today's bar of each stock is its live bar (the stored bars before today, then open, high,
    /// low, price and accumulated volume of its last tick today); a stock without a tick today is left out and counted.
    /// </remarks>
    public static async Task<(ScreenUniverse Universe, int WithoutBar)> LoadAsync(MarketStore store, KrxCalendar calendar, ConditionNode condition,
        Market? market, DateOnly date, PriceBasis basis, CancellationToken ct, LiveBars? live = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        if (live is not null)
        {
            return WithLiveBars(await LoadHistoryAsync(store, calendar, condition, market, date, basis, ct), live.LastTick);
        }

        var from = SessionsBefore(calendar, date, Math.Max(MinimumSessions, SessionsNeeded(condition) + 2));
        var series = (await store.GetBarSeriesAsync(basis, from, date, null, ct)).ToDictionary(s => s.Code);
        var today = (await store.GetBarsOnDateAsync(date, market, null, ct)).GroupBy(b => b.Code)
            .ToDictionary(g => g.Key, g => g.OrderBy(b => b.Basis == basis ? 0 : 1).ToList());
        var stocks = new List<Stock>();
        var bars = new List<BarSeries>();
        var value = new List<decimal?>();
        var cap = new List<decimal?>();
        var shares = new List<decimal?>();
        var withoutBar = 0;
        foreach (var stock in await ListedAsync(store, date, market, ct))
        {
            if (!series.TryGetValue(stock.Code, out var s) || s.Count == 0 || s.LastDate != date)
            {
                withoutBar++;
                continue;
            }

            stocks.Add(stock);
            bars.Add(s);
            var rows = today.GetValueOrDefault(stock.Code) ?? [];
            value.Add(rows.Select(b => b.TradingValue).FirstOrDefault(v => v is not null));
            cap.Add(rows.Select(b => b.MarketCap).FirstOrDefault(v => v is not null));
            shares.Add(rows.Select(b => b.ListedShares).FirstOrDefault(v => v is not null) ?? stock.ListedShares);
        }

        return (new ScreenUniverse
        {
            Date = date,
            Stocks = stocks,
            Bars = bars,
            TradingValue = value,
            MarketCap = cap,
            ListedShares = shares,
            NetBuying = await FlowsAsync(store, condition, from, date, ct),
        }, withoutBar);
    }

    /// <summary>
    /// The stored half of a live universe for <paramref name="date"/>: the stocks listed then, their bars of the sessions
    /// before it (however old the newest of them is) and the investor flows the condition uses. Loaded once, it is joined with
    /// the live ticks by <see cref="WithLiveBars"/> as often as they change (a condition replay evaluates a whole day on one).
    /// </summary>
    public static async Task<LiveHistory> LoadHistoryAsync(MarketStore store, KrxCalendar calendar, ConditionNode condition,
        Market? market, DateOnly date, PriceBasis basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        var anchor = await store.GetLatestDateWithBarsAsync(basis, date.AddDays(-1), ct) ?? date;
        var from = SessionsBefore(calendar, anchor, Math.Max(MinimumSessions, SessionsNeeded(condition) + 2) - 1);
        var series = (await store.GetBarSeriesAsync(basis, from, date, null, ct)).ToDictionary(s => s.Code);
        return new LiveHistory(date, basis, await ListedAsync(store, date, market, ct), series, await FlowsAsync(store, condition, from, date, ct));
    }

    /// <summary>The universe of the stocks with a tick on the history's date, each with its live bar appended; the others are counted.</summary>
    public static (ScreenUniverse Universe, int WithoutBar) WithLiveBars(LiveHistory history, Func<StockCode, LiveTick?> lastTick)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(lastTick);
        var stocks = new List<Stock>();
        var bars = new List<BarSeries>();
        var value = new List<decimal?>();
        var cap = new List<decimal?>();
        var shares = new List<decimal?>();
        var withoutBar = 0;
        foreach (var stock in history.Stocks)
        {
            if (lastTick(stock.Code) is not { } tick || KrxCalendar.KstDate(tick.Time) != history.Date)
            {
                withoutBar++;
                continue;
            }

            stocks.Add(stock);
            bars.Add(WithLiveBar(stock.Code, history.Basis, history.Series.GetValueOrDefault(stock.Code), history.Date, tick));
            value.Add(tick.AccValue);
            shares.Add(stock.ListedShares);
            cap.Add(stock.ListedShares is { } listedShares ? listedShares * tick.Price : null);
        }

        return (new ScreenUniverse
        {
            Date = history.Date,
            Stocks = stocks,
            Bars = bars,
            TradingValue = value,
            MarketCap = cap,
            ListedShares = shares,
            NetBuying = history.NetBuying,
        }, withoutBar);
    }

    /// <summary>The value of every field and function of the condition for stock <paramref name="i"/>, by its text.</summary>
    public static Dictionary<string, object?> ValuesOf(ConditionEvaluator evaluator, ScreenOutcome outcome, int i)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        return evaluator.ValuesOf(outcome, i).ToDictionary(v => v.Expression, v => v.Number as object ?? v.Text as object ?? v.Truth, StringComparer.Ordinal);
    }

    private static async Task<List<Stock>> ListedAsync(MarketStore store, DateOnly date, Market? market, CancellationToken ct) =>
        [.. (await store.GetAllStocksAsync(ct)).Where(s => s.IsListedOn(date) && (market is null || s.Market == market)).OrderBy(s => s.Code.Value, StringComparer.Ordinal)];

    private static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>> FlowsAsync(
        MarketStore store, ConditionNode condition, DateOnly from, DateOnly date, CancellationToken ct)
    {
        var flows = new Dictionary<string, IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>>();
        foreach (var investor in Investors(condition))
        {
            flows[investor] = await store.GetNetBuyingValueAsync(investor, from, date, ct);
        }

        return flows;
    }

    /// <summary>The stored bars before <paramref name="date"/>, then today's live bar.</summary>
    private static BarSeries WithLiveBar(StockCode code, PriceBasis basis, BarSeries? stored, DateOnly date, LiveTick tick)
    {
        var keep = stored is null ? 0 : stored.CountOnOrBefore(date.AddDays(-1));
        T[] Append<T>(ReadOnlySpan<T> column, T last)
        {
            var values = new T[keep + 1];
            column[..keep].CopyTo(values);
            values[keep] = last;
            return values;
        }

        var empty = stored ?? new BarSeries(code, basis, [], [], [], [], [], []);
        // A tick before the first trade of the day may carry no open/high/low yet: the price stands for all three.
        var open = tick.Open > 0m ? tick.Open : tick.Price;
        return new BarSeries(code, basis, Append(empty.DateColumn, date), Append(empty.OpenColumn, open),
            Append(empty.HighColumn, Math.Max(tick.High, tick.Price)), Append(empty.LowColumn, tick.Low > 0m ? Math.Min(tick.Low, tick.Price) : tick.Price),
            Append(empty.CloseColumn, tick.Price), Append(empty.VolumeColumn, tick.AccVolume));
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

    private static IEnumerable<string> Investors(ConditionNode node) => node switch
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
