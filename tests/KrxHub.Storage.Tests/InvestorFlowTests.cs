using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class InvestorFlowTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static InvestorFlow Flow(InvestorType investor, long? netVolume, decimal? netValue, DateOnly? date = null) =>
        new(Samples.Samsung, date ?? Samples.Jan2, investor, null, null, netVolume, null, null, netValue, "krx-MDCSTAT02302", Samples.FetchedAt);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Net_volume_then_net_value_merge_into_one_row(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);

        var volumes = await db.Store.PromoteInvestorFlowsAsync(
            [Flow(InvestorType.Individual, -1_234_567, null), Flow(InvestorType.Foreign, 2_345_678, null)], Ct);
        var later = Samples.FetchedAt.AddMinutes(5);
        var values = await db.Store.PromoteInvestorFlowsAsync(
            [Flow(InvestorType.Individual, null, -98_765_432_100m) with { FetchedAt = later }, Flow(InvestorType.Foreign, null, null)], Ct);

        Assert.Equal(new PromotionResult(2, 0), volumes);
        Assert.Equal(new PromotionResult(1, 1), values);
        var stored = await db.Store.GetInvestorFlowsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan2, Ct);
        Assert.Equal(2, stored.Count);
        Assert.Equal((InvestorType.Individual, -1_234_567L, -98_765_432_100m), (stored[0].Investor, stored[0].NetVolume, stored[0].NetValue));
        Assert.Equal(Samples.Stored(later), stored[0].FetchedAt);
        Assert.Equal((InvestorType.Foreign, 2_345_678L, (decimal?)null), (stored[1].Investor, stored[1].NetVolume, stored[1].NetValue));
        Assert.Equal(Samples.Stored(Samples.FetchedAt), stored[1].FetchedAt);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_repeated_import_is_unchanged_and_a_corrected_measure_is_changed(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        InvestorFlow[] flows = [Flow(InvestorType.Pension, 10, 800_000m), Flow(InvestorType.InstitutionTotal, 25, 2_000_000.5m)];
        await db.Store.PromoteInvestorFlowsAsync(flows, Ct);

        var again = await db.Store.PromoteInvestorFlowsAsync(flows, Ct);
        var corrected = await db.Store.PromoteInvestorFlowsAsync([flows[0] with { NetVolume = 11 }, flows[1]], Ct);

        Assert.Equal(new PromotionResult(0, 2), again);
        Assert.Equal(new PromotionResult(1, 1), corrected);
        var stored = await db.Store.GetInvestorFlowsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan2, Ct);
        Assert.Equal([InvestorType.InstitutionTotal, InvestorType.Pension], stored.Select(f => f.Investor));
        Assert.Equal(2_000_000.5m, stored[0].NetValue);
        Assert.Equal(11, stored[1].NetVolume);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Flows_read_back_by_date_then_investor_within_the_range(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.PromoteInvestorFlowsAsync(
        [
            Flow(InvestorType.Foreign, 1, 1, Samples.Jan3),
            Flow(InvestorType.Individual, 2, 2, Samples.Jan3),
            Flow(InvestorType.Foreign, 3, 3, Samples.Jan2),
            Flow(InvestorType.Foreign, 4, 4, Samples.Jan4),
            new(Samples.Hynix, Samples.Jan3, InvestorType.Individual, 1, 2, -1, 10, 20, -10, "kiwoom", Samples.FetchedAt),
        ], Ct);

        var stored = await db.Store.GetInvestorFlowsAsync(Samples.Samsung, Samples.Jan2, Samples.Jan3, Ct);

        Assert.Equal([3L, 2L, 1L], stored.Select(f => f.NetVolume!.Value));
        var hynix = Assert.Single(await db.Store.GetInvestorFlowsAsync(Samples.Hynix, Samples.Jan2, Samples.Jan4, Ct));
        Assert.Equal((1L, 2L, -1L, 10m, 20m, -10m), (hynix.BuyVolume, hynix.SellVolume, hynix.NetVolume, hynix.BuyValue, hynix.SellValue, hynix.NetValue));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Market_flows_merge_null_measures_the_same_way(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        MarketInvestorFlow Market(long? buy, long? sell, decimal? net) =>
            new(Core.Market.Kospi, Samples.Jan2, InvestorType.Individual, buy, sell, null, null, null, net, "krx-MDCSTAT02202", Samples.FetchedAt);

        var first = await db.Store.PromoteMarketInvestorFlowsAsync([Market(100, 200, null)], Ct);
        var second = await db.Store.PromoteMarketInvestorFlowsAsync([Market(null, null, -5_000m)], Ct);
        var third = await db.Store.PromoteMarketInvestorFlowsAsync([Market(100, null, null)], Ct);

        Assert.Equal(new PromotionResult(1, 0), first);
        Assert.Equal(new PromotionResult(1, 0), second);
        Assert.Equal(new PromotionResult(0, 1), third);
        Assert.Equal(1, await db.ScalarAsync(
            "SELECT count(*) FROM market_investor_flows WHERE market = 'KOSPI' AND buy_volume = 100 AND sell_volume = 200 AND net_value = -5000 AND net_volume IS NULL"));
    }
}
