using System.Data.Common;
using System.Globalization;

namespace KrxHub.Storage;

/// <summary>
/// The one store: SQLite (the embedded default) or PostgreSQL (scale), chosen by <see cref="Open"/>. Every query both
/// backends share is written here once, split by concern into the partial files <c>MarketStore.*.cs</c>; what really
/// differs (opening, migration, value types, bulk staging and promotion, the quarantine bulk insert, the bar-series read,
/// the lease) is in the dialect (<see cref="SqliteDialect"/>, <see cref="PostgresDialect"/>). Bulk paths stage, then
/// promote atomically; every method passes its CancellationToken on.
/// </summary>
public sealed partial class MarketStore : IAsyncDisposable
{
    /// <summary>The file name of the SQLite database inside the data directory.</summary>
    public const string SqliteFileName = "krxhub.db";

    /// <summary>Appended to the SQLite database's path for the file that holds staged rows (SqliteDialect.StagingFile.cs).</summary>
    public const string SqliteStagingSuffix = ".staging";

    private readonly StoreDialect _dialect;
    private readonly TimeProvider _time;

    private MarketStore(StoreDialect dialect, TimeProvider time)
    {
        _dialect = dialect;
        _time = time;
    }

    /// <summary>The schema version both dialects reach after <see cref="MigrateAsync"/>.</summary>
    public static int LatestSchemaVersion { get; } = SqliteSchema.Migrations[^1].Version;

    /// <summary>"sqlite" or "postgresql".</summary>
    public string Backend => _dialect.Backend;

    /// <summary>The full path of the SQLite database file; null on PostgreSQL.</summary>
    public string? DatabasePath => (_dialect as SqliteDialect)?.DatabasePath;

    /// <summary>
    /// Opens the PostgreSQL store when <paramref name="postgresConnectionString"/> is set, otherwise the SQLite
    /// store at <c>{dataDirectory}/krxhub.db</c> (creating the directory). Call MigrateAsync before use.
    /// </summary>
    public static MarketStore Open(string? postgresConnectionString, string dataDirectory, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        if (!string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            return new MarketStore(new PostgresDialect(postgresConnectionString, time), time);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        return OpenSqlite(Path.Combine(dataDirectory, SqliteFileName), time);
    }

    /// <summary>The SQLite store in the file <paramref name="databasePath"/>.</summary>
    public static MarketStore OpenSqlite(string databasePath, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        return new MarketStore(new SqliteDialect(databasePath, time), time);
    }

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();

    /// <summary>Applies missing migrations (idempotent). Safe to call from several nodes at once on PostgreSQL.</summary>
    public Task MigrateAsync(CancellationToken ct) => _dialect.MigrateAsync(ct);

    /// <summary>The highest applied migration, or 0 when the schema does not exist.</summary>
    public Task<int> GetSchemaVersionAsync(CancellationToken ct) => _dialect.GetSchemaVersionAsync(ct);

    /// <summary>
    /// Tries to become the one runner of <paramref name="name"/> (a scheduled job, the live source) among every
    /// process on this store: a PostgreSQL session advisory lock, or an exclusive lock file next to the SQLite
    /// database. Returns null when another holder has it. Disposing the lease releases it; a crashed holder
    /// releases it with its connection or file handle.
    /// </summary>
    public Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct) => _dialect.TryAcquireLeaseAsync(name, ct);

    // ---------------------------------------------------------------- plumbing

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql) => StoreDialect.Command(connection, tx, sql);

    private static string Where(List<string> conditions) => conditions.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", conditions);

    private async Task<long> ScalarLongAsync(string sql, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var command = Command(connection, null, sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    private DbParameter Int(string name, int value) => _dialect.Long(name, value);

    /// <summary>
    /// Runs the upsert <paramref name="sql"/> once per row, in one transaction (nothing at all for no rows): the rows it changed, and
    /// the rest, which its WHERE left alone because they were already stored as they are.
    /// </summary>
    private async Task<PromotionResult> UpsertEachAsync<T>(string sql, IReadOnlyList<T> rows, Action<DbParameterCollection, T> bind, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return default;
        }

        var changed = await _dialect.ExecuteEachAsync(sql, rows, bind, ct);
        return new PromotionResult(changed, rows.Count - changed);
    }

    /// <summary>Binds the prices, volume, trading value and provenance of an index bar or a minute bar (@open … @trading_value, @source, @fetched_at).</summary>
    private void BindBarValues(DbParameterCollection p, decimal? open, decimal? high, decimal? low, decimal close, long? volume, decimal? tradingValue,
        string source, DateTimeOffset fetchedAt)
    {
        p.Add(_dialect.Decimal("open", open));
        p.Add(_dialect.Decimal("high", high));
        p.Add(_dialect.Decimal("low", low));
        p.Add(_dialect.Decimal("close", close));
        p.Add(_dialect.Long("volume", volume));
        p.Add(_dialect.Decimal("trading_value", tradingValue));
        p.Add(_dialect.Text("source", source));
        p.Add(_dialect.Instant("fetched_at", fetchedAt));
    }

    /// <summary>Runs the SELECT <paramref name="sql"/>, which takes no parameters, and reads every row with <paramref name="read"/>.</summary>
    private Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct) => QueryAsync(sql, _ => { }, read, ct);

    /// <summary>Runs the SELECT <paramref name="sql"/> with the parameters <paramref name="bind"/> adds and reads every row with <paramref name="read"/>.</summary>
    private async Task<List<T>> QueryAsync<T>(string sql, Action<DbParameterCollection> bind, Func<DbDataReader, T> read, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, sql);
        bind(select.Parameters);
        var rows = new List<T>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
