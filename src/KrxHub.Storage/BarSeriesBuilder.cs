using KrxHub.Core;
using KrxHub.Core.Backtesting;

namespace KrxHub.Storage;

/// <summary>Collects rows ordered by (code, date) into one <see cref="BarSeries"/> per stock, reusing its buffers.</summary>
internal sealed class BarSeriesBuilder(PriceBasis basis)
{
    private readonly List<BarSeries> _series = [];
    private readonly List<DateOnly> _dates = new(1024);
    private readonly List<decimal> _open = new(1024);
    private readonly List<decimal> _high = new(1024);
    private readonly List<decimal> _low = new(1024);
    private readonly List<decimal> _close = new(1024);
    private readonly List<long> _volume = new(1024);
    private StockCode? _code;

    public StockCode? CurrentCode => _code;

    public void StartStock(StockCode code)
    {
        Flush();
        _code = code;
    }

    public void Add(DateOnly date, decimal open, decimal high, decimal low, decimal close, long volume, bool noTrade)
    {
        _dates.Add(date);
        _open.Add(open);
        _high.Add(high);
        _low.Add(low);
        _close.Add(close);
        _volume.Add(noTrade ? 0 : volume);
    }

    public IReadOnlyList<BarSeries> Finish()
    {
        Flush();
        return _series;
    }

    private void Flush()
    {
        if (_code is { } code && _dates.Count > 0)
        {
            _series.Add(new BarSeries(code, basis, [.. _dates], [.. _open], [.. _high], [.. _low], [.. _close], [.. _volume]));
        }

        _dates.Clear();
        _open.Clear();
        _high.Clear();
        _low.Clear();
        _close.Clear();
        _volume.Clear();
    }
}
