using System.Globalization;
using System.Text;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Validation;
using Npgsql;
using NpgsqlTypes;

namespace KrxHub.Storage;

/// <summary>
/// The scale store on PostgreSQL: daily bars partitioned by year, bulk loads by COPY (text format) into an unlogged
/// staging table, promotion by one INSERT … SELECT … ON CONFLICT per run.
/// </summary>
public sealed partial class PostgresMarketStore : IMarketStore
{
    private const int BatchSize = 1000;

    private const string BarColumns =
        "code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at";

    // Promotion in two set-based statements instead of one ON CONFLICT upsert, which costs a speculative
    // insertion per row (3× slower on a first load). Promotions are serialized by an advisory lock, so two
    // runs cannot both insert the same new key between the two statements.
    private const long PromotionLockKey = 0x4b52_5848_5542_0001; // "KRXHUB" + 1

    private const string UpdateChangedBars = """
        UPDATE daily_bars d SET
            open = s.open, high = s.high, low = s.low, close = s.close, volume = s.volume,
            trading_value = s.trading_value, market_cap = s.market_cap, listed_shares = s.listed_shares,
            no_trade = s.no_trade, source = s.source, fetched_at = s.fetched_at
        FROM staging_daily_bars s
        WHERE s.run_id = @run_id AND d.code = s.code AND d.date = s.date AND d.basis = s.basis
          AND (d.open, d.high, d.low, d.close, d.volume, d.trading_value, d.market_cap, d.listed_shares, d.no_trade)
              IS DISTINCT FROM
              (s.open, s.high, s.low, s.close, s.volume, s.trading_value, s.market_cap, s.listed_shares, s.no_trade)
        """;

    private const string InsertNewBars = """
        INSERT INTO daily_bars (code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at)
        SELECT s.code, s.date, s.basis, s.open, s.high, s.low, s.close, s.volume, s.trading_value, s.market_cap, s.listed_shares, s.no_trade, s.source, s.fetched_at
        FROM staging_daily_bars s
        WHERE s.run_id = @run_id
          AND NOT EXISTS (SELECT 1 FROM daily_bars d WHERE d.code = s.code AND d.date = s.date AND d.basis = s.basis)
        """;

    private const string InsertStagedBars = """
        INSERT INTO daily_bars (code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at)
        SELECT code, date, basis, open, high, low, close, volume, trading_value, market_cap, listed_shares, no_trade, source, fetched_at
        FROM staging_daily_bars
        WHERE run_id = @run_id
        """;

    private const string UpsertStock = """
        INSERT INTO stocks (code, name, name_en, market, segment, isin, security_group, share_class, listing_date, delisting_date, listed_shares, industry, updated_at, as_of)
        VALUES (@code, @name, @name_en, @market, @segment, @isin, @security_group, @share_class, @listing_date, @delisting_date, @listed_shares, @industry, @updated_at, @as_of)
        ON CONFLICT (code) DO UPDATE SET
            name = excluded.name,
            name_en = COALESCE(excluded.name_en, stocks.name_en),
            market = excluded.market,
            segment = COALESCE(excluded.segment, stocks.segment),
            isin = COALESCE(excluded.isin, stocks.isin),
            security_group = COALESCE(excluded.security_group, stocks.security_group),
            share_class = COALESCE(excluded.share_class, stocks.share_class),
            listing_date = COALESCE(excluded.listing_date, stocks.listing_date),
            delisting_date = COALESCE(excluded.delisting_date, stocks.delisting_date),
            listed_shares = COALESCE(excluded.listed_shares, stocks.listed_shares),
            industry = COALESCE(excluded.industry, stocks.industry),
            updated_at = excluded.updated_at,
            as_of = COALESCE(excluded.as_of, stocks.as_of)
        WHERE (excluded.as_of IS NULL OR stocks.as_of IS NULL OR excluded.as_of >= stocks.as_of) AND ((stocks.name, stocks.market, stocks.name_en, stocks.segment, stocks.isin, stocks.security_group,
               stocks.share_class, stocks.listing_date, stocks.delisting_date, stocks.listed_shares, stocks.industry)
              IS DISTINCT FROM
              (excluded.name, excluded.market,
               COALESCE(excluded.name_en, stocks.name_en), COALESCE(excluded.segment, stocks.segment),
               COALESCE(excluded.isin, stocks.isin), COALESCE(excluded.security_group, stocks.security_group),
               COALESCE(excluded.share_class, stocks.share_class), COALESCE(excluded.listing_date, stocks.listing_date),
               COALESCE(excluded.delisting_date, stocks.delisting_date), COALESCE(excluded.listed_shares, stocks.listed_shares),
               COALESCE(excluded.industry, stocks.industry))
           OR stocks.as_of IS DISTINCT FROM COALESCE(excluded.as_of, stocks.as_of))
        """;

    private const string StockColumns =
        "code, name, name_en, market, segment, isin, security_group, share_class, listing_date, delisting_date, listed_shares, industry, as_of";

    // {0} is the table, {1} its key column (code or market).
    private const string UpsertFlowTemplate = """
        INSERT INTO {0} ({1}, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at)
        VALUES (@key, @date, @investor, @buy_volume, @sell_volume, @net_volume, @buy_value, @sell_value, @net_value, @source, @fetched_at)
        ON CONFLICT ({1}, date, investor) DO UPDATE SET
            buy_volume = COALESCE(excluded.buy_volume, {0}.buy_volume),
            sell_volume = COALESCE(excluded.sell_volume, {0}.sell_volume),
            net_volume = COALESCE(excluded.net_volume, {0}.net_volume),
            buy_value = COALESCE(excluded.buy_value, {0}.buy_value),
            sell_value = COALESCE(excluded.sell_value, {0}.sell_value),
            net_value = COALESCE(excluded.net_value, {0}.net_value),
            source = excluded.source,
            fetched_at = excluded.fetched_at
        WHERE ({0}.buy_volume, {0}.sell_volume, {0}.net_volume, {0}.buy_value, {0}.sell_value, {0}.net_value)
              IS DISTINCT FROM
              (COALESCE(excluded.buy_volume, {0}.buy_volume), COALESCE(excluded.sell_volume, {0}.sell_volume),
               COALESCE(excluded.net_volume, {0}.net_volume), COALESCE(excluded.buy_value, {0}.buy_value),
               COALESCE(excluded.sell_value, {0}.sell_value), COALESCE(excluded.net_value, {0}.net_value))
        """;

    private const string RunColumns =
        "id, job, parameters, status, rows_read, rows_accepted, rows_quarantined, rows_changed, started_at, finished_at, error, host, process_id";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    public PostgresMarketStore(string connectionString, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _time = time ?? TimeProvider.System;
    }

    public string Backend => "postgresql";

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    // ---------------------------------------------------------------- schema

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Nodes starting together queue here; the lock goes with the transaction.
        await using (var lockCommand = Command(connection, tx, "SELECT pg_advisory_xact_lock(@key)"))
        {
            lockCommand.Parameters.AddWithValue("key", PostgresSchema.MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        await ExecuteAsync(connection, tx, PostgresSchema.CreateMigrationsTable, ct);
        var applied = new HashSet<int>();
        await using (var select = Command(connection, tx, "SELECT version FROM schema_migrations"))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in PostgresSchema.Migrations.Where(m => !applied.Contains(m.Version)))
        {
            await ExecuteAsync(connection, tx, migration.Sql, ct);
            await using var record = Command(connection, tx, "INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @applied_at)");
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("applied_at", Instant(_time.GetUtcNow()));
            await record.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken ct)
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

    // ---------------------------------------------------------------- stocks

    public async Task UpsertStocksAsync(IReadOnlyCollection<Stock> stocks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stocks);
        if (stocks.Count == 0)
        {
            return;
        }

        var updatedAt = Instant(_time.GetUtcNow());
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteBatchedAsync(connection, tx, UpsertStock, stocks, (p, s) =>
        {
            p.Add(Text("code", s.Code.Value));
            p.Add(Text("name", s.Name));
            p.Add(Text("name_en", s.NameEn));
            p.Add(Text("market", s.Market.Name()));
            p.Add(Text("segment", s.Segment));
            p.Add(Text("isin", s.Isin));
            p.Add(Text("security_group", s.SecurityGroup));
            p.Add(Text("share_class", s.ShareClass));
            p.Add(Date("listing_date", s.ListingDate));
            p.Add(Date("delisting_date", s.DelistingDate));
            p.Add(Bigint("listed_shares", s.ListedShares));
            p.Add(Text("industry", s.Industry));
            p.Add(new NpgsqlParameter<DateTimeOffset>("updated_at", NpgsqlDbType.TimestampTz) { TypedValue = updatedAt });
            p.Add(Date("as_of", s.AsOf));
        }, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<Stock>> GetAllStocksAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, $"SELECT {StockColumns} FROM stocks ORDER BY code");
        return await ReadStocksAsync(select, ct);
    }

    public async Task<Stock?> GetStockAsync(StockCode code, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, $"SELECT {StockColumns} FROM stocks WHERE code = @code");
        select.Parameters.Add(Text("code", code.Value));
        var stocks = await ReadStocksAsync(select, ct);
        return stocks.Count == 0 ? null : stocks[0];
    }

    public async Task<IReadOnlyList<Stock>> SearchStocksAsync(Market? market, string? query, int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string>();
        if (market is { } m)
        {
            where.Add("market = @market");
            select.Parameters.Add(Text("market", m.Name()));
        }

        var text = query?.Trim();
        if (!string.IsNullOrEmpty(text))
        {
            var escaped = StoredValues.EscapeLike(text);
            where.Add(@"(code LIKE @prefix ESCAPE '\' OR name ILIKE @contains ESCAPE '\' OR name_en ILIKE @contains ESCAPE '\')");
            select.Parameters.Add(Text("prefix", escaped.ToUpperInvariant() + "%"));
            select.Parameters.Add(Text("contains", "%" + escaped + "%"));
        }

        select.CommandText = $"SELECT {StockColumns} FROM stocks {Where(where)} ORDER BY code LIMIT @limit OFFSET @offset";
        select.Parameters.AddWithValue("limit", limit);
        select.Parameters.AddWithValue("offset", offset);
        return await ReadStocksAsync(select, ct);
    }

    public async Task<long> CountStocksAsync(CancellationToken ct) => await ScalarLongAsync("SELECT count(*) FROM stocks", ct);

    // ---------------------------------------------------------------- daily bars

    public async Task<IReadOnlyDictionary<StockCode, PreviousClose>> GetLastRawClosesBeforeAsync(
        IReadOnlyDictionary<StockCode, DateOnly> firstDates, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(firstDates);
        var result = new Dictionary<StockCode, PreviousClose>(firstDates.Count);
        if (firstDates.Count == 0)
        {
            return result;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT k.code, last.date, last.close
            FROM unnest(@codes::text[], @dates::date[]) AS k(code, before)
            CROSS JOIN LATERAL (
                SELECT b.date, b.close FROM daily_bars b
                WHERE b.code = k.code AND b.date < k.before AND b.basis = 'raw'
                ORDER BY b.date DESC
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
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result[StockCode.Parse(reader.GetString(0))] = new PreviousClose(reader.GetFieldValue<DateOnly>(1), ReadDecimal(reader, 2));
        }

        return result;
    }

    public async Task StageDailyBarsAsync(long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct)
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

            await rows.RowAsync(15, ct);
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
            rows.Timestamp(Instant(bar.FetchedAt));
        }

        await rows.FinishAsync(ct);
    }

    public async Task<IReadOnlyList<DailyBar>> UnstageDailyBarsAsync(
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

    public async Task<PromotionResult> PromoteDailyBarsAsync(long runId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var prepare = Command(connection, tx, $"SELECT pg_advisory_xact_lock({PromotionLockKey}); SET LOCAL work_mem = '256MB';"))
        {
            prepare.CommandTimeout = 0;
            await prepare.ExecuteNonQueryAsync(ct);
        }

        // When production holds no bar at all within the run's dates (a first load, a new year), every staged bar is new:
        // one plain INSERT … SELECT, without ANALYZE and the joins (and their sorts of the staged rows) that find changed
        // and existing bars. Promotions are serialised by the lock above, so nothing can land in that range before this
        // commit. (Piping the rows through COPY … TO STDOUT into COPY daily_bars FROM STDIN was slower: 16.9 s against 15.3 s.)
        await using var overlap = Command(connection, tx, """
            SELECT EXISTS (
                SELECT 1 FROM daily_bars
                WHERE date BETWEEN (SELECT min(date) FROM staging_daily_bars WHERE run_id = @run_id)
                               AND (SELECT max(date) FROM staging_daily_bars WHERE run_id = @run_id))
            """);
        overlap.Parameters.AddWithValue("run_id", runId);
        overlap.CommandTimeout = 0;
        var allNew = !(bool)(await overlap.ExecuteScalarAsync(ct))!;

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

        long staged = await ClearStagedRunAsync(connection, tx, runId, ct);
        await tx.CommitAsync(ct);
        return new PromotionResult(changed, staged - changed);
    }

    /// <summary>
    /// Removes the run's staged rows and returns how many there were. When no other run has rows staged, the
    /// table is truncated (transactional, and far cheaper than deleting a million rows); the exclusive lock
    /// taken first keeps other runs from staging rows between the check and the truncation (they wait for
    /// this commit).
    /// </summary>
    private static async Task<long> ClearStagedRunAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long runId, CancellationToken ct)
    {
        await using var check = Command(connection, tx, """
            LOCK TABLE staging_daily_bars IN ACCESS EXCLUSIVE MODE;
            SELECT count(*) FILTER (WHERE run_id = @run_id), count(*) FILTER (WHERE run_id <> @run_id) FROM staging_daily_bars;
            """);
        check.Parameters.AddWithValue("run_id", runId);
        check.CommandTimeout = 0;
        long staged, others;
        await using (var reader = await check.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (staged, others) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        await using var clear = Command(connection, tx, others == 0
            ? "TRUNCATE staging_daily_bars"
            : "DELETE FROM staging_daily_bars WHERE run_id = @run_id");
        clear.Parameters.AddWithValue("run_id", runId);
        clear.CommandTimeout = 0;
        await clear.ExecuteNonQueryAsync(ct);
        return staged;
    }

    public async Task DeleteStaleStagingAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var delete = Command(connection, null, """
            DELETE FROM staging_daily_bars s
            WHERE NOT EXISTS (SELECT 1 FROM collection_runs r WHERE r.id = s.run_id AND r.status = 'running')
            """);
        await delete.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<DailyBar>> GetBarsAsync(StockCode code, DateOnly from, DateOnly to, PriceBasis basis, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {BarColumns} FROM daily_bars
            WHERE code = @code AND date BETWEEN @from AND @to AND basis = @basis
            ORDER BY date
            """);
        select.Parameters.Add(Text("code", code.Value));
        select.Parameters.Add(Date("from", from));
        select.Parameters.Add(Date("to", to));
        select.Parameters.Add(Text("basis", basis.Name()));
        return await ReadBarsAsync(select, ct);
    }

    public async Task<IReadOnlyList<DailyBar>> GetBarsOnDateAsync(DateOnly date, Market? market, PriceBasis? basis, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string> { "b.date = @date" };
        select.Parameters.Add(Date("date", date));
        var join = string.Empty;
        if (market is { } m)
        {
            join = "JOIN stocks s ON s.code = b.code";
            where.Add("s.market = @market");
            select.Parameters.Add(Text("market", m.Name()));
        }

        if (basis is { } b)
        {
            where.Add("b.basis = @basis");
            select.Parameters.Add(Text("basis", b.Name()));
        }

        var columns = string.Join(", ", BarColumns.Split(", ").Select(c => "b." + c));
        select.CommandText = $"SELECT {columns} FROM daily_bars b {join} {Where(where)} ORDER BY b.code, b.basis";
        return await ReadBarsAsync(select, ct);
    }

    public async Task<long> CountDailyBarsAsync(CancellationToken ct) => await ScalarLongAsync("SELECT count(*) FROM daily_bars", ct);

    public async Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT code, date, open, high, low, close, volume, no_trade FROM daily_bars
            WHERE basis = @basis AND date BETWEEN @from AND @to
            """ + (codes is null ? string.Empty : " AND code = ANY(@codes)") + " ORDER BY code, date");
        select.Parameters.Add(Text("basis", basis.Name()));
        select.Parameters.Add(Date("from", from));
        select.Parameters.Add(Date("to", to));
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

    public async Task<IReadOnlyList<DateOnly>> GetDatesWithBarsAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // Hops from one date to the next on the (date, basis) index: one seek per session, not one read per bar.
        await using var select = Command(connection, null, """
            WITH RECURSIVE dates(date) AS (
                SELECT min(date) FROM daily_bars WHERE date >= @from
                UNION ALL
                SELECT (SELECT min(b.date) FROM daily_bars b WHERE b.date > dates.date)
                FROM dates WHERE dates.date < @to
            )
            SELECT date FROM dates WHERE date <= @to ORDER BY date
            """);
        select.Parameters.Add(Date("from", from));
        select.Parameters.Add(Date("to", to));
        var dates = new List<DateOnly>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            dates.Add(reader.GetFieldValue<DateOnly>(0));
        }

        return dates;
    }

    // ---------------------------------------------------------------- investor flows

    public async Task<PromotionResult> PromoteInvestorFlowsAsync(IReadOnlyList<InvestorFlow> flows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return await PromoteFlowsAsync("investor_flows", "code", flows, (p, f) =>
        {
            p.Add(Text("key", f.Code.Value));
            BindMeasures(p, f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);
        }, ct);
    }

    public async Task<PromotionResult> PromoteMarketInvestorFlowsAsync(IReadOnlyList<MarketInvestorFlow> flows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return await PromoteFlowsAsync("market_investor_flows", "market", flows, (p, f) =>
        {
            p.Add(Text("key", f.Market.Name()));
            BindMeasures(p, f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);
        }, ct);
    }

    public async Task<IReadOnlyList<InvestorFlow>> GetInvestorFlowsAsync(StockCode code, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT code, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at
            FROM investor_flows
            WHERE code = @code AND date BETWEEN @from AND @to
            """);
        select.Parameters.Add(Text("code", code.Value));
        select.Parameters.Add(Date("from", from));
        select.Parameters.Add(Date("to", to));
        var flows = new List<InvestorFlow>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            flows.Add(new InvestorFlow(
                StockCode.Parse(reader.GetString(0)),
                reader.GetFieldValue<DateOnly>(1),
                StoredValues.ParseInvestor(reader.GetString(2)),
                NullableLong(reader, 3),
                NullableLong(reader, 4),
                NullableLong(reader, 5),
                NullableDecimal(reader, 6),
                NullableDecimal(reader, 7),
                NullableDecimal(reader, 8),
                reader.GetString(9),
                reader.GetFieldValue<DateTimeOffset>(10)));
        }

        return [.. flows.OrderBy(f => f.Date).ThenBy(f => f.Investor)];
    }

    // ---------------------------------------------------------------- minute bars

    public async Task<PromotionResult> UpsertMinuteBarsAsync(IReadOnlyList<MinuteBar> bars, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bars);
        if (bars.Count == 0)
        {
            return default;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var batch = new NpgsqlBatch(connection, tx);
        await using (batch)
        {
            foreach (var bar in bars)
            {
                // The WHERE on the update keeps identical re-deliveries from counting (and from rewriting the row).
                var command = new NpgsqlBatchCommand("""
                    INSERT INTO minute_bars (code, ts, open, high, low, close, volume, trading_value, source, fetched_at)
                    VALUES (@code, @ts, @open, @high, @low, @close, @volume, @value, @source, @fetched_at)
                    ON CONFLICT (code, ts) DO UPDATE SET
                        open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
                        volume = excluded.volume, trading_value = excluded.trading_value,
                        source = excluded.source, fetched_at = excluded.fetched_at
                    WHERE (minute_bars.open, minute_bars.high, minute_bars.low, minute_bars.close, minute_bars.volume,
                           minute_bars.trading_value, minute_bars.source)
                          IS DISTINCT FROM
                          (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume,
                           excluded.trading_value, excluded.source)
                    """);
                command.Parameters.Add(Text("code", bar.Code.Value));
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("ts", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = bar.Start.ToUniversalTime() });
                command.Parameters.Add(Numeric("open", bar.Open));
                command.Parameters.Add(Numeric("high", bar.High));
                command.Parameters.Add(Numeric("low", bar.Low));
                command.Parameters.Add(Numeric("close", bar.Close));
                command.Parameters.Add(Bigint("volume", bar.Volume));
                command.Parameters.Add(Numeric("value", bar.TradingValue));
                command.Parameters.Add(Text("source", bar.Source));
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("fetched_at", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = bar.FetchedAt.ToUniversalTime() });
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(ct);
            long changed = 0;
            foreach (var executed in batch.BatchCommands)
            {
                changed += executed.RecordsAffected;
            }

            await tx.CommitAsync(ct);
            return new PromotionResult(changed, bars.Count - changed);
        }
    }

    public async Task<IReadOnlyList<MinuteBar>> GetMinuteBarsAsync(StockCode code, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, """
            SELECT ts, open, high, low, close, volume, trading_value, source, fetched_at
            FROM minute_bars
            WHERE code = @code AND ts >= @from AND ts < @to
            ORDER BY ts
            """);
        select.Parameters.Add(Text("code", code.Value));
        select.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = from.ToUniversalTime() });
        select.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", NpgsqlTypes.NpgsqlDbType.TimestampTz) { TypedValue = to.ToUniversalTime() });
        var bars = new List<MinuteBar>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            bars.Add(new MinuteBar(
                code,
                reader.GetFieldValue<DateTimeOffset>(0).ToOffset(KrxCalendar.KstOffset),
                ReadDecimal(reader, 1),
                ReadDecimal(reader, 2),
                ReadDecimal(reader, 3),
                ReadDecimal(reader, 4),
                reader.GetInt64(5),
                NullableDecimal(reader, 6),
                reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return bars;
    }

    // ---------------------------------------------------------------- leases

    public async Task<StoreLease?> TryAcquireLeaseAsync(string name, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        // A session-level advisory lock lives as long as this one connection, which the lease keeps open:
        // if the holder dies or its connection drops, PostgreSQL releases the lock for the next node.
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var acquire = Command(connection, null, "SELECT pg_try_advisory_lock(hashtextextended(@key, 0))");
            acquire.Parameters.Add(Text("key", "krxhub:" + name));
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
                    release.Parameters.Add(Text("key", "krxhub:" + name));
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

    // ---------------------------------------------------------------- index constituents

    public async Task UpsertIndexConstituentsAsync(IReadOnlyList<IndexConstituent> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteBatchedAsync(connection, tx, """
            INSERT INTO index_constituents (index_code, date, code, weight)
            VALUES (@index_code, @date, @code, @weight)
            ON CONFLICT (index_code, date, code) DO UPDATE SET weight = COALESCE(excluded.weight, index_constituents.weight)
            """, rows, (p, r) =>
        {
            p.Add(Text("index_code", r.IndexCode));
            p.Add(Date("date", r.Date));
            p.Add(Text("code", r.Code.Value));
            p.Add(Numeric("weight", r.Weight));
        }, ct);
        await tx.CommitAsync(ct);
    }

    // ---------------------------------------------------------------- quarantine

    public async Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct)
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
            p.Add(Bigint("run_id", e.RunId));
            p.Add(Text("dataset", e.Dataset));
            p.Add(Text("source", e.Source));
            p.Add(Text("code", e.Code));
            p.Add(Date("date", e.Date));
            p.Add(Text("reasons", StoredValues.JoinReasons(e.Reasons)));
            p.Add(Text("payload", e.Payload));
            p.Add(Bigint("line", e.Line));
            p.Add(Text("payload_hash", StoredValues.PayloadHash(e.Payload)));
            p.Add(new NpgsqlParameter<DateTimeOffset>("quarantined_at", NpgsqlDbType.TimestampTz) { TypedValue = Instant(e.QuarantinedAt) });
        }, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<QuarantineEntry>> GetQuarantineAsync(DateOnly? date, string? reason, int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string>();
        if (date is { } d)
        {
            where.Add("date = @date");
            select.Parameters.Add(Date("date", d));
        }

        if (!string.IsNullOrWhiteSpace(reason))
        {
            where.Add("strpos(',' || reasons || ',', ',' || @reason || ',') > 0");
            select.Parameters.Add(Text("reason", reason.Trim()));
        }

        select.CommandText = $"""
            SELECT id, run_id, dataset, source, code, date, reasons, payload, line, quarantined_at
            FROM quarantine {Where(where)}
            ORDER BY quarantined_at DESC, id DESC
            LIMIT @limit OFFSET @offset
            """;
        select.Parameters.AddWithValue("limit", limit);
        select.Parameters.AddWithValue("offset", offset);
        var entries = new List<QuarantineEntry>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new QuarantineEntry(
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateOnly>(5),
                StoredValues.SplitReasons(reader.GetString(6)),
                reader.GetString(7),
                reader.GetInt64(8),
                reader.GetFieldValue<DateTimeOffset>(9))
            {
                Id = reader.GetInt64(0),
            });
        }

        return entries;
    }

    // ---------------------------------------------------------------- quality

    public async Task<DayQuality> GetDayQualityAsync(DateOnly date, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var counts = Command(connection, tx, """
            SELECT
                (SELECT count(*) FROM daily_bars WHERE date = @date AND basis = 'raw'),
                (SELECT count(*) FROM daily_bars WHERE date = @date AND basis = 'adjusted'),
                (SELECT count(*) FROM daily_bars WHERE date = @date AND no_trade),
                (SELECT count(*) FROM stocks s
                 WHERE (s.listing_date IS NULL OR s.listing_date <= @date)
                   AND (s.delisting_date IS NULL OR s.delisting_date > @date)),
                (SELECT count(*) FROM stocks s
                 WHERE (s.listing_date IS NULL OR s.listing_date <= @date)
                   AND (s.delisting_date IS NULL OR s.delisting_date > @date)
                   AND NOT EXISTS (SELECT 1 FROM daily_bars b WHERE b.code = s.code AND b.date = @date))
            """);
        counts.Parameters.Add(Date("date", date));
        long raw, adjusted, noTrade, listed, listedWithoutBar;
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (raw, adjusted, noTrade, listed, listedWithoutBar) =
                (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        }

        await using var reasons = Command(connection, tx, "SELECT reasons, count(*) FROM quarantine WHERE date = @date GROUP BY reasons");
        reasons.Parameters.Add(Date("date", date));
        var groups = new List<(string, long)>();
        await using (var reader = await reasons.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                groups.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        await tx.CommitAsync(ct);
        return new DayQuality(date, raw, adjusted, noTrade, StoredValues.CountByReason(groups), listed, listedWithoutBar);
    }

    // ---------------------------------------------------------------- collection runs

    public async Task<long> StartRunAsync(string job, string parametersJson, DateTimeOffset startedAt, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(job);
        ArgumentNullException.ThrowIfNull(parametersJson);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var insert = Command(connection, null, """
            INSERT INTO collection_runs (job, parameters, status, started_at, host, process_id)
            VALUES (@job, @parameters, @status, @started_at, @host, @process_id)
            RETURNING id
            """);
        insert.Parameters.Add(Text("job", job));
        insert.Parameters.Add(new NpgsqlParameter<string>("parameters", NpgsqlDbType.Json) { TypedValue = parametersJson });
        insert.Parameters.Add(Text("status", RunStatus.Running));
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("started_at", NpgsqlDbType.TimestampTz) { TypedValue = Instant(startedAt) });
        insert.Parameters.Add(Text("host", Environment.MachineName));
        insert.Parameters.AddWithValue("process_id", Environment.ProcessId);
        return (long)(await insert.ExecuteScalarAsync(ct))!;
    }

    public async Task FinishRunAsync(long runId, RunOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var update = Command(connection, null, """
            UPDATE collection_runs SET
                status = @status, rows_read = @rows_read, rows_accepted = @rows_accepted,
                rows_quarantined = @rows_quarantined, rows_changed = @rows_changed,
                finished_at = @finished_at, error = @error
            WHERE id = @id
            """);
        update.Parameters.AddWithValue("id", runId);
        update.Parameters.Add(Text("status", outcome.Status));
        update.Parameters.AddWithValue("rows_read", outcome.RowsRead);
        update.Parameters.AddWithValue("rows_accepted", outcome.RowsAccepted);
        update.Parameters.AddWithValue("rows_quarantined", outcome.RowsQuarantined);
        update.Parameters.AddWithValue("rows_changed", outcome.RowsChanged);
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("finished_at", NpgsqlDbType.TimestampTz) { TypedValue = Instant(outcome.FinishedAt) });
        update.Parameters.Add(Text("error", outcome.Error));
        if (await update.ExecuteNonQueryAsync(ct) == 0)
        {
            throw new InvalidOperationException($"collection run {runId} does not exist");
        }
    }

    public async Task<IReadOnlyList<CollectionRun>> GetRunsAsync(int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {RunColumns} FROM collection_runs
            ORDER BY started_at DESC, id DESC
            LIMIT @limit OFFSET @offset
            """);
        select.Parameters.AddWithValue("limit", limit);
        select.Parameters.AddWithValue("offset", offset);
        return await ReadRunsAsync(select, ct);
    }

    /// <summary>Reads rows of <see cref="RunColumns"/>, in order.</summary>
    private static async Task<IReadOnlyList<CollectionRun>> ReadRunsAsync(NpgsqlCommand select, CancellationToken ct)
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
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.GetString(11),
                reader.GetInt32(12)));
        }

        return runs;
    }

    public async Task<int> AbandonDeadRunsAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var dead = new List<long>();
        await using (var select = Command(connection, tx, """
            SELECT id, process_id FROM collection_runs WHERE status = @status AND host = @host FOR UPDATE
            """))
        {
            select.Parameters.Add(Text("status", RunStatus.Running));
            select.Parameters.Add(Text("host", Environment.MachineName));
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (!StoredValues.IsProcessAlive(reader.GetInt32(1)))
                {
                    dead.Add(reader.GetInt64(0));
                }
            }
        }

        if (dead.Count > 0)
        {
            await using var abandon = Command(connection, tx, """
                UPDATE collection_runs SET status = @status, error = @error, finished_at = @finished_at WHERE id = ANY(@ids);
                DELETE FROM staging_daily_bars WHERE run_id = ANY(@ids);
                """);
            abandon.Parameters.Add(Text("status", RunStatus.Abandoned));
            abandon.Parameters.Add(Text("error", StoredValues.AbandonedError));
            abandon.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("finished_at", NpgsqlDbType.TimestampTz) { TypedValue = Instant(_time.GetUtcNow()) });
            abandon.Parameters.Add(new NpgsqlParameter<long[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. dead] });
            await abandon.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return dead.Count;
    }

    // ---------------------------------------------------------------- plumbing

    private async Task<PromotionResult> PromoteFlowsAsync<T>(
        string table, string keyColumn, IReadOnlyList<T> flows, Action<NpgsqlParameterCollection, T> bind, CancellationToken ct)
    {
        if (flows.Count == 0)
        {
            return new PromotionResult(0, 0);
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var sql = string.Format(System.Globalization.CultureInfo.InvariantCulture, UpsertFlowTemplate, table, keyColumn);
        var changed = await ExecuteBatchedAsync(connection, tx, sql, flows, bind, ct);
        await tx.CommitAsync(ct);
        return new PromotionResult(changed, flows.Count - changed);
    }

    private static void BindMeasures(
        NpgsqlParameterCollection p, DateOnly date, InvestorType investor, long? buyVolume, long? sellVolume, long? netVolume,
        decimal? buyValue, decimal? sellValue, decimal? netValue, string source, DateTimeOffset fetchedAt)
    {
        p.Add(Date("date", date));
        p.Add(Text("investor", investor.Name()));
        p.Add(Bigint("buy_volume", buyVolume));
        p.Add(Bigint("sell_volume", sellVolume));
        p.Add(Bigint("net_volume", netVolume));
        p.Add(Numeric("buy_value", buyValue));
        p.Add(Numeric("sell_value", sellValue));
        p.Add(Numeric("net_value", netValue));
        p.Add(Text("source", source));
        p.Add(new NpgsqlParameter<DateTimeOffset>("fetched_at", NpgsqlDbType.TimestampTz) { TypedValue = Instant(fetchedAt) });
    }

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

    private async Task<long> ScalarLongAsync(string sql, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var command = Command(connection, null, sql);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql) => new(sql, connection, tx);

    private static string Where(List<string> conditions) => conditions.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", conditions);

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Date(string name, DateOnly? value) =>
        new(name, NpgsqlDbType.Date) { Value = value is { } v ? v : DBNull.Value };

    private static NpgsqlParameter Bigint(string name, long? value) =>
        new(name, NpgsqlDbType.Bigint) { Value = value is { } v ? v : DBNull.Value };

    private static NpgsqlParameter Numeric(string name, decimal? value) =>
        new(name, NpgsqlDbType.Numeric) { Value = value is { } v ? v : DBNull.Value };

    /// <summary>timestamptz takes UTC only; microseconds are its precision.</summary>
    private static DateTimeOffset Instant(DateTimeOffset value) => StoredValues.ToStoredInstant(value);

    private static async Task<IReadOnlyList<Stock>> ReadStocksAsync(NpgsqlCommand select, CancellationToken ct)
    {
        var stocks = new List<Stock>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stocks.Add(new Stock(
                StockCode.Parse(reader.GetString(0)),
                reader.GetString(1),
                StoredValues.ParseMarket(reader.GetString(3)),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateOnly>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateOnly>(9),
                NullableLong(reader, 10),
                NullableString(reader, 11),
                NullableString(reader, 2),
                NullableString(reader, 5),
                NullableString(reader, 4),
                NullableString(reader, 6),
                NullableString(reader, 7),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateOnly>(12)));
        }

        return stocks;
    }

    private static async Task<IReadOnlyList<DailyBar>> ReadBarsAsync(NpgsqlCommand select, CancellationToken ct)
    {
        var bars = new List<DailyBar>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            bars.Add(ReadBar(reader));
        }

        return bars;
    }

    /// <summary>Reads the columns of <see cref="BarColumns"/>, in order.</summary>
    private static DailyBar ReadBar(NpgsqlDataReader reader) => new(
        StockCode.Parse(reader.GetString(0)),
        reader.GetFieldValue<DateOnly>(1),
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
        reader.GetFieldValue<DateTimeOffset>(13),
        reader.GetBoolean(11));

    private static decimal ReadDecimal(NpgsqlDataReader reader, int ordinal) => StoredValues.Normalize(reader.GetDecimal(ordinal));

    private static decimal? NullableDecimal(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadDecimal(reader, ordinal);

    private static long? NullableLong(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
