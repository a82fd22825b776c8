using System.Data.Common;
using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>The stock master (never deleted).</summary>
public sealed partial class MarketStore
{
    // A null field in the incoming row keeps the stored value; an older as_of never overwrites a newer one; an identical
    // row changes nothing (IS DISTINCT FROM compares NULLs as values, in both dialects).
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
        WHERE (excluded.as_of IS NULL OR stocks.as_of IS NULL OR excluded.as_of >= stocks.as_of) AND (stocks.name IS DISTINCT FROM excluded.name
           OR stocks.market IS DISTINCT FROM excluded.market
           OR stocks.name_en IS DISTINCT FROM COALESCE(excluded.name_en, stocks.name_en)
           OR stocks.segment IS DISTINCT FROM COALESCE(excluded.segment, stocks.segment)
           OR stocks.isin IS DISTINCT FROM COALESCE(excluded.isin, stocks.isin)
           OR stocks.security_group IS DISTINCT FROM COALESCE(excluded.security_group, stocks.security_group)
           OR stocks.share_class IS DISTINCT FROM COALESCE(excluded.share_class, stocks.share_class)
           OR stocks.listing_date IS DISTINCT FROM COALESCE(excluded.listing_date, stocks.listing_date)
           OR stocks.delisting_date IS DISTINCT FROM COALESCE(excluded.delisting_date, stocks.delisting_date)
           OR stocks.listed_shares IS DISTINCT FROM COALESCE(excluded.listed_shares, stocks.listed_shares)
           OR stocks.industry IS DISTINCT FROM COALESCE(excluded.industry, stocks.industry)
           OR stocks.as_of IS DISTINCT FROM COALESCE(excluded.as_of, stocks.as_of))
        """;

    private const string StockColumns =
        "code, name, name_en, market, segment, isin, security_group, share_class, listing_date, delisting_date, listed_shares, industry, as_of, delisting_inferred";

    /// <summary>Inserts or updates by code. A null field in the incoming row keeps the stored value.</summary>
    public async Task UpsertStocksAsync(IReadOnlyCollection<Stock> stocks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stocks);
        if (stocks.Count == 0)
        {
            return;
        }

        var updatedAt = _time.GetUtcNow();
        var d = _dialect;
        await d.ExecuteEachAsync(UpsertStock, stocks, (p, s) =>
        {
            BindStock(p, s, updatedAt);
            p.Add(d.Text("name_en", s.NameEn));
            p.Add(d.Text("segment", s.Segment));
            p.Add(d.Text("isin", s.Isin));
        }, ct);
    }

    public async Task<IReadOnlyList<Stock>> GetAllStocksAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {StockColumns} FROM stocks ORDER BY code");
        return await ReadStocksAsync(select, ct);
    }

    public async Task<Stock?> GetStockAsync(StockCode code, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {StockColumns} FROM stocks WHERE code = @code");
        select.Parameters.Add(_dialect.Text("code", code.Value));
        var stocks = await ReadStocksAsync(select, ct);
        return stocks.Count == 0 ? null : stocks[0];
    }

    /// <summary>Search by code prefix or Korean/English name substring (case-insensitive), ordered by code.</summary>
    public Task<IReadOnlyList<Stock>> SearchStocksAsync(Market? market, string? query, int limit, int offset, CancellationToken ct) =>
        SearchStocksAsync(market, query, null, limit, offset, ct);

    /// <summary>As above, of the stocks listed on <paramref name="listedOn"/> when given (listing day in, delisting day out).</summary>
    public async Task<IReadOnlyList<Stock>> SearchStocksAsync(Market? market, string? query, DateOnly? listedOn, int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string>();
        if (market is { } m)
        {
            where.Add("market = @market");
            select.Parameters.Add(_dialect.Text("market", m.Name()));
        }

        if (listedOn is { } day)
        {
            where.Add("(listing_date IS NULL OR listing_date <= @listed_on) AND (delisting_date IS NULL OR delisting_date > @listed_on)");
            select.Parameters.Add(_dialect.Date("listed_on", day));
        }

        var text = query?.Trim();
        if (!string.IsNullOrEmpty(text))
        {
            // Codes are stored upper-case (0126Z0), so the prefix is too.
            var escaped = StoredValues.EscapeLike(text);
            var like = _dialect.CaseInsensitiveLike;
            where.Add($@"(code LIKE @prefix ESCAPE '\' OR name {like} @contains ESCAPE '\' OR name_en {like} @contains ESCAPE '\')");
            select.Parameters.Add(_dialect.Text("prefix", escaped.ToUpperInvariant() + "%"));
            select.Parameters.Add(_dialect.Text("contains", "%" + escaped + "%"));
        }

        select.CommandText = $"SELECT {StockColumns} FROM stocks {Where(where)} ORDER BY code LIMIT @limit OFFSET @offset";
        select.Parameters.Add(Int("limit", limit));
        select.Parameters.Add(Int("offset", offset));
        return await ReadStocksAsync(select, ct);
    }

    /// <summary>How many stocks the master holds, delisted ones included.</summary>
    internal async Task<long> CountStocksAsync(CancellationToken ct) => await ScalarLongAsync("SELECT count(*) FROM stocks", ct);

    /// <summary>Binds every column of a stock row but name_en, segment and isin, which an exchange's delisting list does not give.</summary>
    private void BindStock(DbParameterCollection p, Stock s, DateTimeOffset updatedAt)
    {
        p.Add(_dialect.Text("code", s.Code.Value));
        p.Add(_dialect.Text("name", s.Name));
        p.Add(_dialect.Text("market", s.Market.Name()));
        p.Add(_dialect.Text("security_group", s.SecurityGroup));
        p.Add(_dialect.Text("share_class", s.ShareClass));
        p.Add(_dialect.Date("listing_date", s.ListingDate));
        p.Add(_dialect.Date("delisting_date", s.DelistingDate));
        p.Add(_dialect.Long("listed_shares", s.ListedShares));
        p.Add(_dialect.Text("industry", s.Industry));
        p.Add(_dialect.Instant("updated_at", updatedAt));
        p.Add(_dialect.Date("as_of", s.AsOf));
    }

    private async Task<IReadOnlyList<Stock>> ReadStocksAsync(DbCommand select, CancellationToken ct)
    {
        var stocks = new List<Stock>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stocks.Add(new Stock(
                StockCode.Parse(reader.GetString(0)),
                reader.GetString(1),
                StoredValues.ParseMarket(reader.GetString(3)),
                _dialect.NullableDate(reader, 8),
                _dialect.NullableDate(reader, 9),
                StoreDialect.NullableLong(reader, 10),
                StoreDialect.NullableString(reader, 11),
                StoreDialect.NullableString(reader, 2),
                StoreDialect.NullableString(reader, 5),
                StoreDialect.NullableString(reader, 4),
                StoreDialect.NullableString(reader, 6),
                StoreDialect.NullableString(reader, 7),
                _dialect.NullableDate(reader, 12))
            {
                DelistingInferred = _dialect.ReadBool(reader, 13),
            });
        }

        return stocks;
    }
}
