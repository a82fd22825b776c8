using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KrxHub.Storage;

/// <summary>
/// A first load on SQLite: when daily_bars holds no bar of the run's basis, the run writes its bars straight into
/// daily_bars inside one write transaction instead of staging them and copying them over at the end. The transaction is
/// the promotion: readers see nothing of the run until it commits, and a killed process leaves only uncommitted WAL frames,
/// which the next open ignores. Writing each bar once instead of twice makes the 986k-bar first load about a fifth faster.
/// </summary>
/// <remarks>
/// The cost is the write lock, held for the whole run instead of for the promotion alone: other writers of the store
/// (another import, the hub's collectors and recorders) wait for it, up to the connection's command timeout. That is why
/// only a run that starts a basis afresh takes this way: a bulk first load, which the hub does before it serves anything.
/// The rejects of the run go through the same transaction; a run that fails takes its bars back out and commits its
/// quarantine (<see cref="FirstLoad.AbandonAsync"/>), as a staged run keeps the quarantine it wrote.
/// </remarks>
internal sealed partial class SqliteDialect
{
    public override async Task<DailyBarLoad?> TryBeginFirstLoadAsync(long runId, PriceBasis basis, CancellationToken ct)
    {
        // Looked at without the lock first: most runs add to a basis that has bars, and must not queue behind other writers to learn it.
        await using (var look = await OpenSqliteAsync(ct))
        {
            if (await HasBarsAsync(look, null, basis, ct))
            {
                return null;
            }
        }

        var connection = await OpenSqliteAsync(ct);
        try
        {
            // Immediate: the write lock from here on, so that no other writer adds a bar of the basis after the second look.
            var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            if (await HasBarsAsync(connection, tx, basis, ct))
            {
                await tx.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }

            // As in a large staged promotion: the by-date index is built once from sorted keys at the end instead of
            // taking a million inserts in date order while the bars come in stock order.
            await ExecuteAsync(connection, tx, "DROP INDEX daily_bars_by_date", ct);
            return new FirstLoad(this, connection, tx, runId, basis);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> HasBarsAsync(SqliteConnection connection, SqliteTransaction? tx, PriceBasis basis, CancellationToken ct)
    {
        await using var exists = Command(connection, tx, "SELECT EXISTS (SELECT 1 FROM daily_bars WHERE basis = $basis)");
        exists.Parameters.AddWithValue("$basis", basis.Name());
        return Convert.ToInt64(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) != 0;
    }

    /// <summary>The run's bars of the given keys, deleted and returned (json: [[code, date], …]).</summary>
    private async Task<List<DailyBar>> DeleteReturningAsync(SqliteConnection connection, SqliteTransaction tx, string table,
        string extraCondition, Action<SqliteParameterCollection> bind, IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct)
    {
        var removed = new List<DailyBar>();
        var json = JsonSerializer.Serialize(keys.Select(k => new[] { k.Code.Value, DateText(k.Date) }));
        await using var delete = Command(connection, tx, $"""
            DELETE FROM {table}
            WHERE {extraCondition} AND (code, date) IN (SELECT value ->> 0, value ->> 1 FROM json_each($keys))
            RETURNING {BarColumns}
            """);
        bind(delete.Parameters);
        delete.Parameters.AddWithValue("$keys", json);
        await using var reader = await delete.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            removed.Add(ReadBar(reader));
        }

        return removed;
    }

    /// <summary>A run writing into daily_bars inside the transaction it holds from the first bar to the promotion.</summary>
    private sealed class FirstLoad(SqliteDialect dialect, SqliteConnection connection, SqliteTransaction tx, long runId, PriceBasis basis)
        : DailyBarLoad(runId)
    {
        private long _bars;
        private bool _ended;

        public override bool IsFirstLoad => true;

        public override Task AddAsync(IReadOnlyList<DailyBar> bars, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(bars);
            Open();
            if (bars.Any(b => b.Basis != basis))
            {
                throw new ArgumentException($"a first load of {basis.Name()} bars was given a bar of another basis", nameof(bars));
            }

            // Plain inserts: the run's bars are unique per code and date, and the basis had none, so a conflict is a bug and fails the run.
            WriteBars(connection, "daily_bars", null, bars, ct);
            _bars += bars.Count;
            return Task.CompletedTask;
        }

        public override async Task<IReadOnlyList<DailyBar>> TakeBackAsync(IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(keys);
            Open();
            if (keys.Count == 0)
            {
                return [];
            }

            var removed = await dialect.DeleteReturningAsync(connection, tx, "daily_bars", "basis = $basis",
                p => p.AddWithValue("$basis", basis.Name()), keys, ct);
            _bars -= removed.Count;
            return removed;
        }

        public override async Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct)
        {
            ArgumentNullException.ThrowIfNull(entries);
            Open();
            if (entries.Count > 0)
            {
                await WriteQuarantineAsync(connection, tx, entries, ct);
            }
        }

        public override async Task<PromotionResult> PromoteAsync(CancellationToken ct)
        {
            Open();
            if (_bars > 0)
            {
                // Invalidates the bar-series caches of both bases, as a staged promotion does.
                await ExecuteAsync(connection, tx, "UPDATE bar_series_cache_state SET generation = generation + 1", ct);
            }

            await ExecuteAsync(connection, tx, DailyBarsByDateIndex, ct);
            await tx.CommitAsync(ct);
            _ended = true;
            if (_bars >= LargePromotion)
            {
                // As after a large staged promotion: the WAL's pages go into the database now rather than at the last close.
                await dialect.CheckpointAsync(CancellationToken.None);
            }

            return new PromotionResult(_bars, 0);
        }

        /// <summary>
        /// The basis had no bar when the load began and nobody else could write since, so deleting the basis takes out
        /// exactly this run's bars; the quarantine written in the transaction is then committed with the index rebuilt.
        /// Should any of it fail, the whole transaction rolls back (its quarantine with it).
        /// </summary>
        public override async Task AbandonAsync(CancellationToken ct)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            if (raw.sqlite3_get_autocommit(connection.Handle) != 0)
            {
                return; // SQLite already rolled the transaction back (an I/O error, a full disk).
            }

            try
            {
                await using (var delete = Command(connection, tx, "DELETE FROM daily_bars WHERE basis = $basis"))
                {
                    delete.Parameters.AddWithValue("$basis", basis.Name());
                    await delete.ExecuteNonQueryAsync(ct);
                }

                await ExecuteAsync(connection, tx, DailyBarsByDateIndex, ct);
                await tx.CommitAsync(ct);
            }
            catch (Exception) when (raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                await tx.RollbackAsync(CancellationToken.None);
                throw;
            }
        }

        public override async ValueTask DisposeAsync()
        {
            // Neither promoted nor abandoned: the transaction rolls back with the connection.
            await tx.DisposeAsync();
            await connection.DisposeAsync();
        }

        private void Open() => ObjectDisposedException.ThrowIf(_ended, this);
    }
}
