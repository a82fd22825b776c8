using KrxHub.Core;

namespace KrxHub.Features.Live;

/// <summary>
/// The codes that traded since the last <see cref="TakeNow"/>: what an on-tick condition pass re-evaluates. A set, not a
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

    /// <summary>Waits up to <paramref name="timeout"/> (infinite: −1 ms) for a trade since the last take; takes nothing.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _arrived.WaitAsync(timeout, ct);

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
