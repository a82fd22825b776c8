using Npgsql;
using NpgsqlTypes;

namespace KrxHub.Storage;

/// <summary>Collection state (migration 3): source tokens, backfill progress, scheduled occurrences, latest runs.</summary>
public sealed partial class PostgresMarketStore
{
    public async Task<IReadOnlyList<CollectionRun>> GetLatestRunPerJobAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
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
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, "SELECT token, expires_at, scope FROM source_tokens WHERE source = @source");
        select.Parameters.Add(Text("source", source));
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new SourceToken(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2))
            : null;
    }

    public async Task SaveSourceTokenAsync(string source, SourceToken? token, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var write = Command(connection, null, token is null
            ? "DELETE FROM source_tokens WHERE source = @source"
            : """
              INSERT INTO source_tokens (source, token, expires_at, scope, updated_at)
              VALUES (@source, @token, @expires_at, @scope, @updated_at)
              ON CONFLICT (source) DO UPDATE SET
                  token = excluded.token, expires_at = excluded.expires_at, scope = excluded.scope, updated_at = excluded.updated_at
              """);
        write.Parameters.Add(Text("source", source));
        if (token is not null)
        {
            write.Parameters.Add(Text("token", token.Token));
            write.Parameters.Add(Timestamp("expires_at", token.ExpiresAt));
            write.Parameters.Add(Text("scope", token.Scope));
            write.Parameters.Add(Timestamp("updated_at", _time.GetUtcNow()));
        }

        await write.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<BackfillUnit>> GetCompletedUnitsAsync(string dataset, string basis, DateOnly from, DateOnly to, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(basis);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT key, from_date, to_date FROM backfill_progress
            WHERE dataset = @dataset AND basis = @basis AND from_date <= @to AND to_date >= @from
            ORDER BY key, from_date
            """);
        select.Parameters.Add(Text("dataset", dataset));
        select.Parameters.Add(Text("basis", basis));
        select.Parameters.Add(Date("from", from));
        select.Parameters.Add(Date("to", to));
        var units = new List<BackfillUnit>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            units.Add(new BackfillUnit(dataset, basis, reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetFieldValue<DateOnly>(2)));
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

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteBatchedAsync(connection, tx, """
            INSERT INTO backfill_progress (dataset, basis, key, from_date, to_date, completed_at)
            VALUES (@dataset, @basis, @key, @from, @to, @completed_at)
            ON CONFLICT DO NOTHING
            """, units, (p, u) =>
        {
            p.Add(Text("dataset", u.Dataset));
            p.Add(Text("basis", u.Basis));
            p.Add(Text("key", u.Key));
            p.Add(Date("from", u.From));
            p.Add(Date("to", u.To));
            p.Add(Timestamp("completed_at", completedAt));
        }, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<bool> IsOccurrenceDoneAsync(string job, string occurrence, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, "SELECT EXISTS (SELECT 1 FROM job_occurrences WHERE job = @job AND occurrence = @occurrence)");
        select.Parameters.Add(Text("job", job));
        select.Parameters.Add(Text("occurrence", occurrence));
        return (bool)(await select.ExecuteScalarAsync(ct))!;
    }

    public async Task<bool> RecordOccurrenceAsync(string job, string occurrence, long? runId, DateTimeOffset completedAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var insert = Command(connection, null, """
            INSERT INTO job_occurrences (job, occurrence, run_id, host, completed_at)
            VALUES (@job, @occurrence, @run_id, @host, @completed_at)
            ON CONFLICT DO NOTHING
            """);
        insert.Parameters.Add(Text("job", job));
        insert.Parameters.Add(Text("occurrence", occurrence));
        insert.Parameters.Add(Bigint("run_id", runId));
        insert.Parameters.Add(Text("host", Environment.MachineName));
        insert.Parameters.Add(Timestamp("completed_at", completedAt));
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }

    private static NpgsqlParameter<DateTimeOffset> Timestamp(string name, DateTimeOffset value) =>
        new(name, NpgsqlDbType.TimestampTz) { TypedValue = Instant(value) };
}
