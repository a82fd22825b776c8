using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Storage;

namespace KrxHub.Tests.Collection;

/// <summary>The collection jobs over a real store and the fake servers, as `collect` and the scheduler build them.</summary>
internal sealed class CollectionHarness : IAsyncDisposable
{
    private CollectionHarness(MarketStore store, CollectionJobs jobs)
    {
        Store = store;
        Jobs = jobs;
    }

    public MarketStore Store { get; }

    public CollectionJobs Jobs { get; }

    public static async Task<CollectionHarness> OpenAsync(TestStore test, KiwoomMarket? market, Dictionary<string, string?>? extra = null,
        KrxOpenApiClient? krx = null, TimeProvider? time = null)
    {
        var environment = market?.Environment() ?? [];
        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }

        var settings = KiwoomMarket.Settings(environment);
        var store = await test.OpenAsync();
        time ??= TimeProvider.System;
        var kiwoom = settings.Kiwoom is { } options ? KiwoomWiring.CreateClient(options, store, time, null) : null;
        return new CollectionHarness(store, new CollectionJobs(store, TestData.Calendar, time, settings, kiwoom, krx));
    }

    /// <summary>Plans and runs a request the way `collect` does.</summary>
    public async Task<CollectionOutcome> RunAsync(CollectionRequest request)
    {
        var units = await Jobs.PlanAsync(request, CancellationToken.None);
        return await Jobs.RunAsync(request, units, null, CancellationToken.None);
    }

    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
