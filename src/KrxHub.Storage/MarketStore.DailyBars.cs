using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Validation;

namespace KrxHub.Storage;

/// <summary>Daily bars: staged (or, for a first load on SQLite, written straight in), promoted in one transaction (the dialects' bulk paths), and read back.</summary>
public sealed partial class MarketStore
{
    /// <summary>For each code, the last raw close strictly before the given date (the validator's base for price limits).</summary>
    public async Task<IReadOnlyDictionary<StockCode, PreviousClose>> GetLastRawClosesBeforeAsync(IReadOnlyDictionary<StockCode, DateOnly> firstDates, CancellationToken ct)
    {
        var closes = await GetLastClosesBeforeAsync(firstDates, PriceBasis.Raw, ct);
        return closes.ToDictionary(kv => kv.Key, kv => new PreviousClose(kv.Value.Date, kv.Value.Close));
    }

    /// <summary>
    /// For each code, its last close strictly before the given date on <paramref name="basis"/>, or on either basis when it
    /// is null: the newest stored price (a session's adjusted close is its raw close unless a corporate action followed),
    /// raw where both bases have that date. The answer says which basis each close is on.
    /// </summary>
    public async Task<IReadOnlyDictionary<StockCode, StoredClose>> GetLastClosesBeforeAsync(IReadOnlyDictionary<StockCode, DateOnly> firstDates, PriceBasis? basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(firstDates);
        return firstDates.Count == 0 ? new Dictionary<StockCode, StoredClose>() : await _dialect.GetLastClosesBeforeAsync(firstDates, basis, ct);
    }

    /// <summary>
    /// How the run's bars reach daily_bars (see <see cref="DailyBarLoad"/>): straight in on SQLite when daily_bars holds no
    /// bar of <paramref name="basis"/> (a first load; the store's write lock is then held until the load is promoted or
    /// abandoned, so other writers wait), through the staging table otherwise.
    /// </summary>
    public async Task<DailyBarLoad> BeginDailyBarLoadAsync(long runId, PriceBasis basis, CancellationToken ct) =>
        await _dialect.TryBeginFirstLoadAsync(runId, basis, ct) ?? new StagedDailyBarLoad(this, runId);

    /// <summary>Appends validated bars to the staging table under the run id (PostgreSQL: binary COPY).</summary>
    public Task StageDailyBarsAsync(long runId, IReadOnlyList<DailyBar> bars, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bars);
        return bars.Count == 0 ? Task.CompletedTask : _dialect.StageDailyBarsAsync(runId, bars, ct);
    }

    /// <summary>Removes staged bars of the run for the given keys and returns them (used when a later row conflicts).</summary>
    public async Task<IReadOnlyList<DailyBar>> UnstageDailyBarsAsync(long runId, IReadOnlyCollection<(StockCode Code, DateOnly Date)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.Count == 0 ? [] : await _dialect.UnstageDailyBarsAsync(runId, keys, ct);
    }

    /// <summary>
    /// One transaction: upserts every staged bar of the run into daily_bars, writing only rows whose values
    /// differ (a corrected row replaces the old one with its new fetched_at; an identical row changes nothing),
    /// then clears the run's staging rows.
    /// </summary>
    public Task<PromotionResult> PromoteDailyBarsAsync(long runId, CancellationToken ct) => _dialect.PromoteDailyBarsAsync(runId, ct);

    /// <summary>Deletes staging rows of runs that are no longer running (abandoned, failed, finished).</summary>
    public async Task DeleteStaleStagingAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenWithStagingAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var delete = Command(connection, tx, """
            DELETE FROM staging_daily_bars
            WHERE run_id NOT IN (SELECT id FROM collection_runs WHERE status = 'running')
            """))
        {
            await delete.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>Bars of one stock in [from, to], ascending by date.</summary>
    public async Task<IReadOnlyList<DailyBar>> GetBarsAsync(StockCode code, DateOnly from, DateOnly to, PriceBasis basis, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {StoreDialect.BarColumns} FROM daily_bars
            WHERE code = @code AND date BETWEEN @from AND @to AND basis = @basis
            ORDER BY date
            """);
        select.Parameters.Add(_dialect.Text("code", code.Value));
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        select.Parameters.Add(_dialect.Text("basis", basis.Name()));
        return await ReadBarsAsync(select, ct);
    }

    /// <summary>All bars of one session, optionally for one market (from the master) and one basis, ordered by code.</summary>
    public async Task<IReadOnlyList<DailyBar>> GetBarsOnDateAsync(DateOnly date, Market? market, PriceBasis? basis, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string> { "b.date = @date" };
        select.Parameters.Add(_dialect.Date("date", date));
        var join = string.Empty;
        if (market is { } m)
        {
            join = "JOIN stocks s ON s.code = b.code";
            where.Add("s.market = @market");
            select.Parameters.Add(_dialect.Text("market", m.Name()));
        }

        if (basis is { } b)
        {
            where.Add("b.basis = @basis");
            select.Parameters.Add(_dialect.Text("basis", b.Name()));
        }

        var columns = string.Join(", ", StoreDialect.BarColumns.Split(", ").Select(c => "b." + c));
        select.CommandText = $"SELECT {columns} FROM daily_bars b {join} {Where(where)} ORDER BY b.code, b.basis";
        return await ReadBarsAsync(select, ct);
    }

    /// <summary>How many daily bars the store holds, both bases.</summary>
    internal async Task<long> CountDailyBarsAsync(CancellationToken ct) => await ScalarLongAsync("SELECT count(*) FROM daily_bars", ct);

    /// <summary>
    /// Bars on one basis in [from, to] as one column-wise series per stock, ordered by code: the backtest's bulk read.
    /// <paramref name="codes"/> null reads every stock. No-trade bars come with volume 0.
    /// </summary>
    public Task<IReadOnlyList<BarSeries>> GetBarSeriesAsync(PriceBasis basis, DateOnly from, DateOnly to, IReadOnlyCollection<StockCode>? codes, CancellationToken ct) =>
        _dialect.GetBarSeriesAsync(basis, from, to, codes, ct);

    /// <summary>Distinct dates that have at least one bar, in [from, to].</summary>
    public async Task<IReadOnlyList<DateOnly>> GetDatesWithBarsAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
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
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var dates = new List<DateOnly>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            dates.Add(_dialect.ReadDate(reader, 0));
        }

        return dates;
    }

    /// <summary>The newest date on or before <paramref name="onOrBefore"/> with a bar on <paramref name="basis"/>, or null.</summary>
    public async Task<DateOnly?> GetLatestDateWithBarsAsync(PriceBasis basis, DateOnly onOrBefore, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT max(date) FROM daily_bars WHERE date <= @date AND basis = @basis");
        select.Parameters.Add(_dialect.Date("date", onOrBefore));
        select.Parameters.Add(_dialect.Text("basis", basis.Name()));
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? _dialect.NullableDate(reader, 0) : null;
    }

    private async Task<IReadOnlyList<DailyBar>> ReadBarsAsync(System.Data.Common.DbCommand select, CancellationToken ct)
    {
        var bars = new List<DailyBar>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            bars.Add(_dialect.ReadBar(reader));
        }

        return bars;
    }
}
