using System.Data.Common;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Validation;

namespace KrxHub.Storage;

/// <summary>
/// What really differs between the two backends, and nothing else: opening and migration, value binding and reading
/// (SQLite keeps dates and instants as ISO text and decimals as INTEGER or REAL; PostgreSQL has date, timestamptz and
/// numeric), a few SQL fragments, and the bulk paths (staging, promotion, quarantine, the bar-series read, the lease).
/// Every query both backends share is written once in <see cref="MarketStore"/>, with <c>@name</c> parameters.
/// </summary>
internal abstract class StoreDialect : IAsyncDisposable
{
    /// <summary>The by-date index of daily_bars, as migration 1 creates it on both backends (promotions of large loads rebuild it).</summary>
    internal const string DailyBarsByDateIndex = "CREATE INDEX daily_bars_by_date ON daily_bars (date, basis)";

    /// <summary>The columns of a daily bar, in the order <see cref="ReadBar"/> reads them.</summary>
    public const string BarColumns =
        "code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from";

    protected StoreDialect(TimeProvider time) => Time = time;

    protected TimeProvider Time { get; }

    /// <summary>"sqlite" or "postgresql".</summary>
    public abstract string Backend { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A connection that also reaches the staging tables (SQLite keeps them in a file of their own).</summary>
    public virtual Task<DbConnection> OpenWithStagingAsync(CancellationToken ct) => OpenAsync(ct);

    /// <summary>A transaction that only reads, seeing one snapshot (SQLite: deferred; PostgreSQL: repeatable read).</summary>
    public abstract Task<DbTransaction> BeginReadAsync(DbConnection connection, CancellationToken ct);

    /// <summary>This dialect's schema steps; both dialects have the same versions.</summary>
    protected abstract IReadOnlyList<Migration> Migrations { get; }

    /// <summary>The DDL of the schema_migrations table (CREATE TABLE IF NOT EXISTS).</summary>
    protected abstract string CreateMigrationsTable { get; }

    /// <summary>Makes concurrent migrations wait for each other inside <paramref name="tx"/> (SQLite's write lock already does).</summary>
    protected virtual Task LockForMigrationAsync(DbConnection connection, DbTransaction tx, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Applies the missing schema steps in one transaction, recording each in schema_migrations.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockForMigrationAsync(connection, tx, ct);
        await using (var create = Command(connection, tx, CreateMigrationsTable))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var applied = new HashSet<int>();
        await using (var select = Command(connection, tx, "SELECT version FROM schema_migrations"))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in Migrations.Where(m => !applied.Contains(m.Version)))
        {
            await using (var step = Command(connection, tx, migration.Sql))
            {
                await step.ExecuteNonQueryAsync(ct);
            }

            await using var record = Command(connection, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at)");
            record.Parameters.Add(Long("version", migration.Version));
            record.Parameters.Add(Instant("applied_at", Time.GetUtcNow()));
            await record.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        await AfterMigrationAsync(ct);
    }

    /// <summary>What a dialect prepares beside its schema once it is migrated (SQLite: the staging file).</summary>
    protected virtual Task AfterMigrationAsync(CancellationToken ct) => Task.CompletedTask;

    public abstract Task<int> GetSchemaVersionAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    // ---------------------------------------------------------------- values

    public abstract DbParameter Text(string name, string? value);

    /// <summary>A JSON document (PostgreSQL json; SQLite text).</summary>
    public abstract DbParameter Json(string name, string value);

    public abstract DbParameter Long(string name, long? value);

    public abstract DbParameter Date(string name, DateOnly? value);

    /// <summary>An instant, stored in UTC with microsecond precision on both backends (<see cref="StoredValues.ToStoredInstant"/>).</summary>
    public abstract DbParameter Instant(string name, DateTimeOffset? value);

    public abstract DbParameter Decimal(string name, decimal? value);

    public abstract DateOnly ReadDate(DbDataReader reader, int ordinal);

    public abstract DateTimeOffset ReadInstant(DbDataReader reader, int ordinal);

    public abstract decimal ReadDecimal(DbDataReader reader, int ordinal);

    public abstract bool ReadBool(DbDataReader reader, int ordinal);

    // ---------------------------------------------------------------- SQL fragments

    /// <summary>A case-insensitive LIKE: SQLite's LIKE already ignores ASCII case (Korean names have none); PostgreSQL's ILIKE.</summary>
    public abstract string CaseInsensitiveLike { get; }

    /// <summary>An expression that is positive when <paramref name="needle"/> occurs in <paramref name="haystack"/>.</summary>
    public abstract string Position(string haystack, string needle);

    /// <summary>Appended to a SELECT that should lock its rows until the transaction ends (nothing on SQLite, which locks the file).</summary>
    public abstract string ForUpdate { get; }

    // ---------------------------------------------------------------- statements

    /// <summary>
    /// Runs <paramref name="sql"/> once per row, in order, in one transaction of its own (a key repeated within the rows
    /// is applied twice), binding each row's parameters with <paramref name="bind"/>. Returns the rows affected.
    /// </summary>
    public async Task<long> ExecuteEachAsync<T>(string sql, IEnumerable<T> rows, Action<DbParameterCollection, T> bind, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var affected = await ExecuteRowsAsync(connection, tx, sql, rows, bind, ct);
        await tx.CommitAsync(ct);
        return affected;
    }

    /// <summary>The statement of <see cref="ExecuteEachAsync{T}"/> per row, the way this backend runs many of them fastest.</summary>
    protected abstract Task<long> ExecuteRowsAsync<T>(DbConnection connection, DbTransaction tx, string sql, IEnumerable<T> rows,
        Action<DbParameterCollection, T> bind, CancellationToken ct);

    // ---------------------------------------------------------------- bulk paths

    /// <summary>For each code, its last close strictly before the given date on <paramref name="basis"/> (either basis when null: raw where both have that date).</summary>
    public abstract Task<IReadOnlyDictionary<StockCode, StoredClose>> GetLastClosesBeforeAsync(
        IReadOnlyDictionary<StockCode, DateOnly> firstDates, PriceBasis? basis, CancellationToken ct);

    public abstract Task StageDailyBarsAsync(long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct);

    public abstract Task<IReadOnlyList<DailyBar>> UnstageDailyBarsAsync(long runId, IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct);

    public abstract Task<PromotionResult> PromoteDailyBarsAsync(long runId, CancellationToken ct);

    /// <summary>A load straight into daily_bars when this backend has one and the run qualifies, else null (staged).</summary>
    public virtual Task<DailyBarLoad?> TryBeginFirstLoadAsync(long runId, PriceBasis basis, CancellationToken ct) => Task.FromResult<DailyBarLoad?>(null);

    public abstract Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct);

    public abstract Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct);

    public abstract Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct);

    // ---------------------------------------------------------------- shared plumbing

    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// How many rows <paramref name="select"/> returns, counting no further than <paramref name="limit"/>: whether a
    /// promotion's load is as large as the table, without counting a large table to its end. No command timeout: it runs
    /// inside a promotion, after its lock.
    /// </summary>
    protected static async Task<long> CountUpToAsync(DbConnection connection, DbTransaction tx, string select, long limit, CancellationToken ct)
    {
        await using var count = Command(connection, tx, $"SELECT count(*) FROM ({select} LIMIT @limit) AS limited");
        var parameter = count.CreateParameter();
        (parameter.ParameterName, parameter.Value) = ("limit", limit);
        count.Parameters.Add(parameter);
        count.CommandTimeout = 0;
        return Convert.ToInt64(await count.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reads the columns of <see cref="BarColumns"/>, in order.</summary>
    public DailyBar ReadBar(DbDataReader reader) => new(
        StockCode.Parse(reader.GetString(0)),
        ReadDate(reader, 1),
        ReadDecimal(reader, 3),
        ReadDecimal(reader, 4),
        ReadDecimal(reader, 5),
        ReadDecimal(reader, 6),
        reader.GetInt64(7),
        NullableDecimal(reader, 8),
        NullableDecimal(reader, 9),
        NullableLong(reader, 10),
        StoredValues.ParseBasis(reader.GetString(2)),
        reader.GetString(12),
        ReadInstant(reader, 13),
        ReadBool(reader, 11))
    {
        BasePrice = NullableDecimal(reader, 14),
        RepairedFrom = NullableString(reader, 15),
    };

    public decimal? NullableDecimal(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadDecimal(reader, ordinal);

    public DateOnly? NullableDate(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadDate(reader, ordinal);

    public DateTimeOffset? NullableInstant(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadInstant(reader, ordinal);

    public static long? NullableLong(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

/// <summary>One schema step of one dialect; versions are shared by both dialects.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
