using KrxHub.Core.Live;
using KrxHub.Features.Live;

namespace KrxHub.Features.Rankings;

/// <summary>
/// Pushes live rankings to their WebSocket subscribers: every <see cref="LiveOptions.RankingInterval"/> (250 ms) it
/// re-reads the top N of each subscribed ranking from the board, skipping rankings whose list did not change, and pushes one
/// shared message to the ranking's subscribers only when the rows differ from the last push.
/// </summary>
public sealed class RankingPublisher : BackgroundService
{
    private readonly LiveBus _bus;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<RankingKey, Published> _last = [];

    public RankingPublisher(LiveBus bus, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(bus);
        _bus = bus;
        _time = time;
    }

    /// <summary>The ranking as it is now, for a new subscriber. Does not count as a push to the others.</summary>
    internal byte[] Snapshot(RankingKey key)
    {
        lock (_gate)
        {
            var version = _bus.ReadBoard(b => b.ListVersion(key.Market, key.Metric));
            if (_last.TryGetValue(key, out var last) && last.Version == version)
            {
                return last.Message;
            }
        }

        return Read(key, _bus.ReadBoard(b => b.ListVersion(key.Market, key.Metric))).Message;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_bus.Options.RankingInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                PushChanged();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round: every subscribed ranking whose rows changed since its last push is pushed once.</summary>
    internal void PushChanged()
    {
        var subscriptions = _bus.RankingSubscriptions();
        lock (_gate)
        {
            // Rankings nobody follows any more are forgotten, so a later subscriber starts fresh.
            foreach (var key in _last.Keys.Except(subscriptions.Select(s => s.Key)).ToList())
            {
                _last.Remove(key);
            }
        }

        foreach (var (key, subscribers) in subscriptions)
        {
            var version = _bus.ReadBoard(b => b.ListVersion(key.Market, key.Metric));
            Published? last;
            lock (_gate)
            {
                _last.TryGetValue(key, out last);
            }

            if (last is not null && last.Version == version)
            {
                continue;
            }

            var current = Read(key, version);
            var changed = last is null || !last.Rows.SequenceEqual(current.Rows);
            lock (_gate)
            {
                _last[key] = changed ? current : last! with { Version = version };
            }

            if (changed)
            {
                foreach (var s in subscribers)
                {
                    s.Offer(current.Message);
                }
            }
        }
    }

    private Published Read(RankingKey key, long version)
    {
        var (rows, asOf) = _bus.ReadBoard(b => (b.Top(key.Market, key.Metric, key.N), b.LatestTime));
        return new Published(version, rows, LiveMessages.Rankings(key, rows, asOf, _bus.SourceStatus.Source));
    }

    private sealed record Published(long Version, IReadOnlyList<RankingRow> Rows, byte[] Message);
}
