using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KrxHub.Storage;
/// <summary>SQLite's bar-series read: straight off the rows through e_sqlite3, or from the per-basis blob cache.</summary>
internal sealed partial class SqliteDialect
{
    public override async Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct)
    {
        if (!BarSeriesCodec.IsSupported)
        {
            return await ReadBarSeriesFromRowsAsync(basis, from, to, codes, ct);
        }

        await using (var connection = await OpenSqliteAsync(ct))
        {
            // One read transaction: the state row and the blobs come from the same snapshot.
            await using var tx = connection.BeginTransaction(deferred: true);
            var (generation, cachedGeneration) = await ReadCacheStateAsync(connection, tx, basis, ct);
            if (cachedGeneration == generation)
            {
                if (codes is not null)
                {
                    return ReadCachedSeries(connection, basis, from, to, codes, ct);
                }

                var held = _decoded.Get(basis, generation);
                if (held is null)
                {
                    held = ReadCachedSeries(connection, basis, DateOnly.MinValue, DateOnly.MaxValue, null, ct);
                    _decoded.Keep(basis, generation, held);
                }

                return Sliced(held, from, to);
            }

            if (codes is not null)
            {
                // A few stocks: reading their rows is cheap; only a whole-market read pays for a rebuild.
                await tx.CommitAsync(ct);
                return await ReadBarSeriesFromRowsAsync(basis, from, to, codes, ct);
            }

            await tx.CommitAsync(ct);
            var whole = await ReadBarSeriesFromRowsAsync(basis, DateOnly.MinValue, DateOnly.MaxValue, null, ct);
            await WriteCacheAsync(basis, whole, generation, ct);
            return Sliced(whole, from, to);
        }
    }

    private static List<BarSeries> Sliced(IReadOnlyList<BarSeries> whole, DateOnly from, DateOnly to) =>
        [.. whole.Select(series => series.Slice(from, to)).Where(series => series.Count > 0)];

    private static async Task<(long Generation, long? CachedGeneration)> ReadCacheStateAsync(SqliteConnection connection, SqliteTransaction tx, PriceBasis basis, CancellationToken ct)
    {
        await using var select = Command(connection, tx, "SELECT generation, cached_generation FROM bar_series_cache_state WHERE basis = $basis");
        select.Parameters.AddWithValue("$basis", basis.Name());
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1))
            : throw new InvalidOperationException($"bar_series_cache_state has no row for {basis.Name()}");
    }

    /// <summary>
    /// Stores the whole-history series of every stock as the cache of <paramref name="basis"/>, unless a promotion
    /// committed since <paramref name="generation"/> was read (then the rows read may already be out of date, and
    /// the next whole-market read rebuilds again).
    /// </summary>
    private async Task WriteCacheAsync(PriceBasis basis, IReadOnlyList<BarSeries> series, long generation, CancellationToken ct)
    {
        var blobs = new byte[series.Count][];
        Parallel.For(0, series.Count, new ParallelOptions { CancellationToken = ct }, i => blobs[i] = BarSeriesCodec.Encode(series[i]));
        await using var connection = await OpenSqliteAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        var (current, _) = await ReadCacheStateAsync(connection, tx, basis, ct);
        if (current != generation)
        {
            return;
        }

        await using (var clear = Command(connection, tx, "DELETE FROM bar_series_cache WHERE basis = $basis"))
        {
            clear.Parameters.AddWithValue("$basis", basis.Name());
            await clear.ExecuteNonQueryAsync(ct);
        }

        await using (var insert = Command(connection, tx, "INSERT INTO bar_series_cache (basis, code, data) VALUES ($basis, $code, $data)"))
        {
            insert.Parameters.AddWithValue("$basis", basis.Name());
            var code = insert.Parameters.Add("$code", SqliteType.Text);
            var data = insert.Parameters.Add("$data", SqliteType.Blob);
            insert.Prepare();
            for (var i = 0; i < series.Count; i++)
            {
                code.Value = series[i].Code.Value;
                data.Value = blobs[i];
                await insert.ExecuteNonQueryAsync(ct);
            }
        }

        await using (var mark = Command(connection, tx, "UPDATE bar_series_cache_state SET cached_generation = generation WHERE basis = $basis"))
        {
            mark.Parameters.AddWithValue("$basis", basis.Name());
            await mark.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>The cached series of every stock (or of <paramref name="codes"/>), cut to [from, to], in code order.</summary>
    private static IReadOnlyList<BarSeries> ReadCachedSeries(SqliteConnection connection, PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var sql = "SELECT code, data FROM bar_series_cache WHERE basis = ?1"
            + (codes is null ? string.Empty : " AND code IN (SELECT value FROM json_each(?2))")
            + " ORDER BY code";
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement), db);
        try
        {
            Check(raw.sqlite3_bind_text(statement, 1, basis.Name()), db);
            if (codes is not null)
            {
                Check(raw.sqlite3_bind_text(statement, 2, JsonSerializer.Serialize(codes.Select(c => c.Value))), db);
            }

            var series = new List<BarSeries>();
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                ct.ThrowIfCancellationRequested();
                var code = StockCode.Parse(raw.sqlite3_column_text(statement, 0).utf8_to_string());
                if (BarSeriesCodec.Decode(raw.sqlite3_column_blob(statement, 1), code, basis, from, to) is { } decoded)
                {
                    series.Add(decoded);
                }
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, db);
            }

            return series;
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
    }

    /// <summary>Straight from daily_bars: the stocks named, or the whole market read in parallel slices.</summary>
    private async Task<IReadOnlyList<BarSeries>> ReadBarSeriesFromRowsAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct)
    {
        if (codes is not null)
        {
            await using var connection = await OpenSqliteAsync(ct);
            return ReadBarSeries(connection, basis, from, to, codes, null, null, ct);
        }

        // The whole market: split the code range into one slice per core, each read on its own connection (WAL
        // readers do not block each other), then concatenate in code order.
        var slices = Math.Clamp(Environment.ProcessorCount, 1, 4);
        var bounds = new List<string?> { null };
        if (slices > 1)
        {
            await using var connection = await OpenSqliteAsync(ct);
            await using var select = Command(connection, null, "SELECT code FROM stocks ORDER BY code");
            var all = new List<string>();
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    all.Add(reader.GetString(0));
                }
            }

            for (var i = 1; i < slices && all.Count >= slices; i++)
            {
                bounds.Add(all[all.Count * i / slices]);
            }
        }

        bounds.Add(null);
        var parts = await Task.WhenAll(Enumerable.Range(0, bounds.Count - 1).Select(i => Task.Run(
            async () =>
            {
                await using var connection = await OpenSqliteAsync(ct);
                return ReadBarSeries(connection, basis, from, to, null, bounds[i], bounds[i + 1], ct);
            },
            ct)));
        return [.. parts.SelectMany(p => p)];
    }

    /// <summary>Bars of [lowerCode, upperCode) (either bound may be open) or of the listed codes, ordered by code and date.</summary>
    private static IReadOnlyList<BarSeries> ReadBarSeries(
        SqliteConnection connection, PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, string? lowerCode, string? upperCode, CancellationToken ct)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");

        // "+date" keeps the planner on the primary key (code, date, basis), already in the wanted order: the date
        // index would need a sort of every row. Plain columns: SQL-side conversions (substr, typeof) cost more than
        // doing them here.
        var sql = "SELECT code, date, open, high, low, close, volume, no_trade FROM daily_bars WHERE basis = ?1 AND +date BETWEEN ?2 AND ?3"
            + (codes is null ? string.Empty : " AND code IN (SELECT value FROM json_each(?4))")
            + (lowerCode is null ? string.Empty : " AND code >= ?5")
            + (upperCode is null ? string.Empty : " AND code < ?6")
            + " ORDER BY code, date";
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement), db);
        try
        {
            Check(raw.sqlite3_bind_text(statement, 1, basis.Name()), db);
            Check(raw.sqlite3_bind_text(statement, 2, DateText(from)), db);
            Check(raw.sqlite3_bind_text(statement, 3, DateText(to)), db);
            if (codes is not null)
            {
                Check(raw.sqlite3_bind_text(statement, 4, JsonSerializer.Serialize(codes.Select(c => c.Value))), db);
            }

            if (lowerCode is not null)
            {
                Check(raw.sqlite3_bind_text(statement, 5, lowerCode), db);
            }

            if (upperCode is not null)
            {
                Check(raw.sqlite3_bind_text(statement, 6, upperCode), db);
            }

            var builder = new BarSeriesBuilder(basis);
            var handle = statement.DangerousGetHandle();
            var current = new byte[16];
            var code = new byte[16];
            var date = new byte[10];
            var currentLength = -1;
            var rows = 0;
            int rc;
            while ((rc = NativeSqlite.Step(handle)) == raw.SQLITE_ROW)
            {
                if ((++rows & 0xFFFF) == 0)
                {
                    ct.ThrowIfCancellationRequested();
                }

                var length = NativeSqlite.ColumnBytes(handle, 0);
                if (length > code.Length)
                {
                    throw new InvalidDataException($"a stored code is {length} bytes long");
                }

                Marshal.Copy(NativeSqlite.ColumnBlob(handle, 0), code, 0, length);
                if (length != currentLength || !code.AsSpan(0, length).SequenceEqual(current.AsSpan(0, length)))
                {
                    code.AsSpan(0, length).CopyTo(current);
                    currentLength = length;
                    builder.StartStock(StockCode.Parse(Encoding.UTF8.GetString(code, 0, length)));
                }

                if (NativeSqlite.ColumnBytes(handle, 1) != 10)
                {
                    throw new InvalidDataException("a stored date is not yyyy-MM-dd");
                }

                Marshal.Copy(NativeSqlite.ColumnBlob(handle, 1), date, 0, 10);
                builder.Add(
                    ParseDate(date),
                    NativeDecimal(statement, handle, 2),
                    NativeDecimal(statement, handle, 3),
                    NativeDecimal(statement, handle, 4),
                    NativeDecimal(statement, handle, 5),
                    NativeSqlite.ColumnInt64(handle, 6),
                    NativeSqlite.ColumnInt64(handle, 7) != 0);
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc, db);
            }

            GC.KeepAlive(statement);
            return builder.Finish();
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
    }

    private static decimal NativeDecimal(sqlite3_stmt statement, IntPtr handle, int index) =>
        NativeSqlite.ColumnType(handle, index) == raw.SQLITE_INTEGER ? NativeSqlite.ColumnInt64(handle, index) : ColumnDecimal(statement, index);

    private static decimal ColumnDecimal(sqlite3_stmt statement, int index) =>
        raw.sqlite3_column_type(statement, index) == raw.SQLITE_INTEGER
            ? raw.sqlite3_column_int64(statement, index)
            : ToDecimal(raw.sqlite3_column_double(statement, index));

    /// <summary>Parses a stored 'yyyy-MM-dd' date from its UTF-8 bytes.</summary>
    private static DateOnly ParseDate(ReadOnlySpan<byte> text)
    {
        if (text.Length != 10 || text[4] != (byte)'-' || text[7] != (byte)'-')
        {
            throw new InvalidDataException($"stored date '{Encoding.UTF8.GetString(text)}' is not yyyy-MM-dd");
        }

        static int Digits(ReadOnlySpan<byte> s)
        {
            var value = 0;
            foreach (var b in s)
            {
                value = (value * 10) + (b - (byte)'0');
            }

            return value;
        }

        return new DateOnly(Digits(text[..4]), Digits(text[5..7]), Digits(text[8..10]));
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }
    }
}
