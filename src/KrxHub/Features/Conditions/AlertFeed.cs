using KrxHub.Features.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>
/// Feeds the /ws <c>alerts</c> channel of this node from the store: every second, the entries and exits written since the
/// last pass, whichever node evaluated them. It starts from the newest event at startup (history is in the API).
/// </summary>
public sealed class AlertFeed(MarketStore store, LiveBus bus, TimeProvider time, ILogger<AlertFeed> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long? _lastId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("alert feed: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: publishes what was written since the previous pass; returns how many events.</summary>
    public async Task<int> PollAsync(CancellationToken ct)
    {
        // One pass at a time: two would both read past the same id and publish its events twice.
        await _gate.WaitAsync(ct);
        try
        {
            var total = 0;
            while (true)
            {
                var (events, last) = await store.GetConditionEventsAfterAsync(_lastId, 500, ct);
                _lastId = last;
                bus.Alerts.Publish(events);
                total += events.Count;
                if (events.Count < 500)
                {
                    return total;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
