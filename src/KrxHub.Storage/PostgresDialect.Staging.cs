using System.Text;
using KrxHub.Core;
using KrxHub.Core.Validation;
using Npgsql;
using NpgsqlTypes;

namespace KrxHub.Storage;

/// <summary>PostgreSQL's bulk paths: binary COPY into staging, set-based promotion under an advisory lock, batched quarantine.</summary>
internal sealed partial class PostgresDialect
{
    // Promotion in two set-based statements instead of one ON CONFLICT upsert, which costs a speculative
    // insertion per row (3× slower on a first load). Promotions are serialized by an advisory lock, so two
    // runs cannot both insert the same new key between the two statements.
    private const long PromotionLockKey = 0x4b52_5848_5542_0001; // "KRXHUB" + 1

    private const string UpdateChangedBars = """
        UPDATE daily_bars d SET
            open = s.open, high = s.high, low = s.low, close = s.close, volume = s.volume,
            trading_value = s.trading_value, market_cap = s.market_cap, listed_shares = s.listed_shares,
            no_trade = s.no_trade, source = s.source, fetched_at = s.fetched_at,
            base_price = s.base_price, repaired_from = s.repaired_from
        FROM staging_daily_bars s
        WHERE s.run_id = @run_id AND d.code = s.code AND d.date = s.date AND d.basis = s.basis
          AND (d.open, d.high, d.low, d.close, d.volume, d.trading_value, d.market_cap, d.listed_shares, d.no_trade, d.base_price, d.repaired_from)
              IS DISTINCT FROM
              (s.open, s.high, s.low, s.close, s.volume, s.trading_value, s.market_cap, s.listed_shares, s.no_trade, s.base_price, s.repaired_from)
        """;

    private const string InsertNewBars = """
        INSERT INTO daily_bars (code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from)
        SELECT s.code, s.date, s.basis, s.open, s.high, s.low, s.close, s.volume, s.trading_value, s.market_cap, s.listed_shares, s.no_trade, s.source, s.fetched_at, s.base_price, s.repaired_from
        FROM staging_daily_bars s
        WHERE s.run_id = @run_id
          AND NOT EXISTS (SELECT 1 FROM daily_bars d WHERE d.code = s.code AND d.date = s.date AND d.basis = s.basis)
        """;

    private const string InsertStagedBars = """
        INSERT INTO daily_bars (code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from)
        SELECT code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at, base_price, repaired_from
        FROM staging_daily_bars
        WHERE run_id = @run_id
        """;

    // ---------------------------------------------------------------- daily bars

    public override async Task<IReadOnlyDictionary<StockCode, StoredClose>> GetLastClosesBeforeAsync(
        IReadOnlyDictionary<StockCode, DateOnly> firstDates, PriceBasis? basis, CancellationToken ct)
    {
        var result = new Dictionary<StockCode, StoredClose>(firstDates.Count);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // basis DESC: on a date with both bases, 'raw' comes before 'adjusted'.
        await using var select = Command(connection, null, """
            SELECT k.code, last.date, last.close, last.basis
            FROM unnest(@codes::text[], @dates::date[]) AS k(code, before)
            CROSS JOIN LATERAL (
                SELECT b.date, b.close, b.basis FROM daily_bars b
                WHERE b.code = k.code AND b.date < k.before AND (@basis::text IS NULL OR b.basis = @basis::text)
                ORDER BY b.date DESC, b.basis DESC
                LIMIT 1
            ) AS last
            """);
        select.Parameters.Add(new NpgsqlParameter<string[]>("codes", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. firstDates.Keys.Select(c => c.Value)],
        });
        select.Parameters.Add(new NpgsqlParameter<DateOnly[]>("dates", NpgsqlDbType.Array | NpgsqlDbType.Date)
        {
            TypedValue = [.. firstDates.Values],
        });
        select.Parameters.Add(TextParameter("basis", basis?.Name()));
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result[StockCode.Parse(reader.GetString(0))] = new StoredClose(reader.GetFieldValue<DateOnly>(1), ReadDecimal(reader, 2), StoredValues.ParseBasis(reader.GetString(3)));
        }

        return result;
    }

    public override async Task StageDailyBarsAsync(long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bars);
        if (bars.Count == 0)
        {
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var stream = await connection.BeginRawBinaryCopyAsync(
            $"COPY staging_daily_bars (run_id, {BarColumns}) FROM STDIN (FORMAT binary)", ct);
        try
        {
            await WriteStagedRowsAsync(new PostgresBinaryRows(stream), runId, bars, ct);
        }
        catch
        {
            // Disposing the stream would complete the COPY with the rows written so far.
            await stream.CancelAsync();
            throw;
        }
    }

    /// <summary>The rows of one binary COPY; codes, dates and sources repeat, so each is encoded once.</summary>
    private static async Task WriteStagedRowsAsync(PostgresBinaryRows rows, long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct)
    {
        var codes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var sources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var raw = "raw"u8.ToArray();
        var adjusted = "adjusted"u8.ToArray();
        rows.Start();
        for (var i = 0; i < bars.Count; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }

            var bar = bars[i];
            if (!codes.TryGetValue(bar.Code.Value, out var code))
            {
                code = Encoding.UTF8.GetBytes(bar.Code.Value);
                codes[bar.Code.Value] = code;
            }

            if (!sources.TryGetValue(bar.Source, out var source))
            {
                source = Encoding.UTF8.GetBytes(bar.Source);
                sources[bar.Source] = source;
            }

            await rows.RowAsync(17, ct);
            rows.Bigint(runId);
            rows.Text(code);
            rows.Date(bar.Date);
            rows.Text(bar.Basis == PriceBasis.Raw ? raw : adjusted);
            rows.Numeric(bar.Open);
            rows.Numeric(bar.High);
            rows.Numeric(bar.Low);
            rows.Numeric(bar.Close);
            rows.Bigint(bar.Volume);
            rows.Numeric(bar.TradingValue);
            rows.Numeric(bar.MarketCap);
            rows.Bigint(bar.ListedShares);
            rows.Bool(bar.NoTrade);
            rows.Text(source);
            rows.Timestamp(StoredInstant(bar.FetchedAt));
            rows.Numeric(bar.BasePrice);
            if (bar.RepairedFrom is { } repairedFrom)
            {
                rows.Text(repairedFrom);
            }
            else
            {
                rows.Null();
            }
        }

        await rows.FinishAsync(ct);
    }

    public override async Task<IReadOnlyList<DailyBar>> UnstageDailyBarsAsync(
        long runId, IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var removed = new List<DailyBar>();
        if (keys.Count == 0)
        {
            return removed;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var columns = string.Join(", ", BarColumns.Split(", ").Select(c => "s." + c));
        await using var delete = Command(connection, null, $"""
            DELETE FROM staging_daily_bars s
            USING unnest(@codes::text[], @dates::date[]) AS k(code, date)
            WHERE s.run_id = @run_id AND s.code = k.code AND s.date = k.date
            RETURNING {columns}
            """);
        delete.Parameters.AddWithValue("run_id", runId);
        delete.Parameters.Add(new NpgsqlParameter<string[]>("codes", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. keys.Select(k => k.Code.Value)],
        });
        delete.Parameters.Add(new NpgsqlParameter<DateOnly[]>("dates", NpgsqlDbType.Array | NpgsqlDbType.Date)
        {
            TypedValue = [.. keys.Select(k => k.Date)],
        });
        await using var reader = await delete.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            removed.Add(ReadBar(reader));
        }

        return removed;
    }

    public override async Task<PromotionResult> PromoteDailyBarsAsync(long runId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var prepare = Command(connection, tx,
            $"SELECT pg_advisory_xact_lock({PromotionLockKey}); SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '256MB';"))
        {
            prepare.CommandTimeout = 0;
            await prepare.ExecuteNonQueryAsync(ct);
        }

        // One pass over the staging table for the run's number of rows and date range.
        long staged;
        DateOnly first, last;
        await using (var stats = Command(connection, tx, "SELECT count(*), min(date), max(date) FROM staging_daily_bars WHERE run_id = @run_id"))
        {
            stats.Parameters.AddWithValue("run_id", runId);
            stats.CommandTimeout = 0;
            await using var reader = await stats.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            staged = reader.GetInt64(0);
            if (staged == 0)
            {
                return new PromotionResult(0, 0);
            }

            (first, last) = (reader.GetFieldValue<DateOnly>(1), reader.GetFieldValue<DateOnly>(2));
        }

        // When production holds no bar at all within the run's dates (a first load, a new year), every staged bar is new:
        // one plain INSERT … SELECT, without ANALYZE and the joins (and their sorts of the staged rows) that find changed
        // and existing bars. Promotions are serialised by the lock above, so nothing can land in that range before this
        // commit. (Piping the rows through COPY … TO STDOUT into COPY daily_bars FROM STDIN was slower: 16.9 s against 15.3 s.)
        await using var overlap = Command(connection, tx, "SELECT EXISTS (SELECT 1 FROM daily_bars WHERE date BETWEEN @first AND @last)");
        overlap.Parameters.Add(new NpgsqlParameter<DateOnly>("first", NpgsqlDbType.Date) { TypedValue = first });
        overlap.Parameters.Add(new NpgsqlParameter<DateOnly>("last", NpgsqlDbType.Date) { TypedValue = last });
        overlap.CommandTimeout = 0;
        var allNew = !(bool)(await overlap.ExecuteScalarAsync(ct))!;

        // As on SQLite: a load as large as the table itself (a first load, a full re-import) inserts into the by-date index
        // in random order; building the index again from sorted keys afterwards is cheaper (986k bars into an empty store,
        // psql on the busy shared machine: 4.2-4.7 s instead of 5.6-6.2 s). Dropping it locks daily_bars until the commit,
        // so readers wait for such a promotion instead of reading the old rows; a failed promotion rolls the drop back.
        var rebuildDateIndex = await CountUpToAsync(connection, tx, "SELECT 1 FROM daily_bars", staged, ct) < staged;
        if (rebuildDateIndex)
        {
            await ExecuteUnlimitedAsync(connection, tx, "DROP INDEX daily_bars_by_date", ct);
        }

        long changed = 0;
        var statements = allNew ? [InsertStagedBars] : new[] { "ANALYZE staging_daily_bars", UpdateChangedBars, InsertNewBars };
        foreach (var sql in statements)
        {
            await using var promote = Command(connection, tx, sql);
            if (sql.Contains("@run_id", StringComparison.Ordinal))
            {
                promote.Parameters.AddWithValue("run_id", runId);
            }

            promote.CommandTimeout = 0;
            changed += Math.Max(0, await promote.ExecuteNonQueryAsync(ct));
        }

        if (rebuildDateIndex)
        {
            await ExecuteUnlimitedAsync(connection, tx, DailyBarsByDateIndex, ct);
        }

        await ClearStagedRunAsync(connection, tx, runId, ct);
        await tx.CommitAsync(ct);
        return new PromotionResult(changed, staged - changed);
    }

    private static async Task ExecuteUnlimitedAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Removes the run's staged rows. When no other run has rows staged, the table is truncated (transactional, and far
    /// cheaper than deleting a million rows); the exclusive lock taken first keeps other runs from staging rows between
    /// the check and the truncation (they wait for this commit).
    /// </summary>
    private static async Task ClearStagedRunAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long runId, CancellationToken ct)
    {
        await using var check = Command(connection, tx, """
            LOCK TABLE staging_daily_bars IN ACCESS EXCLUSIVE MODE;
            SELECT EXISTS (SELECT 1 FROM staging_daily_bars WHERE run_id <> @run_id);
            """);
        check.Parameters.AddWithValue("run_id", runId);
        check.CommandTimeout = 0;
        bool others;
        await using (var reader = await check.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            others = reader.GetBoolean(0);
        }

        await using var clear = Command(connection, tx, others
            ? "DELETE FROM staging_daily_bars WHERE run_id = @run_id"
            : "TRUNCATE staging_daily_bars");
        clear.Parameters.AddWithValue("run_id", runId);
        clear.CommandTimeout = 0;
        await clear.ExecuteNonQueryAsync(ct);
    }

    // ---------------------------------------------------------------- quarantine

    public override async Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteBatchedAsync(connection, tx, """
            INSERT INTO quarantine (run_id, dataset, source, code, date, reasons, payload, line, payload_hash, quarantined_at)
            VALUES (@run_id, @dataset, @source, @code, @date, @reasons, @payload, @line, @payload_hash, @quarantined_at)
            ON CONFLICT (dataset, source, payload_hash) DO NOTHING
            """, entries, (p, e) =>
        {
            p.Add(BigintParameter("run_id", e.RunId));
            p.Add(TextParameter("dataset", e.Dataset));
            p.Add(TextParameter("source", e.Source));
            p.Add(TextParameter("code", e.Code));
            p.Add(DateParameter("date", e.Date));
            p.Add(TextParameter("reasons", StoredValues.JoinReasons(e.Reasons)));
            p.Add(TextParameter("payload", e.Payload));
            p.Add(BigintParameter("line", e.Line));
            p.Add(TextParameter("payload_hash", StoredValues.PayloadHash(e.Payload)));
            p.Add(new NpgsqlParameter<DateTimeOffset>("quarantined_at", NpgsqlDbType.TimestampTz) { TypedValue = StoredInstant(e.QuarantinedAt) });
        }, ct);
        await tx.CommitAsync(ct);
    }
}
