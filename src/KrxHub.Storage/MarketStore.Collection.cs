using System.Globalization;

namespace KrxHub.Storage;

/// <summary>Collection state (migration 3): source tokens, backfill progress, scheduled occurrences.</summary>
public sealed partial class MarketStore
{
    /// <summary>The stored token of an upstream source ("kiwoom"), or null.</summary>
    public async Task<SourceToken?> GetSourceTokenAsync(string source, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT token, expires_at, scope FROM source_tokens WHERE source = @source");
        select.Parameters.Add(_dialect.Text("source", source));
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new SourceToken(reader.GetString(0), _dialect.ReadInstant(reader, 1), reader.GetString(2)) : null;
    }

    /// <summary>Stores (replacing) or, with null, forgets the token of an upstream source.</summary>
    public async Task SaveSourceTokenAsync(string source, SourceToken? token, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var write = Command(connection, null, token is null
            ? "DELETE FROM source_tokens WHERE source = @source"
            : """
              INSERT INTO source_tokens (source, token, expires_at, scope, updated_at)
              VALUES (@source, @token, @expires_at, @scope, @updated_at)
              ON CONFLICT (source) DO UPDATE SET
                  token = excluded.token, expires_at = excluded.expires_at, scope = excluded.scope, updated_at = excluded.updated_at
              """);
        write.Parameters.Add(_dialect.Text("source", source));
        if (token is not null)
        {
            write.Parameters.Add(_dialect.Text("token", token.Token));
            write.Parameters.Add(_dialect.Instant("expires_at", token.ExpiresAt));
            write.Parameters.Add(_dialect.Text("scope", token.Scope));
            write.Parameters.Add(_dialect.Instant("updated_at", _time.GetUtcNow()));
        }

        await write.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Completed backfill units of one dataset and basis whose range overlaps [from, to].</summary>
    public async Task<IReadOnlyList<BackfillUnit>> GetCompletedUnitsAsync(string dataset, string basis, DateOnly from, DateOnly to, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(basis);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT key, from_date, to_date FROM backfill_progress
            WHERE dataset = @dataset AND basis = @basis AND from_date <= @to AND to_date >= @from
            ORDER BY key, from_date
            """);
        select.Parameters.Add(_dialect.Text("dataset", dataset));
        select.Parameters.Add(_dialect.Text("basis", basis));
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var units = new List<BackfillUnit>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            units.Add(new BackfillUnit(dataset, basis, reader.GetString(0), _dialect.ReadDate(reader, 1), _dialect.ReadDate(reader, 2)));
        }

        return units;
    }

    /// <summary>Records units as fetched and promoted (one transaction; recording a unit twice is a no-op).</summary>
    public async Task CompleteUnitsAsync(IReadOnlyCollection<BackfillUnit> units, DateTimeOffset completedAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0)
        {
            return;
        }

        var d = _dialect;
        await d.ExecuteEachAsync("""
            INSERT INTO backfill_progress (dataset, basis, key, from_date, to_date, completed_at)
            VALUES (@dataset, @basis, @key, @from, @to, @completed_at)
            ON CONFLICT DO NOTHING
            """, units, (p, u) =>
        {
            p.Add(d.Text("dataset", u.Dataset));
            p.Add(d.Text("basis", u.Basis));
            p.Add(d.Text("key", u.Key));
            p.Add(d.Date("from", u.From));
            p.Add(d.Date("to", u.To));
            p.Add(d.Instant("completed_at", completedAt));
        }, ct);
    }

    /// <summary>True when some node has recorded this occurrence (e.g. "2026-04-14") of a scheduled job as done.</summary>
    public async Task<bool> IsOccurrenceDoneAsync(string job, string occurrence, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT count(*) FROM job_occurrences WHERE job = @job AND occurrence = @occurrence");
        select.Parameters.Add(_dialect.Text("job", job));
        select.Parameters.Add(_dialect.Text("occurrence", occurrence));
        return Convert.ToInt64(await select.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Records an occurrence of a scheduled job as done; false when it was recorded already (by any node).</summary>
    public async Task<bool> RecordOccurrenceAsync(string job, string occurrence, long? runId, DateTimeOffset completedAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentException.ThrowIfNullOrWhiteSpace(occurrence);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var insert = Command(connection, null, """
            INSERT INTO job_occurrences (job, occurrence, run_id, host, completed_at)
            VALUES (@job, @occurrence, @run_id, @host, @completed_at)
            ON CONFLICT DO NOTHING
            """);
        insert.Parameters.Add(_dialect.Text("job", job));
        insert.Parameters.Add(_dialect.Text("occurrence", occurrence));
        insert.Parameters.Add(_dialect.Long("run_id", runId));
        insert.Parameters.Add(_dialect.Text("host", Environment.MachineName));
        insert.Parameters.Add(_dialect.Instant("completed_at", completedAt));
        return await insert.ExecuteNonQueryAsync(ct) > 0;
    }
}
