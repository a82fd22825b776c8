using KrxHub.Core;

namespace KrxHub.Features.Live;

/// <summary>
/// The live hub's third part: when clients are written to. Heartbeats go to every client each
/// <see cref="LiveOptions.HeartbeatInterval"/>; a busy client's writer wakes in send rounds (see
/// <see cref="LiveOptions.SendInterval"/>) instead of once per message.
/// </summary>
public sealed class LiveSendPacer(LiveSubscriptions subscriptions, LiveBus bus, TimeProvider time, LiveOptions options) : BackgroundService
{
    private readonly LiveSubscriptions _subscriptions = subscriptions;
    private readonly LiveBus _bus = bus;
    private readonly TimeProvider _time = time;
    private readonly LiveOptions _options = options;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SendHeartbeatsAsync(stoppingToken), RunSendRoundsAsync(stoppingToken));

    /// <summary>
    /// Wakes the writers of deferred clients once their send interval since their last send has passed. Rounds run four
    /// times per interval and wake only the clients that are due, so that the writes spread over the interval instead of
    /// all clients waking at once (a thousand writers woken together queue behind each other for milliseconds).
    /// </summary>
    private async Task RunSendRoundsAsync(CancellationToken ct)
    {
        if (_options.SendInterval <= TimeSpan.Zero)
        {
            return;
        }

        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, _options.SendInterval.Ticks / 4));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                // Each client queued before this round is looked at once: woken when due (or due before the next
                // round), otherwise queued again for a later round.
                for (var n = _subscriptions.SendRound.Count; n > 0 && _subscriptions.SendRound.TryDequeue(out var client); n--)
                {
                    if (client.DueForSend(early: period / 2))
                    {
                        client.WakeWriter();
                    }
                    else
                    {
                        _subscriptions.SendRound.Enqueue(client);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendHeartbeatsAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var message = LiveMessages.Heartbeat(_time.GetUtcNow().ToOffset(KrxCalendar.KstOffset), _bus.SourceStatus);
                foreach (var client in _subscriptions.Clients)
                {
                    client.Offer(LiveClient.HeartbeatSlot, 0, message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
