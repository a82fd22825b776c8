using KrxHub.Core;
using KrxHub.Core.Backtesting;

namespace KrxHub.Storage;

/// <summary>
/// The decoded whole-market series of each basis as of a bar-series cache generation (SQLite). A warm hub's next
/// whole-market read (a backtest from the dashboard, a condition's history) slices it instead of decoding 2,800 blobs
/// again (0.25–0.3 s for the bundled 986k bars). A promotion bumps the generation, so a changed store is never served
/// from it. It is let go <see cref="Hold"/> after its last use, and a market of more than <see cref="MaxBars"/> bars
/// (about 76 bytes each decoded) is not held at all.
/// </summary>
internal sealed class DecodedSeriesMemo : IDisposable
{
    public static readonly TimeSpan Hold = TimeSpan.FromMinutes(10);

    public const long MaxBars = 4_000_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<PriceBasis, (long Generation, IReadOnlyList<BarSeries> Whole)> _held = [];
    private readonly ITimer _release;

    public DecodedSeriesMemo(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _release = time.CreateTimer(_ => Release(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The whole market of <paramref name="basis"/> decoded at <paramref name="generation"/>, if it is held.</summary>
    public IReadOnlyList<BarSeries>? Get(PriceBasis basis, long generation)
    {
        lock (_gate)
        {
            if (!_held.TryGetValue(basis, out var held) || held.Generation != generation)
            {
                return null;
            }

            _release.Change(Hold, Timeout.InfiniteTimeSpan);
            return held.Whole;
        }
    }

    /// <summary>Holds <paramref name="whole"/> (every stock's whole history) as the market of <paramref name="basis"/> at <paramref name="generation"/>.</summary>
    public void Keep(PriceBasis basis, long generation, IReadOnlyList<BarSeries> whole)
    {
        ArgumentNullException.ThrowIfNull(whole);
        if (whole.Sum(s => (long)s.Count) > MaxBars)
        {
            return;
        }

        lock (_gate)
        {
            _held[basis] = (generation, whole);
            _release.Change(Hold, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>How many bases are held (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    public void Dispose() => _release.Dispose();

    private void Release()
    {
        lock (_gate)
        {
            _held.Clear();
        }
    }
}
