using System.Globalization;

namespace KrxHub.Storage;

/// <summary>Collection runs: every import, collection and backfill, with its counts and outcome.</summary>
public sealed partial class MarketStore
{
    private const string RunColumns =
        "id, job, parameters, status, rows_read, rows_accepted, rows_quarantined, rows_changed, started_at, finished_at, error, host, process_id";

    public async Task<long> StartRunAsync(string job, string parametersJson, DateTimeOffset startedAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentNullException.ThrowIfNull(parametersJson);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var insert = Command(connection, null, """
            INSERT INTO collection_runs (job, parameters, status, started_at, host, process_id)
            VALUES (@job, @parameters, @status, @started_at, @host, @process_id)
            RETURNING id
            """);
        insert.Parameters.Add(_dialect.Text("job", job));
        insert.Parameters.Add(_dialect.Json("parameters", parametersJson));
        insert.Parameters.Add(_dialect.Text("status", RunStatus.Running));
        insert.Parameters.Add(_dialect.Instant("started_at", startedAt));
        insert.Parameters.Add(_dialect.Text("host", Environment.MachineName));
        insert.Parameters.Add(Int("process_id", Environment.ProcessId));
        return Convert.ToInt64(await insert.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    public async Task FinishRunAsync(long runId, RunOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var update = Command(connection, null, """
            UPDATE collection_runs SET
                status = @status, rows_read = @rows_read, rows_accepted = @rows_accepted,
                rows_quarantined = @rows_quarantined, rows_changed = @rows_changed,
                finished_at = @finished_at, error = @error
            WHERE id = @id
            """);
        update.Parameters.Add(_dialect.Long("id", runId));
        update.Parameters.Add(_dialect.Text("status", outcome.Status));
        update.Parameters.Add(_dialect.Long("rows_read", outcome.RowsRead));
        update.Parameters.Add(_dialect.Long("rows_accepted", outcome.RowsAccepted));
        update.Parameters.Add(_dialect.Long("rows_quarantined", outcome.RowsQuarantined));
        update.Parameters.Add(_dialect.Long("rows_changed", outcome.RowsChanged));
        update.Parameters.Add(_dialect.Instant("finished_at", outcome.FinishedAt));
        update.Parameters.Add(_dialect.Text("error", outcome.Error));
        if (await update.ExecuteNonQueryAsync(ct) == 0)
        {
            throw new InvalidOperationException($"collection run {runId} does not exist");
        }
    }

    /// <summary>Runs, newest first.</summary>
    public async Task<IReadOnlyList<CollectionRun>> GetRunsAsync(int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {RunColumns} FROM collection_runs
            ORDER BY started_at DESC, id DESC
            LIMIT @limit OFFSET @offset
            """);
        select.Parameters.Add(Int("limit", limit));
        select.Parameters.Add(Int("offset", offset));
        return await ReadRunsAsync(select, ct);
    }

    /// <summary>The newest run of every job name, ordered by job.</summary>
    public async Task<IReadOnlyList<CollectionRun>> GetLatestRunPerJobAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {RunColumns} FROM collection_runs
            WHERE id IN (SELECT max(id) FROM collection_runs GROUP BY job)
            ORDER BY job
            """);
        return await ReadRunsAsync(select, ct);
    }

    /// <summary>Marks runs of this host whose process is gone as abandoned, and clears their staging rows.</summary>
    public async Task<int> AbandonDeadRunsAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenWithStagingAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var dead = new List<long>();
        await using (var select = Command(connection, tx, "SELECT id, process_id FROM collection_runs WHERE status = @status AND host = @host" + _dialect.ForUpdate))
        {
            select.Parameters.Add(_dialect.Text("status", RunStatus.Running));
            select.Parameters.Add(_dialect.Text("host", Environment.MachineName));
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!StoredValues.IsProcessAlive(reader.GetInt32(1)))
                {
                    dead.Add(reader.GetInt64(0));
                }
            }
        }

        var finishedAt = _time.GetUtcNow();
        foreach (var runId in dead)
        {
            await using var abandon = Command(connection, tx, """
                UPDATE collection_runs SET status = @status, error = @error, finished_at = @finished_at WHERE id = @id;
                DELETE FROM staging_daily_bars WHERE run_id = @id;
                """);
            abandon.Parameters.Add(_dialect.Text("status", RunStatus.Abandoned));
            abandon.Parameters.Add(_dialect.Text("error", StoredValues.AbandonedError));
            abandon.Parameters.Add(_dialect.Instant("finished_at", finishedAt));
            abandon.Parameters.Add(_dialect.Long("id", runId));
            await abandon.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return dead.Count;
    }

    /// <summary>Reads rows of <see cref="RunColumns"/>, in order.</summary>
    private async Task<IReadOnlyList<CollectionRun>> ReadRunsAsync(System.Data.Common.DbCommand select, CancellationToken ct)
    {
        var runs = new List<CollectionRun>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            runs.Add(new CollectionRun(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt64(4),
                reader.GetInt64(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                _dialect.ReadInstant(reader, 8),
                _dialect.NullableInstant(reader, 9),
                StoreDialect.NullableString(reader, 10),
                reader.GetString(11),
                reader.GetInt32(12)));
        }

        return runs;
    }
}
