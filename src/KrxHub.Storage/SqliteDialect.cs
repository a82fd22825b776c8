using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KrxHub.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Microsoft.Data.Sqlite runs its async methods synchronously,
/// so the hot loops call the synchronous methods directly and check the token themselves.
/// </summary>
internal sealed partial class SqliteDialect : StoreDialect
{
    // busy_timeout first, so that several processes opening a new file wait for each other instead of failing;
    // page_size only takes effect on a new file (before WAL is switched on): larger pages promote faster.
    // WAL with synchronous=NORMAL survives a process crash; a power cut may lose the last commits but never corrupts the file.
    private const string ConnectionPragmas = """
        PRAGMA busy_timeout = 30000;
        PRAGMA page_size = 16384;
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA temp_store = MEMORY;
        PRAGMA cache_size = -32768;
        PRAGMA wal_autocheckpoint = 16384;
        """;

    private const int StagedColumns = 17;

    /// <summary>Rows per staging INSERT: one statement step per 32 rows instead of per row.</summary>
    private const int StagedRowsPerInsert = 32;

    /// <summary>
    /// The upsert of a run's staged bars (the SELECT's WHERE also keeps SQLite from reading ON CONFLICT as a join
    /// constraint). When the staging table holds only this run, its rows are read in one pass over the table (NOT INDEXED)
    /// instead of through the run_id index and a table seek per row (about a tenth of the insert's CPU).
    /// </summary>
    private static string PromoteStagedBars(bool onlyRunStaged) => $"""
        INSERT INTO daily_bars (code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from)
        SELECT code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from
        FROM staging_daily_bars {(onlyRunStaged ? "NOT INDEXED" : "")}
        WHERE run_id = $run_id
        ON CONFLICT (code, date, basis) DO UPDATE SET
            open = excluded.open,
            high = excluded.high,
            low = excluded.low,
            close = excluded.close,
            volume = excluded.volume,
            trading_value = excluded.trading_value,
            market_cap = excluded.market_cap,
            listed_shares = excluded.listed_shares,
            no_trade = excluded.no_trade,
            source = excluded.source,
            fetched_at = excluded.fetched_at,
            base_price = excluded.base_price,
            repaired_from = excluded.repaired_from
        WHERE daily_bars.open IS NOT excluded.open
           OR daily_bars.high IS NOT excluded.high
           OR daily_bars.low IS NOT excluded.low
           OR daily_bars.close IS NOT excluded.close
           OR daily_bars.volume IS NOT excluded.volume
           OR daily_bars.trading_value IS NOT excluded.trading_value
           OR daily_bars.market_cap IS NOT excluded.market_cap
           OR daily_bars.listed_shares IS NOT excluded.listed_shares
           OR daily_bars.no_trade IS NOT excluded.no_trade
           OR daily_bars.base_price IS NOT excluded.base_price
           OR daily_bars.repaired_from IS NOT excluded.repaired_from
        """;

    private readonly string _connectionString;
    private readonly string _stagingConnectionString;
    private readonly DecodedSeriesMemo _decoded;

    static SqliteDialect()
    {
        // A connection is only ever used by one caller at a time (each operation opens its own), so SQLite's
        // serialized mode, which locks a mutex around every API call, buys nothing: multi-thread mode drops those
        // mutexes (~9% of the CPU of staging a large import). It must be set before SQLite initializes; if
        // something opened a database earlier, the call is refused and SQLite stays serialized, which is still correct.
        Batteries_V2.Init();
        _ = raw.sqlite3_config(raw.SQLITE_CONFIG_MULTITHREAD);
    }
    public SqliteDialect(string databasePath, TimeProvider time)
        : base(time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 300,
        }.ToString();
        _stagingConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Cache = SqliteCacheMode.Default }.ToString();
        _decoded = new DecodedSeriesMemo(time);
    }

    public override string Backend => "sqlite";

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    public override ValueTask DisposeAsync()
    {
        _decoded.Dispose();
        // Release pooled handles so the file can be moved or deleted once the store is gone.
        foreach (var connectionString in new[] { _connectionString, _stagingConnectionString })
        {
            using var connection = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(connection);
        }

        return ValueTask.CompletedTask;
    }

    // ---------------------------------------------------------------- schema

    protected override IReadOnlyList<Migration> Migrations => SqliteSchema.Migrations;

    protected override string CreateMigrationsTable => SqliteSchema.CreateMigrationsTable;

    public override async Task<int> GetSchemaVersionAsync(CancellationToken ct)
    {
        await using var connection = await OpenSqliteAsync(ct);
        await using var exists = Command(connection, null, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        await using var max = Command(connection, null, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await max.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    // ---------------------------------------------------------------- leases

    public override Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ct.ThrowIfCancellationRequested();

        // FileShare.None takes an exclusive flock on Unix (and a share lock on Windows): it excludes other
        // processes and other handles in this process alike, and the OS drops it when the holder dies.
        var path = $"{DatabasePath}.lease-{LeaseFileName(name)}";
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return Task.FromResult<StoreLease?>(null);
        }

        return Task.FromResult<StoreLease?>(new StoreLease(
            name,
            _ => Task.FromResult(file.SafeFileHandle is { IsClosed: false }),
            () => file.DisposeAsync()));
    }

    private static string LeaseFileName(string name)
    {
        var safe = new System.Text.StringBuilder(name.Length);
        foreach (var c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return safe.ToString();
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>INSERT INTO table ([run_id, ]code, …) VALUES (?1, …), (…), … for the given number of rows.</summary>
    private static string BarInsert(string table, bool withRunId, int rows)
    {
        var columns = withRunId ? StagedColumns : StagedColumns - 1;
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(withRunId ? " (run_id, " : " (").Append(BarColumns).Append(") VALUES ");
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (var column = 1; column <= columns; column++)
            {
                sql.Append(column == 1 ? "?" : ", ?").Append((row * columns) + column);
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct) => await OpenSqliteAsync(ct);

    /// <summary>A deferred transaction: it takes no lock until it reads, then sees one snapshot of the WAL.</summary>
    public override Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    public override DbParameter Text(string name, string? value) => new SqliteParameter("@" + name, SqliteType.Text) { Value = Db(value) };

    public override DbParameter Json(string name, string value) => Text(name, value);

    public override DbParameter Long(string name, long? value) => new SqliteParameter("@" + name, SqliteType.Integer) { Value = Db(value) };

    public override DbParameter Date(string name, DateOnly? value) => new SqliteParameter("@" + name, SqliteType.Text) { Value = Db(DateText(value)) };

    public override DbParameter Instant(string name, DateTimeOffset? value) =>
        new SqliteParameter("@" + name, SqliteType.Text) { Value = value is { } v ? InstantText(v) : DBNull.Value };

    public override DbParameter Decimal(string name, decimal? value) => new SqliteParameter("@" + name, DecimalValue(value));

    public override DateOnly ReadDate(DbDataReader reader, int ordinal) =>
        DateOnly.ParseExact(reader.GetString(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    public override DateTimeOffset ReadInstant(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override decimal ReadDecimal(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(long) ? reader.GetInt64(ordinal) : ToDecimal(reader.GetDouble(ordinal));

    public override bool ReadBool(DbDataReader reader, int ordinal) => reader.GetInt64(ordinal) != 0;

    public override string CaseInsensitiveLike => "LIKE";

    public override string Position(string haystack, string needle) => $"instr({haystack}, {needle})";

    public override string ForUpdate => string.Empty;

    /// <summary>One prepared statement, re-bound per row (Microsoft.Data.Sqlite keeps it prepared while the text is the same).</summary>
    protected override async Task<long> ExecuteRowsAsync<T>(DbConnection connection, DbTransaction tx, string sql, IEnumerable<T> rows,
        Action<DbParameterCollection, T> bind, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        long affected = 0;
        foreach (var row in rows)
        {
            ct.ThrowIfCancellationRequested();
            command.Parameters.Clear();
            bind(command.Parameters, row);
            affected += command.ExecuteNonQuery();
        }

        return affected;
    }

    private Task<SqliteConnection> OpenSqliteAsync(CancellationToken ct) => OpenSqliteAsync(_connectionString, ct);

    private static async Task<SqliteConnection> OpenSqliteAsync(string connectionString, CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var pragmas = Command(connection, null, ConnectionPragmas);
            await pragmas.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static object Db(object? value) => value ?? DBNull.Value;

    private static object Db(long? value) => value is { } v ? v : DBNull.Value;

    /// <summary>
    /// Whole values bind as INTEGER and fractional ones as REAL, which NUMERIC affinity keeps as they are. A
    /// fractional value reads back exactly whenever its nearest double prints as it (always up to 15 digits).
    /// </summary>
    private static object DecimalValue(decimal value) =>
        decimal.IsInteger(value) && value is >= long.MinValue and <= long.MaxValue ? (long)value : ToDouble(value);

    private static object DecimalValue(decimal? value) => value is { } v ? DecimalValue(v) : DBNull.Value;

    private static decimal ReadDecimal(SqliteDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(long) ? reader.GetInt64(ordinal) : ToDecimal(reader.GetDouble(ordinal));

    /// <summary>The double nearest to the value (the decimal-to-double cast may be one unit off in the last place).</summary>
    private static double ToDouble(decimal value)
    {
        var real = (double)value;
        if (ToDecimal(real) == value)
        {
            return real;
        }

        Span<char> text = stackalloc char[32];
        value.TryFormat(text, out var written, provider: CultureInfo.InvariantCulture);
        return double.Parse(text[..written], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>The shortest decimal that reads as this double: 0.1 stays 0.1 and 42412066953000.25 keeps its last digit.</summary>
    private static decimal ToDecimal(double value)
    {
        Span<char> text = stackalloc char[32];
        value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture);
        return decimal.Parse(text[..written], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static decimal? NullableDecimal(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadDecimal(reader, ordinal);

    private static long? NullableLong(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string DateText(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string? DateText(DateOnly? date) => date is { } d ? DateText(d) : null;

    private static DateOnly ReadDate(SqliteDataReader reader, int ordinal) =>
        DateOnly.ParseExact(reader.GetString(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string InstantText(DateTimeOffset instant) =>
        StoredValues.ToStoredInstant(instant).UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ReadInstant(SqliteDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
