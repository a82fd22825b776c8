using System.Collections.Concurrent;

namespace KrxHub.Features.Bars;

/// <summary>
/// Serialized bar responses, kept for a short time. A stock's history is read far more often than it
/// changes, and serializing a year of bars costs far more than the request itself. Entries live at most
/// <see cref="TimeToLive"/>, so an import by the CLI or by another node shows within that time; in-process
/// writers can call <see cref="Clear"/> to show it at once.
/// </summary>
public sealed class BarsResponseCache(TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(2);
    private const int MaxEntries = 20_000;

    private readonly ConcurrentDictionary<string, (byte[] Json, DateTimeOffset At)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string key, out byte[] json)
    {
        if (_entries.TryGetValue(key, out var entry) && time.GetUtcNow() - entry.At < TimeToLive)
        {
            json = entry.Json;
            return true;
        }

        json = [];
        return false;
    }

    public void Set(string key, byte[] json)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[key] = (json, time.GetUtcNow());
    }

    public void Clear() => _entries.Clear();
}
