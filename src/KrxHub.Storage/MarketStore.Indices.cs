using KrxHub.Core;
using KrxHub.Core.Indices;

namespace KrxHub.Storage;

/// <summary>A stored index: its code, how many sessions, the first and last, and the last close with its provenance.</summary>
public sealed record StoredIndex(string IndexCode, long Sessions, DateOnly First, DateOnly Last, decimal LastClose, string Source, DateTimeOffset FetchedAt);

/// <summary>Index levels and constituents: one transaction per batch; an identical row changes nothing.</summary>
public sealed partial class MarketStore
{
    private const string IndexBarColumns = "index_code, date, open, high, low, close, volume, trading_value, market_cap, source, fetched_at";

    private const string UpsertIndexBar = $"""
        INSERT INTO index_bars ({IndexBarColumns})
        VALUES (@index_code, @date, @open, @high, @low, @close, @volume, @trading_value, @market_cap, @source, @fetched_at)
        ON CONFLICT (index_code, date) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume,
            trading_value = excluded.trading_value, market_cap = excluded.market_cap, source = excluded.source, fetched_at = excluded.fetched_at
        WHERE index_bars.open IS DISTINCT FROM excluded.open
           OR index_bars.high IS DISTINCT FROM excluded.high
           OR index_bars.low IS DISTINCT FROM excluded.low
           OR index_bars.close IS DISTINCT FROM excluded.close
           OR index_bars.volume IS DISTINCT FROM excluded.volume
           OR index_bars.trading_value IS DISTINCT FROM excluded.trading_value
           OR index_bars.market_cap IS DISTINCT FROM excluded.market_cap
        """;

    private const string UpsertConstituent = """
        INSERT INTO index_constituents (index_code, date, code, weight, name, close, market_cap, source, fetched_at)
        VALUES (@index_code, @date, @code, @weight, @name, @close, @market_cap, @source, @fetched_at)
        ON CONFLICT (index_code, date, code) DO UPDATE SET
            weight = excluded.weight, name = excluded.name, close = excluded.close, market_cap = excluded.market_cap,
            source = excluded.source, fetched_at = excluded.fetched_at
        WHERE index_constituents.weight IS DISTINCT FROM excluded.weight
           OR index_constituents.name IS DISTINCT FROM excluded.name
           OR index_constituents.close IS DISTINCT FROM excluded.close
           OR index_constituents.market_cap IS DISTINCT FROM excluded.market_cap
        """;

    /// <summary>Upserts index bars; a bar whose values are unchanged keeps its stored source and fetch time.</summary>
    public async Task<PromotionResult> PromoteIndexBarsAsync(IReadOnlyList<IndexBar> bars, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bars);
        return await UpsertEachAsync(UpsertIndexBar, bars, (p, b) =>
        {
            p.Add(_dialect.Text("index_code", b.IndexCode));
            p.Add(_dialect.Date("date", b.Date));
            BindBarValues(p, b.Open, b.High, b.Low, b.Close, b.Volume, b.TradingValue, b.Source, b.FetchedAt);
            p.Add(_dialect.Decimal("market_cap", b.MarketCap));
        }, ct);
    }

    /// <summary>Bars of one index in [from, to], ascending by date.</summary>
    public async Task<IReadOnlyList<IndexBar>> GetIndexBarsAsync(string indexCode, DateOnly from, DateOnly to, CancellationToken ct)
    {
        return await QueryAsync($"""
            SELECT {IndexBarColumns} FROM index_bars
            WHERE index_code = @index_code AND date BETWEEN @from AND @to
            ORDER BY date
            """, p =>
        {
            p.Add(_dialect.Text("index_code", indexCode));
            p.Add(_dialect.Date("from", from));
            p.Add(_dialect.Date("to", to));
        }, r => new IndexBar(
            r.GetString(0),
            _dialect.ReadDate(r, 1),
            _dialect.NullableDecimal(r, 2),
            _dialect.NullableDecimal(r, 3),
            _dialect.NullableDecimal(r, 4),
            _dialect.ReadDecimal(r, 5),
            StoreDialect.NullableLong(r, 6),
            _dialect.NullableDecimal(r, 7),
            _dialect.NullableDecimal(r, 8),
            r.GetString(9),
            _dialect.ReadInstant(r, 10)), ct);
    }

    /// <summary>Every index with stored bars: its session count, first and last session, and the last bar's close and provenance.</summary>
    public async Task<IReadOnlyList<StoredIndex>> GetStoredIndicesAsync(CancellationToken ct)
    {
        return await QueryAsync("""
            SELECT s.index_code, s.sessions, s.first_date, s.last_date, b.close, b.source, b.fetched_at
            FROM (SELECT index_code, count(*) AS sessions, min(date) AS first_date, max(date) AS last_date
                  FROM index_bars GROUP BY index_code) s
            JOIN index_bars b ON b.index_code = s.index_code AND b.date = s.last_date
            ORDER BY s.index_code
            """, r => new StoredIndex(r.GetString(0), r.GetInt64(1), _dialect.ReadDate(r, 2), _dialect.ReadDate(r, 3),
                _dialect.ReadDecimal(r, 4), r.GetString(5), _dialect.ReadInstant(r, 6)), ct);
    }

    /// <summary>Upserts constituents (one index and date per list, as KRX publishes them).</summary>
    public async Task<PromotionResult> PromoteIndexConstituentsAsync(IReadOnlyList<IndexConstituent> constituents, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(constituents);
        return await UpsertEachAsync(UpsertConstituent, constituents, (p, c) =>
        {
            p.Add(_dialect.Text("index_code", c.IndexCode));
            p.Add(_dialect.Date("date", c.Date));
            p.Add(_dialect.Text("code", c.Code.Value));
            p.Add(_dialect.Decimal("weight", c.Weight));
            p.Add(_dialect.Text("name", c.Name));
            p.Add(_dialect.Decimal("close", c.Close));
            p.Add(_dialect.Decimal("market_cap", c.MarketCap));
            p.Add(_dialect.Text("source", c.Source));
            p.Add(_dialect.Instant("fetched_at", c.FetchedAt));
        }, ct);
    }

    /// <summary>
    /// The constituent list in force on <paramref name="date"/>: the newest stored list dated on or before it, by descending
    /// weight (then code). Empty when no list is that old.
    /// </summary>
    public async Task<IReadOnlyList<IndexConstituent>> GetIndexConstituentsAsync(string indexCode, DateOnly date, CancellationToken ct)
    {
        var list = await QueryAsync("""
            SELECT index_code, date, code, name, close, market_cap, weight, source, fetched_at
            FROM index_constituents
            WHERE index_code = @index_code
              AND date = (SELECT max(date) FROM index_constituents WHERE index_code = @index_code AND date <= @date)
            """, p =>
        {
            p.Add(_dialect.Text("index_code", indexCode));
            p.Add(_dialect.Date("date", date));
        }, r => new IndexConstituent(
            r.GetString(0),
            _dialect.ReadDate(r, 1),
            StockCode.Parse(r.GetString(2)),
            StoreDialect.NullableString(r, 3),
            _dialect.NullableDecimal(r, 4),
            _dialect.NullableDecimal(r, 5),
            _dialect.NullableDecimal(r, 6),
            StoreDialect.NullableString(r, 7) ?? "unknown",
            _dialect.NullableInstant(r, 8) ?? DateTimeOffset.UnixEpoch), ct);
        return [.. list.OrderByDescending(c => c.Weight ?? 0).ThenBy(c => c.Code.Value, StringComparer.Ordinal)];
    }

    /// <summary>The dates on which a constituent list of the index is stored, ascending.</summary>
    public async Task<IReadOnlyList<DateOnly>> GetIndexConstituentDatesAsync(string indexCode, CancellationToken ct)
    {
        return await QueryAsync("SELECT DISTINCT date FROM index_constituents WHERE index_code = @index_code ORDER BY date",
            p => p.Add(_dialect.Text("index_code", indexCode)), r => _dialect.ReadDate(r, 0), ct);
    }
}
