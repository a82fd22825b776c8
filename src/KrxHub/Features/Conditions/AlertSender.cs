using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>
/// Delivers the outbox: every pending alert that is due, at least once, with exponential backoff (2 s, 4 s, … capped at
/// 5 min) until it is sent or dead-lettered after <see cref="AlertSettings.MaxAttempts"/>. One node sends at a time (a
/// store lease); an alert is only marked sent after its channel accepted it, so a kill between the two sends it again
/// with the same idempotency key.
/// </summary>
public sealed class AlertSender(MarketStore store, AlertChannels channels, AlertSettings settings, TimeProvider time, ILogger<AlertSender> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>New alerts were written on this node: send now instead of at the next poll (on-tick alerts must arrive within 100 ms).</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Armed before the pass, so that a wake during it runs the next pass at once.
            var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _wake, wake);
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("alert sender: {Error}", e.Message);
            }

            // The poll covers alerts written by other nodes and retries that came due; a wake covers this node's new ones.
            await Task.WhenAny(wake.Task, Task.Delay(PollInterval, time, stoppingToken));
        }
    }

    /// <summary>One pass over the due alerts; returns how many were sent.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        await using var lease = await store.TryAcquireLeaseAsync("alerts:sender", ct);
        if (lease is null)
        {
            return 0;
        }

        var sent = 0;
        foreach (var alert in await store.GetDueAlertsAsync(time.GetUtcNow(), 100, ct))
        {
            try
            {
                await channels.SendAsync(alert, ct);
                await store.RecordAlertAttemptAsync(alert.Id, OutboxStatus.Sent, time.GetUtcNow(), null, time.GetUtcNow(), CancellationToken.None);
                sent++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var attempts = alert.Attempts + 1;
                var dead = attempts >= settings.MaxAttempts;
                var backoff = TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, attempts)));
                await store.RecordAlertAttemptAsync(alert.Id, dead ? OutboxStatus.Dead : OutboxStatus.Pending, time.GetUtcNow() + backoff,
                    e.Message.ReplaceLineEndings(" "), time.GetUtcNow(), CancellationToken.None);
                logger.LogWarning("alert {Key} over {Channel}: attempt {Attempt} failed{Dead}: {Error}", alert.IdempotencyKey, alert.Channel, attempts,
                    dead ? " (dead-lettered)" : string.Empty, e.Message);
            }
        }

        return sent;
    }
}
