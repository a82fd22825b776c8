using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Simulation;
using KrxHub.Storage;
using KrxHub.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Client.Tests;

/// <summary>
/// A real hub on a loopback port over a SQLite store with real data (the master, the raw window 2024-01-02..02-13, the bundled
/// index histories, one admin key) and its simulated exchange trading all day, for the client to call. <see cref="RestartAsync"/> stops it
/// and starts a new one on the same port over the same store, as an operator's restart does.
/// </summary>
public sealed class ClientHub : IAsyncLifetime
{
    private TestStore? _test;
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    /// <summary>An admin key of the store: with a key defined, the hub requires one (docs/access.md).</summary>
    public string Key { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _test = await TestStore.CreateAsync("sqlite");
        var store = await _test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        Key = (await Features.Access.ApiKeys.AddAsync(store, "client tests", Features.Access.Roles.Admin, DateTimeOffset.UtcNow, CancellationToken.None))!.Value.Key;
        await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        var skipConstituents = BundledData.IndexConstituents.Select(Features.Import.BundledLoader.IndexJob).ToHashSet(StringComparer.Ordinal);
        await Features.Import.BundledLoader.LoadIndicesAsync(store, TestData.Calendar, TimeProvider.System, skipConstituents, false, CancellationToken.None);
        await StartAsync(store, "http://127.0.0.1:0");
    }

    /// <summary>Stops the hub (its WebSocket clients lose their connections), then serves again on the same address.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync(await _test!.OpenAsync(), Address.ToString().TrimEnd('/'));
    }

    private async Task StartAsync(MarketStore store, string urls)
    {
        var options = new HubOptions(new StoreLocation(_test!.DataDirectory, null), urls, false)
        {
            ShowProgress = false,
            Simulator = new SimulatorOptions { AlwaysOpen = true },
        };
        _app = HubApp.Build(options, store, TestData.Calendar);
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        if (_test is not null)
        {
            await _test.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClientHubCollection : ICollectionFixture<ClientHub>
{
    public const string Name = "client hub";
}
