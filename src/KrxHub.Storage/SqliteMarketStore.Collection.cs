using Microsoft.Data.Sqlite;

namespace KrxHub.Storage;

/// <summary>Collection state (migration 3): source tokens, backfill progress, scheduled occurrences, latest runs.</summary>
public sealed partial class SqliteMarketStore
{
    public async Task<IReadOnlyList<CollectionRun>> GetLatestRunPerJobAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {RunColumns} FROM collection_runs
            WHERE id IN (SELECT max(id) FROM collection_runs GROUP BY job)
            ORDER BY job
            """);
        return await ReadRunsAsync(select, ct);
    }

    public async Task<SourceToken?> GetSourceTokenAsync(string source, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT token, expires_at, scope FROM source_tokens WHERE source = $source");
        select.Parameters.AddWithValue("$source", source);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new SourceToken(reader.GetString(0), ReadInstant(reader, 1), reader.GetString(2)) : null;
    }

    public async Task SaveSourceTokenAsync(string source, SourceToken? token, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        await using var connection = await OpenAsync(ct);
        await using var write = Command(connection, null, token is null
            ? "DELETE FROM source_tokens WHERE source = $source"
            : """
              INSERT INTO source_tokens (source, token, expires_at, scope, updated_at)
              VALUES ($source, $token, $expires_at, $scope, $updated_at)
              ON CONFLICT (source) DO UPDATE SET
                  token = excluded.token, expires_at = excluded.expires_at, scope = excluded.scope, updated_at = excluded.updated_at
              """);
        write.Parameters.AddWithValue("$source", source);
        if (token is not null)
        {
            write.Parameters.AddWithValue("$token", token.Token);
            write.Parameters.AddWithValue("$expires_at", InstantText(token.ExpiresAt));
            write.Parameters.AddWithValue("$scope", token.Scope);
            write.Parameters.AddWithValue("$updated_at", InstantText(_time.GetUtcNow()));
        }

        await write.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<BackfillUnit>> GetCompletedUnitsAsync(string dataset, string basis, DateOnly from, DateOnly to, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(basis);
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT key, from_date, to_date FROM backfill_progress
            WHERE dataset = $dataset AND basis = $basis AND from_date <= $to AND to_date >= $from
            ORDER BY key, from_date
            """);
        select.Parameters.AddWithValue("$dataset", dataset);
        select.Parameters.AddWithValue("$basis", basis);
        select.Parameters.AddWithValue("$from", DateText(from));
        select.Parameters.AddWithValue("$to", DateText(to));
        var units = new List<BackfillUnit>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            units.Add(new BackfillUnit(dataset, basis, reader.GetString(0), ReadDate(reader, 1), ReadDate(reader, 2)));
        }

        return units;
    }

    public async Task CompleteUnitsAsync(IReadOnlyCollection<BackfillUnit> units, DateTimeOffset completedAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var insert = Command(connection, tx, """
            INSERT INTO backfill_progress (dataset, basis, key, from_date, to_date, completed_at)
            VALUES ($dataset, $basis, $key, $from, $to, $completed_at)
            ON CONFLICT DO NOTHING
            """);
        var dataset = insert.Parameters.Add("$dataset", SqliteType.Text);
        var basis = insert.Parameters.Add("$basis", SqliteType.Text);
        var key = insert.Parameters.Add("$key", SqliteType.Text);
        var from = insert.Parameters.Add("$from", SqliteType.Text);
        var to = insert.Parameters.Add("$to", SqliteType.Text);
        insert.Parameters.AddWithValue("$completed_at", InstantText(completedAt));
        insert.Prepare();
        foreach (var unit in units)
        {
            ct.ThrowIfCancellationRequested();
            dataset.Value = unit.Dataset;
            basis.Value = unit.Basis;
            key.Value = unit.Key;
            from.Value = DateText(unit.From);
            to.Value = DateText(unit.To);
            insert.ExecuteNonQuery();
        }

        await tx.CommitAsync(ct);
    }

    public async Task<bool> IsOccurrenceDoneAsync(string job, string occurrence, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT count(*) FROM job_occurrences WHERE job = $job AND occurrence = $occurrence");
        select.Parameters.AddWithValue("$job", job);
        select.Parameters.AddWithValue("$occurrence", occurrence);
        return (long)(await select.ExecuteScalarAsync(ct))! > 0;
    }

    public async Task<bool> RecordOccurrenceAsync(string job, string occurrence, long? runId, DateTimeOffset completedAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await OpenAsync(ct);
        await using var insert = Command(connection, null, """
            INSERT INTO job_occurrences (job, occurrence, run_id, host, completed_at)
            VALUES ($job, $occurrence, $run_id, $host, $completed_at)
            ON CONFLICT DO NOTHING
            """);
        insert.Parameters.AddWithValue("$job", job);
        insert.Parameters.AddWithValue("$occurrence", occurrence);
        insert.Parameters.AddWithValue("$run_id", Db(runId));
        insert.Parameters.AddWithValue("$host", Environment.MachineName);
        insert.Parameters.AddWithValue("$completed_at", InstantText(completedAt));
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }
}
