using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class StockTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Stocks_round_trip_with_every_field(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);

        await db.Store.UpsertStocksAsync([Samples.SamsungStock, Samples.HynixStock, Samples.CelltrionHealthcareStock], Ct);

        Assert.Equal(Samples.SamsungStock, await db.Store.GetStockAsync(Samples.Samsung, Ct));
        Assert.Equal([Samples.HynixStock, Samples.SamsungStock, Samples.CelltrionHealthcareStock], await db.Store.GetAllStocksAsync(Ct));
        Assert.Equal(3, await db.Store.CountStocksAsync(Ct));
        Assert.Null(await db.Store.GetStockAsync(StockCode.Parse("999999"), Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task An_upsert_with_null_fields_keeps_the_stored_values_and_overwrites_the_given_ones(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.UpsertStocksAsync([Samples.SamsungStock], Ct);

        // A price file knows only code, name and market; a later master file knows the delisting.
        var sparse = new Stock(Samples.Samsung, "삼성전자(신)", Market.Kospi, null);
        await db.Store.UpsertStocksAsync([sparse], Ct);
        await db.Store.UpsertStocksAsync([sparse with { DelistingDate = new DateOnly(2030, 1, 2), ListedShares = 6_000_000_000 }], Ct);

        var stored = await db.Store.GetStockAsync(Samples.Samsung, Ct);
        Assert.Equal(
            Samples.SamsungStock with { Name = "삼성전자(신)", DelistingDate = new DateOnly(2030, 1, 2), ListedShares = 6_000_000_000 },
            stored);
        Assert.Equal(1, await db.Store.CountStocksAsync(Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Search_matches_a_code_prefix_or_a_name_substring_in_either_language(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.UpsertStocksAsync([Samples.SamsungStock, Samples.HynixStock, Samples.CelltrionHealthcareStock], Ct);

        Assert.Equal([Samples.Hynix, Samples.Samsung], Codes(await db.Store.SearchStocksAsync(null, "00", 10, 0, Ct)));
        Assert.Equal([Samples.Hynix], Codes(await db.Store.SearchStocksAsync(null, "하이닉", 10, 0, Ct)));
        Assert.Equal([Samples.Hynix], Codes(await db.Store.SearchStocksAsync(null, "HYNIX", 10, 0, Ct)));
        Assert.Equal([Samples.Samsung], Codes(await db.Store.SearchStocksAsync(null, "electronics", 10, 0, Ct)));
        Assert.Empty(await db.Store.SearchStocksAsync(null, "930", 10, 0, Ct));
        Assert.Empty(await db.Store.SearchStocksAsync(null, "%", 10, 0, Ct));
        Assert.Equal([Samples.CelltrionHealthcare], Codes(await db.Store.SearchStocksAsync(Market.Kosdaq, null, 10, 0, Ct)));
        Assert.Empty(await db.Store.SearchStocksAsync(Market.Kosdaq, "삼성", 10, 0, Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Search_pages_in_code_order(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.UpsertStocksAsync([Samples.SamsungStock, Samples.HynixStock, Samples.CelltrionHealthcareStock], Ct);

        Assert.Equal([Samples.Hynix, Samples.Samsung], Codes(await db.Store.SearchStocksAsync(null, " ", 2, 0, Ct)));
        Assert.Equal([Samples.CelltrionHealthcare], Codes(await db.Store.SearchStocksAsync(null, null, 2, 2, Ct)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.Store.SearchStocksAsync(null, null, -1, 0, Ct));
    }

    private static List<StockCode> Codes(IReadOnlyList<Stock> stocks) => [.. stocks.Select(s => s.Code)];
}
