using KrxHub.Storage;

namespace KrxHub.Features.Observability;

/// <summary>
/// The alert outbox's depth and age for the metrics: read from the store at most once per <see cref="MaxAge"/>, so that
/// frequent scrapes (or several scrapers) do not each run the query.
/// </summary>
public sealed class AlertOutboxWatch(MarketStore store, TimeProvider time, ILogger<AlertOutboxWatch> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    // A scrape waits this long for a fresh read; after that it reports the last one (the read goes on in the background).
    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private (AlertOutboxSummary Summary, DateTimeOffset ReadAt)? _last;
    private Task? _reading;

    /// <summary>The last summary read within <see cref="MaxAge"/>, reading a new one first when it is older; null when the store did not answer.</summary>
    public AlertOutboxSummary? Current()
    {
        Task reading;
        lock (_lock)
        {
            if (_last is { } last && time.GetUtcNow() - last.ReadAt < MaxAge)
            {
                return last.Summary;
            }

            reading = _reading ??= ReadAsync();
        }

        // Observable instruments are read synchronously; the hosting model has no synchronization context to deadlock on.
        reading.Wait(ScrapeWait);
        lock (_lock)
        {
            return _last?.Summary;
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            var summary = await store.GetAlertOutboxSummaryAsync(CancellationToken.None);
            lock (_lock)
            {
                _last = (summary, time.GetUtcNow());
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "metrics: the alert outbox could not be read");
        }
        finally
        {
            lock (_lock)
            {
                _reading = null;
            }
        }
    }
}
