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
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT code, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at
            FROM investor_flows
            WHERE code = @code AND date BETWEEN @from AND @to
            """);
        select.Parameters.Add(_dialect.Text("code", code.Value));
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var flows = new List<InvestorFlow>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            flows.Add(new InvestorFlow(
                StockCode.Parse(reader.GetString(0)),
                _dialect.ReadDate(reader, 1),
                StoredValues.ParseInvestor(reader.GetString(2)),
                StoreDialect.NullableLong(reader, 3),
                StoreDialect.NullableLong(reader, 4),
                StoreDialect.NullableLong(reader, 5),
                _dialect.NullableDecimal(reader, 6),
                _dialect.NullableDecimal(reader, 7),
                _dialect.NullableDecimal(reader, 8),
                reader.GetString(9),
                _dialect.ReadInstant(reader, 10)));
        }

        return [.. flows.OrderBy(f => f.Date).ThenBy(f => f.Investor)];
    }

    /// <summary>Market-wide flows in [from, to] of one market (null: every market), by market, date, then investor type.</summary>
    public async Task<IReadOnlyList<MarketInvestorFlow>> GetMarketInvestorFlowsAsync(Market? market, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT market, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at
            FROM market_investor_flows
            WHERE date BETWEEN @from AND @to{(market is null ? string.Empty : " AND market = @market")}
            """);
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        if (market is { } m)
        {
            select.Parameters.Add(_dialect.Text("market", m.Name()));
        }

        var flows = new List<MarketInvestorFlow>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            flows.Add(new MarketInvestorFlow(
                StoredValues.ParseMarket(reader.GetString(0)),
                _dialect.ReadDate(reader, 1),
                StoredValues.ParseInvestor(reader.GetString(2)),
                StoreDialect.NullableLong(reader, 3),
                StoreDialect.NullableLong(reader, 4),
                StoreDialect.NullableLong(reader, 5),
                _dialect.NullableDecimal(reader, 6),
                _dialect.NullableDecimal(reader, 7),
                _dialect.NullableDecimal(reader, 8),
                reader.GetString(9),
                _dialect.ReadInstant(reader, 10)));
        }

        return [.. flows.OrderBy(f => f.Market).ThenBy(f => f.Date).ThenBy(f => f.Investor)];
    }

    private async Task<PromotionResult> PromoteFlowsAsync<T>(
        string table, string keyColumn, IReadOnlyList<T> flows, Action<DbParameterCollection, T> bind, CancellationToken ct)
    {
        if (flows.Count == 0)
        {
            return new PromotionResult(0, 0);
        }

        var sql = string.Format(CultureInfo.InvariantCulture, UpsertFlowTemplate, table, keyColumn);
        var changed = await _dialect.ExecuteEachAsync(sql, flows, bind, ct);
        return new PromotionResult(changed, flows.Count - changed);
    }

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
