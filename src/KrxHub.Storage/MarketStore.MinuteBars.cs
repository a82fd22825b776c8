using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>Minute bars, upserted by (code, start).</summary>
public sealed partial class MarketStore
{
    // The WHERE on the update keeps identical re-deliveries from counting (and from rewriting the row).
    private const string UpsertMinuteBar = """
        INSERT INTO minute_bars (code, ts, open, high, low, close, volume, trading_value, source, fetched_at)
        VALUES (@code, @ts, @open, @high, @low, @close, @volume, @trading_value, @source, @fetched_at)
        ON CONFLICT (code, ts) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, trading_value = excluded.trading_value,
            source = excluded.source, fetched_at = excluded.fetched_at
        WHERE minute_bars.open IS DISTINCT FROM excluded.open OR minute_bars.high IS DISTINCT FROM excluded.high
           OR minute_bars.low IS DISTINCT FROM excluded.low OR minute_bars.close IS DISTINCT FROM excluded.close
           OR minute_bars.volume IS DISTINCT FROM excluded.volume OR minute_bars.trading_value IS DISTINCT FROM excluded.trading_value
           OR minute_bars.source IS DISTINCT FROM excluded.source
        """;

    /// <summary>Inserts or replaces minute bars by (code, start). Counts rows whose stored values changed.</summary>
    public async Task<PromotionResult> UpsertMinuteBarsAsync(IReadOnlyList<MinuteBar> bars, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bars);
        return await UpsertEachAsync(UpsertMinuteBar, bars, (p, bar) =>
        {
            p.Add(_dialect.Text("code", bar.Code.Value));
            p.Add(_dialect.Instant("ts", bar.Start));
            BindBarValues(p, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, bar.TradingValue, bar.Source, bar.FetchedAt);
        }, ct);
    }

    /// <summary>Minute bars of one stock with from &lt;= start &lt; to, oldest first.</summary>
    public async Task<IReadOnlyList<MinuteBar>> GetMinuteBarsAsync(StockCode code, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        return await QueryAsync("""
            SELECT ts, open, high, low, close, volume, trading_value, source, fetched_at
            FROM minute_bars
            WHERE code = @code AND ts >= @from AND ts < @to
            ORDER BY ts
            """, p =>
        {
            p.Add(_dialect.Text("code", code.Value));
            p.Add(_dialect.Instant("from", from));
            p.Add(_dialect.Instant("to", to));
        }, r => new MinuteBar(
            code,
            _dialect.ReadInstant(r, 0).ToOffset(KrxCalendar.KstOffset),
            _dialect.ReadDecimal(r, 1),
            _dialect.ReadDecimal(r, 2),
            _dialect.ReadDecimal(r, 3),
            _dialect.ReadDecimal(r, 4),
            r.GetInt64(5),
            _dialect.NullableDecimal(r, 6),
            r.GetString(7),
            _dialect.ReadInstant(r, 8)), ct);
    }
}
