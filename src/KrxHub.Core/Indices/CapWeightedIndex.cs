using KrxHub.Core.Live;

namespace KrxHub.Core.Indices;

/// <summary>
/// A capitalisation-weighted index over live prices, as KRX computes KOSPI and KOSDAQ (simplified: full listed shares, no
/// float adjustment): level = base level × Σ shares × price / Σ shares × base price, with every constituent at its base
/// price until it trades. The base level is the index's last stored close and the base prices are the closes the prices
/// walk from, so the level starts exactly at the stored close. On a new KST date the last level becomes the previous
/// close the change is measured against. Not thread-safe: the feed that owns it drives it.
/// </summary>
public sealed class CapWeightedIndex
{
    private readonly Dictionary<StockCode, (long Shares, decimal Price)> _constituents;
    private readonly decimal _baseCap;
    private readonly decimal _baseLevel;
    private decimal _cap;
    private DateOnly _date;
    private decimal _open;
    private decimal _high;
    private decimal _low;

    /// <param name="constituents">Each stock's listed shares and base price (its previous close); entries without shares or price are left out.</param>
    public CapWeightedIndex(string indexCode, decimal baseLevel, IEnumerable<(StockCode Code, long Shares, decimal BasePrice)> constituents, DateOnly date)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(indexCode);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseLevel);
        ArgumentNullException.ThrowIfNull(constituents);
        IndexCode = indexCode;
        _constituents = constituents.Where(c => c.Shares > 0 && c.BasePrice > 0).DistinctBy(c => c.Code).ToDictionary(c => c.Code, c => (c.Shares, c.BasePrice));
        if (_constituents.Count == 0)
        {
            throw new ArgumentException("an index needs at least one constituent with listed shares and a price", nameof(constituents));
        }

        _baseCap = _constituents.Values.Sum(c => c.Shares * c.Price);
        _cap = _baseCap;
        _baseLevel = baseLevel;
        PreviousClose = baseLevel;
        _date = date;
        _open = _high = _low = 0;
    }

    public string IndexCode { get; }

    public int Constituents => _constituents.Count;

    /// <summary>The level now: base level × cap / base cap, rounded to KRX's two decimals.</summary>
    public decimal Level => Math.Round(_baseLevel * _cap / _baseCap, 2, MidpointRounding.AwayFromZero);

    /// <summary>The close the change is measured against: the base level, then the last level of the previous KST date.</summary>
    public decimal PreviousClose { get; private set; }

    /// <summary>Moves a constituent to the tick's price; false when the stock is not a constituent.</summary>
    public bool Apply(LiveTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        if (!_constituents.TryGetValue(tick.Code, out var c))
        {
            return false;
        }

        var date = DateOnly.FromDateTime(tick.Time.ToOffset(KrxCalendar.KstOffset).DateTime);
        if (date > _date)
        {
            PreviousClose = Level;
            _date = date;
            _open = _high = _low = 0;
        }

        _cap += c.Shares * (tick.Price - c.Price);
        _constituents[tick.Code] = (c.Shares, tick.Price);
        var level = Level;
        if (_open == 0)
        {
            _open = _high = _low = level;
        }

        _high = Math.Max(_high, level);
        _low = Math.Min(_low, level);
        return true;
    }

    /// <summary>The level as a live event of <paramref name="source"/> at <paramref name="time"/>.</summary>
    public LiveIndexLevel Snapshot(DateTimeOffset time, string source)
    {
        var level = Level;
        var change = level - PreviousClose;
        return new LiveIndexLevel(IndexCode, time, source, level, change, Math.Round(change * 100 / PreviousClose, 2, MidpointRounding.AwayFromZero),
            _open == 0 ? null : _open, _high == 0 ? null : _high, _low == 0 ? null : _low, null, null);
    }
}
