using System.Data.Common;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using Npgsql;
using NpgsqlTypes;

namespace KrxHub.Storage;

/// <summary>
/// The scale store on PostgreSQL: daily bars partitioned by year, bulk loads by binary COPY into an unlogged staging
/// table (PostgresDialect.Staging.cs), sessions pooled by one NpgsqlDataSource.
/// </summary>
internal sealed partial class PostgresDialect : StoreDialect
{
    private const int BatchSize = 1000;

    private readonly NpgsqlDataSource _dataSource;
    public PostgresDialect(string connectionString, TimeProvider time)
        : base(time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public override string Backend => "postgresql";

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // ---------------------------------------------------------------- schema

    protected override IReadOnlyList<Migration> Migrations => PostgresSchema.Migrations;

    protected override string CreateMigrationsTable => PostgresSchema.CreateMigrationsTable;

    /// <summary>Nodes starting together queue here; the lock goes with the transaction.</summary>
    protected override async Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var lockCommand = Command((NpgsqlConnection)connection, (NpgsqlTransaction)tx, "SELECT pg_advisory_xact_lock(@key)");
        lockCommand.Parameters.AddWithValue("key", PostgresSchema.MigrationLockKey);
        await lockCommand.ExecuteNonQueryAsync(ct);
    }

    public override async Task<int> GetSchemaVersionAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var exists = Command(connection, null, "SELECT to_regclass('schema_migrations') IS NOT NULL");
        if (!(bool)(await exists.ExecuteScalarAsync(ct))!)
        {
            return 0;
        }

        await using var max = Command(connection, null, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        return (int)(await max.ExecuteScalarAsync(ct))!;
    }

    public override async Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT code, date, open, high, low, close, volume, no_trade FROM daily_bars
            WHERE basis = @basis AND date BETWEEN @from AND @to
            """ + (codes is null ? string.Empty : " AND code = ANY(@codes)") + " ORDER BY code, date");
        select.Parameters.Add(TextParameter("basis", basis.Name()));
        select.Parameters.Add(DateParameter("from", from));
        select.Parameters.Add(DateParameter("to", to));
        if (codes is not null)
        {
            select.Parameters.Add(new NpgsqlParameter<string[]>("codes", [.. codes.Select(c => c.Value)]));
        }

        var builder = new BarSeriesBuilder(basis);
        string? current = null;
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var code = reader.GetString(0);
            if (!string.Equals(code, current, StringComparison.Ordinal))
            {
                current = code;
                builder.StartStock(StockCode.Parse(code));
            }

            builder.Add(
                reader.GetFieldValue<DateOnly>(1),
                StoredValues.Normalize(reader.GetDecimal(2)),
                StoredValues.Normalize(reader.GetDecimal(3)),
                StoredValues.Normalize(reader.GetDecimal(4)),
                StoredValues.Normalize(reader.GetDecimal(5)),
                reader.GetInt64(6),
                reader.GetBoolean(7));
        }

        return builder.Finish();
    }

    // ---------------------------------------------------------------- leases

    public override async Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // A session-level advisory lock lives as long as this one connection, which the lease keeps open:
        // if the holder dies or its connection drops, PostgreSQL releases the lock for the next node.
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var acquire = Command(connection, null, "SELECT pg_try_advisory_lock(hashtextextended(@key, 0))");
            acquire.Parameters.Add(TextParameter("key", "krxhub:" + name));
            if (await acquire.ExecuteScalarAsync(ct) is not true)
            {
                await connection.DisposeAsync();
                return null;
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        var gate = new SemaphoreSlim(1, 1);
        return new StoreLease(
            name,
            async checkCt =>
            {
                await gate.WaitAsync(checkCt);
                try
                {
                    await using var probe = Command(connection, null, "SELECT 1");
                    return await probe.ExecuteScalarAsync(checkCt) is 1;
                }
                finally
                {
                    gate.Release();
                }
            },
            async () =>
            {
                await gate.WaitAsync(CancellationToken.None);
                try
                {
                    await using var release = Command(connection, null, "SELECT pg_advisory_unlock(hashtextextended(@key, 0))");
                    release.Parameters.Add(TextParameter("key", "krxhub:" + name));
                    await release.ExecuteScalarAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    // The session is gone, and the lock went with it.
                }
                finally
                {
                    await connection.DisposeAsync();
                    gate.Release();
                    gate.Dispose();
                }
            });
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);

    public override async Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);

    public override DbParameter Text(string name, string? value) => TextParameter(name, value);

    public override DbParameter Json(string name, string value) => new NpgsqlParameter<string>(name, NpgsqlDbType.Json) { TypedValue = value };

    public override DbParameter Long(string name, long? value) => BigintParameter(name, value);

    public override DbParameter Date(string name, DateOnly? value) => DateParameter(name, value);

    /// <summary>timestamptz takes UTC only; microseconds are its precision.</summary>
    public override DbParameter Instant(string name, DateTimeOffset? value) =>
        new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = value is { } v ? StoredInstant(v) : DBNull.Value };

    public override DbParameter Decimal(string name, decimal? value) => NumericParameter(name, value);

    public override DateOnly ReadDate(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateOnly>(ordinal);

    public override DateTimeOffset ReadInstant(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    public override decimal ReadDecimal(DbDataReader reader, int ordinal) => StoredValues.Normalize(reader.GetDecimal(ordinal));

    public override bool ReadBool(DbDataReader reader, int ordinal) => reader.GetBoolean(ordinal);

    public override string CaseInsensitiveLike => "ILIKE";

    public override string Position(string haystack, string needle) => $"strpos({haystack}, {needle})";

    public override string ForUpdate => " FOR UPDATE";

    /// <summary>One statement per row, pipelined in batches of <see cref="BatchSize"/>, in order.</summary>
    protected override async Task<long> ExecuteRowsAsync<T>(DbConnection connection, DbTransaction tx, string sql, IEnumerable<T> rows,
        Action<DbParameterCollection, T> bind, CancellationToken ct)
    {
        long affected = 0;
        foreach (var chunk in rows.Chunk(BatchSize))
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction)tx);
            foreach (var row in chunk)
            {
                var command = new NpgsqlBatchCommand(sql);
                bind(command.Parameters, row);
                batch.BatchCommands.Add(command);
            }

            affected += await batch.ExecuteNonQueryAsync(ct);
        }

        return affected;
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>
    /// Runs one statement per row, pipelined in batches, in order (so a key repeated within the rows is applied
    /// twice, as on SQLite). Returns the rows affected.
    /// </summary>
    private static async Task<long> ExecuteBatchedAsync<T>(
        NpgsqlConnection connection, NpgsqlTransaction tx, string sql, IEnumerable<T> rows, Action<NpgsqlParameterCollection, T> bind, CancellationToken ct)
    {
        long affected = 0;
        foreach (var chunk in rows.Chunk(BatchSize))
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var row in chunk)
            {
                var command = new NpgsqlBatchCommand(sql);
                bind(command.Parameters, row);
                batch.BatchCommands.Add(command);
            }

            affected += await batch.ExecuteNonQueryAsync(ct);
        }

        return affected;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql) => new(sql, connection, tx);

    private static NpgsqlParameter TextParameter(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter DateParameter(string name, DateOnly? value) =>
        new(name, NpgsqlDbType.Date) { Value = value is { } v ? v : DBNull.Value };

    private static NpgsqlParameter BigintParameter(string name, long? value) =>
        new(name, NpgsqlDbType.Bigint) { Value = value is { } v ? v : DBNull.Value };

    private static NpgsqlParameter NumericParameter(string name, decimal? value) =>
        new(name, NpgsqlDbType.Numeric) { Value = value is { } v ? v : DBNull.Value };

    /// <summary>timestamptz takes UTC only; microseconds are its precision.</summary>
    private static DateTimeOffset StoredInstant(DateTimeOffset value) => StoredValues.ToStoredInstant(value);

    private static decimal ReadDecimal(NpgsqlDataReader reader, int ordinal) => StoredValues.Normalize(reader.GetDecimal(ordinal));

}
