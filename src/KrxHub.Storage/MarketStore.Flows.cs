using System.Data.Common;
using System.Globalization;
using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>Investor flows per stock and per market: one transaction per batch; a null measure keeps the stored value.</summary>
public sealed partial class MarketStore
{
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
        WHERE {0}.buy_volume IS DISTINCT FROM COALESCE(excluded.buy_volume, {0}.buy_volume)
           OR {0}.sell_volume IS DISTINCT FROM COALESCE(excluded.sell_volume, {0}.sell_volume)
           OR {0}.net_volume IS DISTINCT FROM COALESCE(excluded.net_volume, {0}.net_volume)
           OR {0}.buy_value IS DISTINCT FROM COALESCE(excluded.buy_value, {0}.buy_value)
           OR {0}.sell_value IS DISTINCT FROM COALESCE(excluded.sell_value, {0}.sell_value)
           OR {0}.net_value IS DISTINCT FROM COALESCE(excluded.net_value, {0}.net_value)
        """;

    public async Task<PromotionResult> PromoteInvestorFlowsAsync(IReadOnlyList<InvestorFlow> flows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return await PromoteFlowsAsync("investor_flows", "code", flows, (p, f) =>
        {
            p.Add(_dialect.Text("key", f.Code.Value));
            BindMeasures(p, f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);
        }, ct);
    }

    public async Task<PromotionResult> PromoteMarketInvestorFlowsAsync(IReadOnlyList<MarketInvestorFlow> flows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(flows);
        return await PromoteFlowsAsync("market_investor_flows", "market", flows, (p, f) =>
        {
            p.Add(_dialect.Text("key", f.Market.Name()));
            BindMeasures(p, f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);
        }, ct);
    }

    /// <summary>Flows of one stock in [from, to], by date, then investor type.</summary>
    public async Task<IReadOnlyList<InvestorFlow>> GetInvestorFlowsAsync(StockCode code, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var flows = await ReadFlowsAsync("investor_flows", "code", code.Value, from, to, (key, f) => new InvestorFlow(
            StockCode.Parse(key), f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt), ct);
        return [.. flows.OrderBy(f => f.Date).ThenBy(f => f.Investor)];
    }

    /// <summary>Market-wide flows in [from, to] of one market (null: every market), by market, date, then investor type.</summary>
    public async Task<IReadOnlyList<MarketInvestorFlow>> GetMarketInvestorFlowsAsync(Market? market, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var flows = await ReadFlowsAsync("market_investor_flows", "market", market?.Name(), from, to, (key, f) => new MarketInvestorFlow(
            StoredValues.ParseMarket(key), f.Date, f.Investor, f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt), ct);
        return [.. flows.OrderBy(f => f.Market).ThenBy(f => f.Date).ThenBy(f => f.Investor)];
    }

    /// <summary>A stored flow row of either table but its key (the stock code or the market).</summary>
    private readonly record struct StoredFlow(DateOnly Date, InvestorType Investor, long? BuyVolume, long? SellVolume, long? NetVolume,
        decimal? BuyValue, decimal? SellValue, decimal? NetValue, string Source, DateTimeOffset FetchedAt);

    /// <summary>The rows of <paramref name="table"/> in [from, to] whose <paramref name="keyColumn"/> is <paramref name="key"/> (null: every key), unordered.</summary>
    private async Task<List<T>> ReadFlowsAsync<T>(
        string table, string keyColumn, string? key, DateOnly from, DateOnly to, Func<string, StoredFlow, T> make, CancellationToken ct)
    {
        var sql = $"""
            SELECT {keyColumn}, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at
            FROM {table}
            WHERE date BETWEEN @from AND @to{(key is null ? string.Empty : $" AND {keyColumn} = @key")}
            """;
        return await QueryAsync(sql, p =>
        {
            p.Add(_dialect.Date("from", from));
            p.Add(_dialect.Date("to", to));
            if (key is not null)
            {
                p.Add(_dialect.Text("key", key));
            }
        }, r => make(r.GetString(0), new StoredFlow(
            _dialect.ReadDate(r, 1),
            StoredValues.ParseInvestor(r.GetString(2)),
            StoreDialect.NullableLong(r, 3),
            StoreDialect.NullableLong(r, 4),
            StoreDialect.NullableLong(r, 5),
            _dialect.NullableDecimal(r, 6),
            _dialect.NullableDecimal(r, 7),
            _dialect.NullableDecimal(r, 8),
            r.GetString(9),
            _dialect.ReadInstant(r, 10))), ct);
    }

    private Task<PromotionResult> PromoteFlowsAsync<T>(
        string table, string keyColumn, IReadOnlyList<T> flows, Action<DbParameterCollection, T> bind, CancellationToken ct) =>
        UpsertEachAsync(string.Format(CultureInfo.InvariantCulture, UpsertFlowTemplate, table, keyColumn), flows, bind, ct);

    private void BindMeasures(
        DbParameterCollection p, DateOnly date, InvestorType investor, long? buyVolume, long? sellVolume, long? netVolume,
        decimal? buyValue, decimal? sellValue, decimal? netValue, string source, DateTimeOffset fetchedAt)
    {
        p.Add(_dialect.Date("date", date));
        p.Add(_dialect.Text("investor", investor.Name()));
        p.Add(_dialect.Long("buy_volume", buyVolume));
        p.Add(_dialect.Long("sell_volume", sellVolume));
        p.Add(_dialect.Long("net_volume", netVolume));
        p.Add(_dialect.Decimal("buy_value", buyValue));
        p.Add(_dialect.Decimal("sell_value", sellValue));
        p.Add(_dialect.Decimal("net_value", netValue));
        p.Add(_dialect.Text("source", source));
        p.Add(_dialect.Instant("fetched_at", fetchedAt));
    }
}
