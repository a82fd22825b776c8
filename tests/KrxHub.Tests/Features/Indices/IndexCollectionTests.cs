using KrxHub.Features.Collection;
using KrxHub.Sources.Tests.KrxOpenApi;
using KrxHub.Storage;
using KrxHub.Testing;
using KrxHub.Tests.Collection;

namespace KrxHub.Tests;

/// <summary>`collect krx-indices` / `backfill krx-indices` against the fake KRX Open API, on both backends.</summary>
public class IndexCollectionTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Collecting_krx_indices_stores_the_real_levels_of_the_session_with_their_provenance(string backend)
    {
        await using var krx = await FakeKrxServer.StartAsync();
        KrxIndexKit.Serve(krx);
        await using var test = await TestStore.CreateAsync(backend);
        await using var harness = await CollectionHarness.OpenAsync(test, null, krx: KrxTestKit.Client(krx));

        var outcome = await harness.RunAsync(new CollectionRequest(CollectDataset.KrxIndices, KrxIndexKit.Jan8, KrxIndexKit.Jan8));

        Assert.Equal((1, 2L, 3L, 0L), (outcome.UnitsPlanned, outcome.Requests, outcome.Accepted, outcome.Quarantined));
        var kospi = Assert.Single(await harness.Store.GetIndexBarsAsync("1001", KrxIndexKit.Jan8, KrxIndexKit.Jan8, Ct));
        Assert.Equal((3040.11m, 3161.11m, 3040.11m, 3152.18m, 1_297_903_388L), (kospi.Open, kospi.High, kospi.Low, kospi.Close, kospi.Volume!.Value));
        Assert.Equal("krx-openapi", kospi.Source);
        Assert.Equal(KrxIndexKit.Number(KrxIndexKit.Kosdaq[3]), Assert.Single(await harness.Store.GetIndexBarsAsync("2001", KrxIndexKit.Jan8, KrxIndexKit.Jan8, Ct)).Close);
        Assert.Equal("collect:krx-indices", (await harness.Store.GetRunsAsync(1, 0, Ct))[0].Job);
    }

    [Fact]
    public async Task A_backfill_of_krx_indices_fails_only_the_unpublished_day_and_asks_for_it_again()
    {
        await using var krx = await FakeKrxServer.StartAsync();
        KrxIndexKit.Serve(krx);
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, null, krx: KrxTestKit.Client(krx));
        var jan11 = new DateOnly(2021, 1, 11);
        var request = new CollectionRequest(CollectDataset.KrxIndices, KrxIndexKit.Jan8, jan11) { SkipCompleted = true, Trigger = "backfill" };

        var outcome = await harness.RunAsync(request);
        krx.Arrivals.Clear();
        var again = await harness.RunAsync(request);

        Assert.Equal((2, 1), (outcome.UnitsPlanned, outcome.UnitsFailed));
        Assert.Equal([KrxIndexKit.Jan8], (await harness.Store.GetCompletedUnitsAsync("krx-indices", "-", KrxIndexKit.Jan8, jan11, Ct)).Select(u => u.From));
        Assert.Equal(1, again.UnitsPlanned);
        Assert.All(krx.OpenApiCalls, c => Assert.Contains("basDd=20210111", c.Query, StringComparison.Ordinal));
        Assert.Equal(RunStatus.Succeeded, (await harness.Store.GetRunsAsync(1, 0, Ct))[0].Status);
    }
}
