using KrxHub.Core;

namespace KrxHub.Features.Live;

/// <summary>
/// The codes that traded since the last <see cref="TakeAsync"/>: what an on-tick condition pass re-evaluates. A set, not a
/// queue, so a burst of ticks for one stock costs one evaluation; recorded only while <see cref="Enabled"/> (the condition
/// scheduler turns it on when an active on-tick condition exists), so the live path pays nothing otherwise.
/// </summary>
public sealed class TickedCodes
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _arrived = new(0, 1);
    private HashSet<StockCode> _codes = [];

    public volatile bool Enabled;

    internal void Add(StockCode code)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_gate)
        {
            if (_codes.Add(code) && _codes.Count == 1 && _arrived.CurrentCount == 0)
            {
                _arrived.Release();
            }
        }
    }

    /// <summary>Waits until at least one stock has traded, then returns the traded set and starts a new one.</summary>
    public async Task<IReadOnlySet<StockCode>> TakeAsync(CancellationToken ct)
    {
        await _arrived.WaitAsync(ct);
        return TakeNow();
    }

    /// <summary>The codes traded so far (possibly none), starting a new set.</summary>
    public IReadOnlySet<StockCode> TakeNow()
    {
        lock (_gate)
        {
            var taken = _codes;
            _codes = [];
            return taken;
        }
    }
}
