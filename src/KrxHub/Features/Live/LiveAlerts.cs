namespace KrxHub.Features.Live;

/// <summary>
/// The subscribers of the <c>alerts</c> channel, beside the bus (<see cref="LiveBus.Alerts"/>). Each message carries every
/// entry and exit written since the previous one. Like every channel, a client that falls behind keeps only the latest
/// message: the event ids let it fetch what it missed from GET /api/conditions/{id}/results. Subscriber lists change under
/// <see cref="LiveBus.Registry"/>.
/// </summary>
public sealed class LiveAlerts
{
    private Subscriber[] _subscribers = [];

    public int Subscribers => Volatile.Read(ref _subscribers).Length;

    public void Publish(IReadOnlyList<Storage.ConditionEventWithName> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var subscribers = Volatile.Read(ref _subscribers);
        if (events.Count == 0 || subscribers.Length == 0)
        {
            return;
        }

        var message = LiveMessages.Alerts(events);
        foreach (var subscriber in subscribers)
        {
            subscriber.Offer(message);
        }
    }

    /// <summary>Under <see cref="LiveBus.Registry"/>.</summary>
    internal void Add(Subscriber subscriber) => Volatile.Write(ref _subscribers, [.. _subscribers, subscriber]);

    /// <summary>Under <see cref="LiveBus.Registry"/>.</summary>
    internal void Remove(LiveClient client) => Volatile.Write(ref _subscribers, [.. _subscribers.Where(s => s.Client != client)]);
}
