using KrxHub.Core.Indices;

namespace KrxHub.Features.Live;

/// <summary>
/// The live index levels and the subscribers of the <c>indices</c> channel, beside the bus (<see cref="LiveBus.Indices"/>).
/// Index levels are few and slow (one per index per second at most from the simulator, Kiwoom 0J as sent), so they bypass
/// the per-stock inbox: each new level rebuilds the one message holding every index's latest level and offers it to every
/// subscriber at once. Subscriber lists change under <see cref="LiveBus.Registry"/>, like the bus's.
/// </summary>
public sealed class LiveIndices
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, LiveIndexLevel> _levels = new(StringComparer.Ordinal);
    private Subscriber[] _subscribers = [];
    private byte[]? _message;

    /// <summary>The message every subscriber gets on subscribing: the latest levels, or null before the first.</summary>
    internal byte[]? Message => Volatile.Read(ref _message);

    /// <summary>The latest live level of each index, by code.</summary>
    public IReadOnlyDictionary<string, LiveIndexLevel> Levels
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, LiveIndexLevel>(_levels);
            }
        }
    }

    public void Publish(LiveIndexLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        byte[] message;
        lock (_gate)
        {
            // An older level (a reordered event) never replaces a newer one.
            if (_levels.TryGetValue(level.IndexCode, out var held) && held.Time > level.Time)
            {
                return;
            }

            _levels[level.IndexCode] = level;
            message = LiveMessages.Indices([.. _levels.Values]);
            Volatile.Write(ref _message, message);
        }

        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Offer(message);
        }
    }

    /// <summary>Under <see cref="LiveBus.Registry"/>.</summary>
    internal void Add(Subscriber subscriber) => Volatile.Write(ref _subscribers, [.. _subscribers, subscriber]);

    /// <summary>Under <see cref="LiveBus.Registry"/>.</summary>
    internal void Remove(LiveClient client) => Volatile.Write(ref _subscribers, [.. _subscribers.Where(s => s.Client != client)]);
}
