namespace KrxHub.Storage;

/// <summary>
/// Exclusive right to run one named thing (see <see cref="MarketStore.TryAcquireLeaseAsync"/>) until disposed.
/// </summary>
public sealed class StoreLease : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<bool>> _check;
    private readonly Func<ValueTask> _release;
    private int _released;

    internal StoreLease(string name, Func<CancellationToken, Task<bool>> check, Func<ValueTask> release)
    {
        Name = name;
        _check = check;
        _release = release;
    }

    public string Name { get; }

    /// <summary>
    /// False once the lease is released or its holding connection is gone (a PostgreSQL restart or a network cut
    /// ends the advisory lock with the session). A runner checks it before each unit of work.
    /// </summary>
    public async Task<bool> IsHeldAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _released) != 0)
        {
            return false;
        }

        try
        {
            return await _check(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await _release();
        }
    }
}
