using KrxHub.Core.Validation;

namespace KrxHub.Core.Live;

/// <summary>
/// Builds one-minute bars from live trades. Each stock has at most one open bar, for the KST minute of its latest trade;
/// a trade in a later minute completes it, and <see cref="CompleteBefore"/> completes bars whose minute has ended on the
/// clock (a stock that stops trading). A trade in a minute that was already completed for its stock arrives too late and
/// is counted, not used: a completed bar is never reopened, so a stored bar is never replaced by a partial one.
/// Volume is the sum of the trades' quantities and value the sum of price × quantity. Not thread-safe.
/// </summary>
public sealed class MinuteBarBuilder
{
    private readonly Dictionary<StockCode, OpenBar> _open = [];
    private readonly Dictionary<StockCode, DateTimeOffset> _completedUpTo = [];

    /// <summary>Trades dropped because their minute was already complete.</summary>
    public long LateTrades { get; private set; }

    /// <summary>The number of bars currently open.</summary>
    public int OpenCount => _open.Count;

    /// <summary>The start of the KST minute that contains <paramref name="instant"/>.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset instant)
    {
        var kst = instant.ToOffset(KrxCalendar.KstOffset);
        return new DateTimeOffset(kst.Year, kst.Month, kst.Day, kst.Hour, kst.Minute, 0, KrxCalendar.KstOffset);
    }

    /// <summary>Adds one trade. Returns the stock's previous bar when this trade starts a new minute, else null.</summary>
    public MinuteBar? Add(LiveTick tick, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var minute = MinuteOf(tick.Time);
        if (_completedUpTo.TryGetValue(tick.Code, out var completed) && minute <= completed)
        {
            LateTrades++;
            return null;
        }

        if (!_open.TryGetValue(tick.Code, out var bar))
        {
            _open[tick.Code] = new OpenBar(tick, minute);
            return null;
        }

        if (minute < bar.Start)
        {
            LateTrades++;
            return null;
        }

        if (minute == bar.Start)
        {
            bar.Add(tick);
            return null;
        }

        _open[tick.Code] = new OpenBar(tick, minute);
        _completedUpTo[tick.Code] = bar.Start;
        return bar.ToMinuteBar(tick.Code, now);
    }

    /// <summary>Completes and removes every open bar whose minute started before <paramref name="minuteStart"/>.</summary>
    public IReadOnlyList<MinuteBar> CompleteBefore(DateTimeOffset minuteStart, DateTimeOffset now)
    {
        var done = new List<MinuteBar>();
        foreach (var (code, bar) in _open)
        {
            if (bar.Start < minuteStart)
            {
                done.Add(bar.ToMinuteBar(code, now));
            }
        }

        foreach (var bar in done)
        {
            _open.Remove(bar.Code);
            _completedUpTo[bar.Code] = bar.Start;
        }

        return done;
    }

    /// <summary>Completes and removes every open bar (the feed stops).</summary>
    public IReadOnlyList<MinuteBar> CompleteAll(DateTimeOffset now) => CompleteBefore(DateTimeOffset.MaxValue, now);

    /// <summary>
    /// Why a bar may not be stored, or an empty list: prices positive and on the market's tick grid for the bar's date,
    /// low ≤ open, close ≤ high, volume and value not negative.
    /// </summary>
    public static IReadOnlyList<string> Check(MinuteBar bar, Market market)
    {
        ArgumentNullException.ThrowIfNull(bar);
        var reasons = new List<string>();
        if (bar.Low <= 0m || bar.Open <= 0m || bar.High <= 0m || bar.Close <= 0m)
        {
            reasons.Add(ReasonCodes.NonPositivePrice);
        }
        else
        {
            if (bar.Low > Math.Min(bar.Open, bar.Close) || bar.High < Math.Max(bar.Open, bar.Close) || bar.Low > bar.High)
            {
                reasons.Add(ReasonCodes.OhlcInconsistent);
            }

            var date = KrxCalendar.KstDate(bar.Start);
            if (!KrxRules.IsOnTickGrid(bar.Open, market, date) || !KrxRules.IsOnTickGrid(bar.High, market, date) ||
                !KrxRules.IsOnTickGrid(bar.Low, market, date) || !KrxRules.IsOnTickGrid(bar.Close, market, date))
            {
                reasons.Add(ReasonCodes.OffTickGrid);
            }
        }

        if (bar.Volume < 0 || bar.TradingValue < 0m)
        {
            reasons.Add(ReasonCodes.NegativeVolume);
        }

        return reasons;
    }

    private sealed class OpenBar(LiveTick first, DateTimeOffset start)
    {
        private readonly string _source = first.Source;
        private readonly decimal _open = first.Price;
        private decimal _high = first.Price;
        private decimal _low = first.Price;
        private decimal _close = first.Price;
        private long _volume = first.Volume;
        private decimal _value = first.Price * first.Volume;

        public DateTimeOffset Start { get; } = start;

        public void Add(LiveTick tick)
        {
            _high = Math.Max(_high, tick.Price);
            _low = Math.Min(_low, tick.Price);
            _close = tick.Price;
            _volume += tick.Volume;
            _value += tick.Price * tick.Volume;
        }

        public MinuteBar ToMinuteBar(StockCode code, DateTimeOffset now) =>
            new(code, Start, _open, _high, _low, _close, _volume, _value, _source, now);
    }
}
