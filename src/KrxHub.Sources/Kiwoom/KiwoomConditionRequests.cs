using System.Text.Json;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// The condition-search state of one WebSocket connection (broker-apis.md §1.7): whether CNSRLST was answered on it, the
/// one CNSR* request waiting for its answer, and the conditions registered for real time (search_type 1) on it.
/// </summary>
internal sealed class KiwoomConditionRequests
{
    private readonly Lock _lock = new();
    private readonly SortedSet<string> _realtime = new(StringComparer.Ordinal);
    private TaskCompletionSource<JsonElement>? _answer;
    private string? _expected;
    private TaskCompletionSource _cleared = Completed();

    /// <summary>
    /// Held for a whole exchange (a CNSRLST, every page of a one-shot search, a registration): Kiwoom's answers carry only
    /// the trnm and seq, and a request at a time also keeps within its per-second limit.
    /// </summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>CNSRLST was answered on this connection; Kiwoom may leave a CNSRREQ without one before it unanswered.</summary>
    public bool Listed { get; set; }

    /// <summary>The seqs registered for real time on this connection, in order.</summary>
    public IReadOnlyList<string> Realtime
    {
        get
        {
            lock (_lock)
            {
                return [.. _realtime];
            }
        }
    }

    /// <summary>Completes once no real-time condition is left registered on this connection.</summary>
    public Task Cleared
    {
        get
        {
            lock (_lock)
            {
                return _cleared.Task;
            }
        }
    }

    /// <summary>Waits for the next answer of <paramref name="trnm"/>; call before sending the request (the answer can be quicker).</summary>
    public Task<JsonElement> Expect(string trnm)
    {
        lock (_lock)
        {
            _expected = trnm;
            _answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _answer.Task;
        }
    }

    /// <summary>Hands an answer to the request waiting for it; false when none waits for this trnm.</summary>
    public bool TryAnswer(string trnm, JsonElement root)
    {
        lock (_lock)
        {
            if (_answer is not { } answer || !string.Equals(_expected, trnm, StringComparison.Ordinal))
            {
                return false;
            }

            _answer = null;
            answer.TrySetResult(root.Clone());
            return true;
        }
    }

    /// <summary>The waiting request gave up (timed out or was cancelled): a late answer is then ignored.</summary>
    public void Forget()
    {
        lock (_lock)
        {
            _answer = null;
        }
    }

    /// <summary>The connection ended: the waiting request fails with <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        lock (_lock)
        {
            _answer?.TrySetException(error);
            _answer = null;
        }
    }

    public bool IsRealtime(string seq)
    {
        lock (_lock)
        {
            return _realtime.Contains(seq);
        }
    }

    public void AddRealtime(string seq)
    {
        lock (_lock)
        {
            if (_realtime.Add(seq) && _cleared.Task.IsCompleted)
            {
                _cleared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void RemoveRealtime(string seq)
    {
        lock (_lock)
        {
            if (_realtime.Remove(seq) && _realtime.Count == 0)
            {
                _cleared.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }
}
