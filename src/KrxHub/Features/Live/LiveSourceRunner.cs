using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Live;

/// <summary>Makes the live feed this node would run, once it has won the election (null: this node has none).</summary>
public delegate Task<ILiveFeed?> LiveFeedFactory(CancellationToken ct);

/// <summary>
/// Runs the live source on exactly one node of a store: it holds the <see cref="LeaseName"/> lease
/// (<see cref="MarketStore.TryAcquireLeaseAsync"/>: a PostgreSQL advisory lock, or a lock file beside the SQLite
/// database) while the feed runs, and the nodes without it retry every <see cref="LiveOptions.LeaseRetryInterval"/>.
/// The feed's events go to this node's bus, to the backplane for the other nodes, to the minute-bar recorder and to the
/// day's recording file.
/// A feed that fails gives the lease up (another node may take over) and is restarted after a backoff.
/// </summary>
public sealed class LiveSourceRunner(
    LiveFeedFactory feedFactory,
    LiveBus bus,
    LiveSubscriptions subscriptions,
    MarketStore store,
    MinuteBarRecorder recorder,
    Replay.EventRecorder events,
    TimeProvider time,
    LiveOptions options,
    ILogger<LiveSourceRunner> logger,
    PostgresBackplane? backplane = null) : BackgroundService
{
    public const string LeaseName = "live-source";

    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunSource)
        {
            logger.LogInformation("this node does not run the live source (RunSource is off)");
            return;
        }

        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            StoreLease? lease = null;
            try
            {
                lease = await store.TryAcquireLeaseAsync(LeaseName, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("cannot ask the store for the live-source lease: {Message}", e.Message);
            }

            if (lease is null)
            {
                await DelayAsync(options.LeaseRetryInterval, stoppingToken);
                continue;
            }

            var failed = false;
            await using (lease)
            {
                try
                {
                    var feed = await feedFactory(stoppingToken);
                    if (feed is null)
                    {
                        logger.LogInformation("no live feed is configured on this node");
                        return;
                    }

                    logger.LogInformation("this node runs the live source ({Source})", feed.Source);
                    await RunFeedAsync(feed, lease, stoppingToken);
                    backoff = TimeSpan.FromSeconds(1);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failed = true;
                    logger.LogError(e, "the live source failed; giving up the lease and retrying in {Backoff}", backoff);
                }
            }

            if (failed)
            {
                await DelayAsync(backoff, stoppingToken);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
        }
    }

    private async Task RunFeedAsync(ILiveFeed feed, StoreLease lease, CancellationToken stoppingToken)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bus.SetLocalSource(feed.Source);
        backplane?.Announce(feed.Source);
        var recording = options.RecordMinuteBars ? recorder.RunAsync(feed.Source, run.Token) : Task.CompletedTask;
        var recordingEvents = Replay.EventRecorder.Records(options, feed.Source) ? events.RunAsync(feed.Source, run.Token) : Task.CompletedTask;
        var watching = WatchAsync(feed, lease, run);
        try
        {
            await feed.RunAsync(Forward, run.Token);
        }
        finally
        {
            bus.SetLocalSource(null);
            backplane?.Announce(null);
            await run.CancelAsync();
            await Quietly(watching);
            await Quietly(recording);
            await Quietly(recordingEvents);
        }

        // The feed ended by itself (not cancelled): treat as a failure so that the backoff applies.
        if (!stoppingToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the {feed.Source} feed stopped");
        }
    }

    /// <summary>
    /// One event of the feed, forwarded on the feed's own thread (no queue, no thread hop): to this node's bus, to the other
    /// nodes, to the minute bars, to the recording. It never waits: the bus only files the event for its dispatcher, the
    /// backplane queue and the recording's channel drop rather than wait.
    /// </summary>
    private void Forward(LiveEvent e)
    {
        bus.Publish(e);
        if (e is not Core.Indices.LiveIndexLevel)
        {
            // Index levels stay on the node that runs the source: the backplane carries stock events only.
            backplane?.Enqueue(e);
        }

        if (e is LiveTick tick && options.RecordMinuteBars)
        {
            recorder.Add(tick);
        }

        events.Record(e);
    }

    /// <summary>
    /// Stops the run when the lease is lost, and keeps the feed's codes in step with what clients follow: this node's
    /// clients, and on PostgreSQL the clients of every other live node (their sets arrive over the backplane).
    /// </summary>
    private async Task WatchAsync(ILiveFeed feed, StoreLease lease, CancellationTokenSource run)
    {
        var sinceLeaseCheck = TimeSpan.Zero;
        (long Local, long Remote) codesVersion = (-1, -1);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(run.Token))
        {
            var (version, codes) = subscriptions.SubscribedCodes();
            var remote = backplane?.RemoteCodes();
            if ((version, remote?.Version ?? 0) != codesVersion)
            {
                await feed.SetCodesAsync(remote is null ? codes : FollowedCodes(codes, remote), run.Token);
                codesVersion = (version, remote?.Version ?? 0);
            }

            sinceLeaseCheck += TimeSpan.FromSeconds(1);
            if (sinceLeaseCheck >= LeaseCheckInterval)
            {
                sinceLeaseCheck = TimeSpan.Zero;
                if (!await lease.IsHeldAsync(run.Token))
                {
                    logger.LogError("the live-source lease was lost (store connection gone); stopping the feed");
                    await run.CancelAsync();
                    return;
                }
            }
        }
    }

    /// <summary>This node's codes and those of the other live nodes.</summary>
    internal static HashSet<StockCode> FollowedCodes(IReadOnlyCollection<StockCode> local, RemoteCodes remote)
    {
        var union = new HashSet<StockCode>(remote.Codes);
        union.UnionWith(local);
        return union;
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
