using Npgsql;

namespace KrxHub.Tests;

/// <summary>
/// A PostgreSQL transaction of the test's own that holds daily_bars in SHARE mode: reads go on, and every write to daily_bars
/// waits until the test releases it. An import's promotion therefore stops at its first write to daily_bars, inside its
/// transaction, and stays there for as long as the test needs.
/// </summary>
internal sealed class DailyBarsWritesHeld : IAsyncDisposable
{
    private readonly NpgsqlConnection _holder;
    private readonly NpgsqlTransaction _transaction;
    private readonly NpgsqlConnection _watcher;

    private DailyBarsWritesHeld(NpgsqlConnection holder, NpgsqlTransaction transaction, NpgsqlConnection watcher)
    {
        _holder = holder;
        _transaction = transaction;
        _watcher = watcher;
    }

    public static async Task<DailyBarsWritesHeld> TakeAsync(string database)
    {
        var holder = new NpgsqlConnection(database);
        await holder.OpenAsync();
        var transaction = await holder.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand("LOCK TABLE daily_bars IN SHARE MODE", holder, transaction))
        {
            await take.ExecuteNonQueryAsync();
        }

        // The watcher runs each query in a transaction of its own: inside one, pg_stat_activity would stay as first read.
        var watcher = new NpgsqlConnection(database);
        await watcher.OpenAsync();
        return new DailyBarsWritesHeld(holder, transaction, watcher);
    }

    /// <summary>
    /// The server process of the session that holds the promotion's advisory lock and waits for a lock on daily_bars (the
    /// promotion, inside its transaction, at its first write), or null when no session does yet.
    /// </summary>
    public async Task<int?> PromotionWaitingAsync()
    {
        // l: the promotion's transaction-scoped advisory lock (key 0x4b52_5848_5542_0001) as pg_locks shows it, granted.
        await using var find = new NpgsqlCommand("""
            SELECT a.pid FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.query ILIKE '%daily_bars%'
              AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted
                          AND l.locktype = 'advisory' AND l.classid = 1263687752 AND l.objid = 1430388737 AND l.objsubid = 1)
              AND EXISTS (SELECT 1 FROM pg_locks w WHERE w.pid = a.pid AND NOT w.granted AND w.locktype = 'relation' AND w.relation = 'daily_bars'::regclass)
            """, _watcher);
        if (await find.ExecuteScalarAsync() is int pid)
        {
            return pid;
        }

        await Task.Delay(50); // the wait, once begun, lasts until the release: no need to look more often
        return null;
    }

    /// <summary>Ends the test's transaction: the writes that waited for daily_bars go on.</summary>
    public Task ReleaseAsync() => _transaction.RollbackAsync();

    /// <summary>True once the server process <paramref name="pid"/> has ended, false if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> EndedAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await using var alive = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", _watcher);
        alive.Parameters.AddWithValue("pid", pid);
        while ((long)(await alive.ExecuteScalarAsync())! > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _holder.DisposeAsync();
        await _watcher.DisposeAsync();
    }
}
