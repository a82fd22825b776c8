namespace KrxHub.Sources;

/// <summary>
/// One request budget shared by every caller of one remote API (servers count per key or per address, not per caller).
/// At most N = floor(rate) requests are started in any window of max(1 s, 1/rate). A permit is held from sending until
/// the answer is read and then for one more window: the server received the request before the answer came back, so
/// no N+1 requests can arrive at the server within one window, whatever the network delay.
/// </summary>
public class RequestRateLimiter
{
    private readonly SemaphoreSlim _permits;
    private readonly TimeProvider _time;
    private readonly TimeSpan _hold;

    public RequestRateLimiter(double requestsPerSecond, TimeProvider timeProvider, TimeSpan? margin = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (!double.IsFinite(requestsPerSecond) || requestsPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), requestsPerSecond, "must be a positive number");
        }

        RequestsPerSecond = requestsPerSecond;
        Permits = Math.Max(1, (int)Math.Floor(requestsPerSecond));
        Window = TimeSpan.FromSeconds(Math.Max(1.0, 1.0 / requestsPerSecond));
        _hold = Window + (margin ?? TimeSpan.FromMilliseconds(10));
        _time = timeProvider;
        _permits = new SemaphoreSlim(Permits, Permits);
    }

    public double RequestsPerSecond { get; }

    public int Permits { get; }

    public TimeSpan Window { get; }

    /// <summary>Waits for a permit. Dispose the lease once the answer has been read (or the attempt was given up).</summary>
    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _permits.WaitAsync(cancellationToken);
        return new Lease(this);
    }

    private void ReleaseLater() => _ = ReleaseAfterWindowAsync();

    private async Task ReleaseAfterWindowAsync()
    {
        // Not cancellable on purpose: a permit must come back even when its caller was cancelled.
        await Task.Delay(_hold, _time, CancellationToken.None);
        _permits.Release();
    }

    private sealed class Lease(RequestRateLimiter owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.ReleaseLater();
            }
        }
    }
}
