using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>
/// The stored history live evaluations share, loaded once per day: a cycle during a session then reads no bars from the
/// store, only today's ticks (a whole-market load of the history took about a second and ran every cycle before).
/// Loaded again when the newest stored session before today changes (a collection or import landed), when a condition
/// needs a longer window or another investor type, or on another basis or day.
/// </summary>
public sealed class ConditionHistoryCache(MarketStore store, KrxCalendar calendar)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Loaded? _loaded;

    private sealed record Loaded(DateOnly Today, PriceBasis Basis, DateOnly? Anchor, int Window, IReadOnlySet<string> Investors, ConditionHistory History);

    public async Task<ConditionHistory> GetAsync(ConditionNode condition, DateOnly today, PriceBasis basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var window = Screening.WindowFor(condition);
        var investors = Screening.Investors(condition).ToHashSet(StringComparer.Ordinal);
        // The cheap max(date): a newer stored session before today means the history moved.
        var anchor = await store.GetLatestDateWithBarsAsync(basis, today.AddDays(-1), ct);
        await _gate.WaitAsync(ct);
        try
        {
            if (_loaded is { } l && l.Today == today && l.Basis == basis && l.Anchor == anchor && l.Window >= window && investors.IsSubsetOf(l.Investors))
            {
                return l.History;
            }

            // Keep what the previous load covered, so that conditions needing different windows do not reload in turn.
            var same = _loaded is { } p && p.Today == today && p.Basis == basis && p.Anchor == anchor ? p : null;
            window = Math.Max(window, same?.Window ?? 0);
            investors.UnionWith(same?.Investors ?? new HashSet<string>());
            var history = await Screening.LoadHistoryAsync(store, calendar, window, investors, today, basis, ct);
            _loaded = new Loaded(today, basis, anchor, window, investors, history);
            return history;
        }
        finally
        {
            _gate.Release();
        }
    }
}
