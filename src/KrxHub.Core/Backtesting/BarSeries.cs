namespace KrxHub.Core.Backtesting;

/// <summary>
/// The daily bars of one stock on one price basis, ascending by date, stored column-wise so the whole market fits in
/// a few arrays. A bar with zero volume (or flagged no-trade) is a halt: it carries its close but nothing fills on it.
/// </summary>
public sealed class BarSeries
{
    // The columns may be longer than the series: a slice shares its source's arrays and sees [_start, _start + Count).
    private readonly DateOnly[] _dates;
    private readonly decimal[] _open;
    private readonly decimal[] _high;
    private readonly decimal[] _low;
    private readonly decimal[] _close;
    private readonly long[] _volume;
    private readonly int _start;

    public BarSeries(StockCode code, PriceBasis basis, DateOnly[] dates, decimal[] open, decimal[] high, decimal[] low, decimal[] close, long[] volume)
    {
        ArgumentNullException.ThrowIfNull(dates);
        ArgumentNullException.ThrowIfNull(open);
        ArgumentNullException.ThrowIfNull(high);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(close);
        ArgumentNullException.ThrowIfNull(volume);
        var n = dates.Length;
        if (open.Length != n || high.Length != n || low.Length != n || close.Length != n || volume.Length != n)
        {
            throw new ArgumentException($"{code}: every column needs {n} values");
        }

        for (var i = 1; i < n; i++)
        {
            if (dates[i] <= dates[i - 1])
            {
                throw new ArgumentException($"{code}: bars must be strictly ascending by date ({dates[i - 1]:yyyy-MM-dd} then {dates[i]:yyyy-MM-dd})");
            }
        }

        Code = code;
        Basis = basis;
        (_dates, _open, _high, _low, _close, _volume) = (dates, open, high, low, close, volume);
        Count = n;
    }

    /// <summary>A view of elements [start, start + count) of columns already checked (a slice, or <see cref="OneBarEach"/>).</summary>
    private BarSeries(StockCode code, PriceBasis basis, DateOnly[] dates, decimal[] open, decimal[] high, decimal[] low, decimal[] close, long[] volume,
        int start, int count)
    {
        Code = code;
        Basis = basis;
        (_dates, _open, _high, _low, _close, _volume) = (dates, open, high, low, close, volume);
        _start = start;
        Count = count;
    }

    /// <summary>
    /// One bar per stock on one date, series i being element i of the shared columns: a live condition cycle builds one
    /// for every stock that traded, several times a second, so it allocates one object per stock instead of seven.
    /// </summary>
    /// <exception cref="ArgumentException">A column is shorter than <paramref name="codes"/>.</exception>
    public static BarSeries[] OneBarEach(IReadOnlyList<StockCode> codes, PriceBasis basis, DateOnly date,
        decimal[] open, decimal[] high, decimal[] low, decimal[] close, long[] volume)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var n = codes.Count;
        if (open.Length < n || high.Length < n || low.Length < n || close.Length < n || volume.Length < n)
        {
            throw new ArgumentException($"every column needs at least {n} values");
        }

        var dates = new DateOnly[n];
        Array.Fill(dates, date);
        var series = new BarSeries[n];
        for (var i = 0; i < n; i++)
        {
            series[i] = new BarSeries(codes[i], basis, dates, open, high, low, close, volume, i, 1);
        }

        return series;
    }

    public StockCode Code { get; }

    public PriceBasis Basis { get; }

    public int Count { get; }

    internal ReadOnlySpan<DateOnly> Dates => _dates.AsSpan(_start, Count);

    internal ReadOnlySpan<decimal> Open => _open.AsSpan(_start, Count);

    internal ReadOnlySpan<decimal> High => _high.AsSpan(_start, Count);

    internal ReadOnlySpan<decimal> Low => _low.AsSpan(_start, Count);

    internal ReadOnlySpan<decimal> Close => _close.AsSpan(_start, Count);

    internal ReadOnlySpan<long> Volume => _volume.AsSpan(_start, Count);

    public DateOnly FirstDate => Dates[0];

    public DateOnly LastDate => Dates[^1];

    public DateOnly DateAt(int index) => Dates[index];

    public decimal OpenAt(int index) => Open[index];

    public decimal CloseAt(int index) => Close[index];

    public long VolumeAt(int index) => Volume[index];

    /// <summary>Whole columns, read-only, for storage codecs (strategies see bars through <see cref="BarHistory"/>).</summary>
    public ReadOnlySpan<DateOnly> DateColumn => Dates;

    public ReadOnlySpan<decimal> OpenColumn => Open;

    public ReadOnlySpan<decimal> HighColumn => High;

    public ReadOnlySpan<decimal> LowColumn => Low;

    public ReadOnlySpan<decimal> CloseColumn => Close;

    public ReadOnlySpan<long> VolumeColumn => Volume;

    /// <summary>Builds a series from bars of one stock and basis (any order). No-trade bars keep volume 0.</summary>
    public static BarSeries FromBars(IEnumerable<DailyBar> bars)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var sorted = bars.OrderBy(b => b.Date).ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("a series needs at least one bar", nameof(bars));
        }

        var code = sorted[0].Code;
        var basis = sorted[0].Basis;
        if (sorted.Any(b => b.Code != code || b.Basis != basis))
        {
            throw new ArgumentException("a series holds one stock on one price basis", nameof(bars));
        }

        return new BarSeries(
            code,
            basis,
            [.. sorted.Select(b => b.Date)],
            [.. sorted.Select(b => b.Open)],
            [.. sorted.Select(b => b.High)],
            [.. sorted.Select(b => b.Low)],
            [.. sorted.Select(b => b.Close)],
            [.. sorted.Select(b => b.NoTrade ? 0 : b.Volume)]);
    }

    /// <summary>The number of bars dated on or before <paramref name="date"/>.</summary>
    public int CountOnOrBefore(DateOnly date)
    {
        var i = Dates.BinarySearch(date);
        return i >= 0 ? i + 1 : ~i;
    }

    /// <summary>
    /// The bars in [from, to]: a view sharing this series' arrays (no copy: a whole-market backtest slices ~1M held bars
    /// per run), or this series when it lies entirely inside.
    /// </summary>
    public BarSeries Slice(DateOnly from, DateOnly to)
    {
        // DateOnly.MinValue (all history, e.g. rsi-reversion's warm-up) has no day before it.
        var start = from == DateOnly.MinValue ? 0 : CountOnOrBefore(from.AddDays(-1));
        var end = CountOnOrBefore(to);
        var length = Math.Max(0, end - start);
        if (start == 0 && length == Count)
        {
            return this; // immutable, so the whole series can be shared
        }

        return new BarSeries(Code, Basis, _dates, _open, _high, _low, _close, _volume, _start + start, length);
    }

    /// <summary>A copy with bar <paramref name="index"/> replaced (tests use it to prove that the future cannot leak).</summary>
    public BarSeries WithBar(int index, decimal open, decimal high, decimal low, decimal close, long volume)
    {
        var o = Open.ToArray();
        var h = High.ToArray();
        var l = Low.ToArray();
        var c = Close.ToArray();
        var v = Volume.ToArray();
        (o[index], h[index], l[index], c[index], v[index]) = (open, high, low, close, volume);
        return new BarSeries(Code, Basis, Dates.ToArray(), o, h, l, c, v);
    }
}

/// <summary>
/// What a strategy sees of one stock on a session: its bars up to and including that session, never later ones.
/// Index 0 is the oldest loaded bar; <see cref="Count"/> - 1 is the latest.
/// </summary>
public readonly struct BarHistory
{
    private readonly BarSeries? _series;

    internal BarHistory(BarSeries series, int count)
    {
        _series = series;
        Count = count;
    }

    public StockCode Code => Series.Code;

    public int Count { get; }

    public bool IsEmpty => Count == 0;

    public DateOnly Date(int index) => Series.Dates[Check(index)];

    public decimal Open(int index) => Series.Open[Check(index)];

    public decimal High(int index) => Series.High[Check(index)];

    public decimal Low(int index) => Series.Low[Check(index)];

    public decimal Close(int index) => Series.Close[Check(index)];

    public long Volume(int index) => Series.Volume[Check(index)];

    /// <summary>The closes up to and including the current session.</summary>
    public ReadOnlySpan<decimal> Closes => _series is null ? [] : _series.Close[..Count];

    public ReadOnlySpan<decimal> Highs => _series is null ? [] : _series.High[..Count];

    public ReadOnlySpan<decimal> Lows => _series is null ? [] : _series.Low[..Count];

    public DateOnly? LastDate => Count == 0 ? null : Series.Dates[Count - 1];

    public decimal? LastClose => Count == 0 ? null : Series.Close[Count - 1];

    private BarSeries Series => _series ?? throw new InvalidOperationException("no bars");

    private int Check(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"only bars 0..{Count - 1} are visible on this session");
        }

        return index;
    }
}
