using KrxHub.Features.Access;
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
/// A real hub that enforces keys (its store holds keys, so even loopback needs one), with a per-key limit of
/// <see cref="RequestsPerMinutePerKey"/> requests a minute and its simulated exchange trading all day. Every test takes
/// a key of its own from <see cref="NewKeyAsync"/>, so that one test's requests never count against another's limit.
/// </summary>
public sealed class KeyedClientHub : IAsyncLifetime
{
    public const int RequestsPerMinutePerKey = 2;

    private TestStore? _test;
    private MarketStore? _store;
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _test = await TestStore.CreateAsync("sqlite");
        _store = await _test.OpenAsync();
        await TestData.LoadMasterAsync(_store);
        await TestData.ImportAsync(_store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        // A key must exist before the hub starts: a store without keys on loopback is an open hub.
        await NewKeyAsync(Roles.Admin);
        var options = new HubOptions(new StoreLocation(_test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            ShowProgress = false,
            Simulator = new SimulatorOptions { AlwaysOpen = true },
            Settings = HubSettings.None with { Access = new AccessSettings { RequestsPerMinutePerKey = RequestsPerMinutePerKey } },
        };
        _app = HubApp.Build(options, _store, TestData.Calendar);
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>A fresh key with <paramref name="role"/>, as `krxhub keys add` makes it (the hub reads keys from the store).</summary>
    public async Task<string> NewKeyAsync(string role) =>
        (await ApiKeys.AddAsync(_store!, $"client test {Guid.NewGuid():N}", role, DateTimeOffset.UtcNow, CancellationToken.None))!.Value.Key;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_test is not null)
        {
            await _test.DisposeAsync();
        }
    }
}

/// <summary>The client against a hub that enforces keys: the typed exceptions for 401, 403 and 429, and /ws with a wrong and a right key.</summary>
public class AccessClientTests(KeyedClientHub hub) : IClassFixture<KeyedClientHub>
{
    // A guard against a hang, never an assertion on time.
    private static CancellationTokenSource Guard() => new(TimeSpan.FromSeconds(90));

    private KrxHubClient Client(string? key) => new(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = key, ReconnectDelay = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public async Task A_call_without_a_key_throws_the_unauthorized_exception()
    {
        using var client = Client(null);
        var refused = await Assert.ThrowsAsync<KrxHubUnauthorizedException>(() => client.GetStockAsync("005930"));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.Status);
    }

    [Fact]
    public async Task A_call_with_an_unknown_key_throws_the_unauthorized_exception()
    {
        using var client = Client("krx_not-a-key");
        await Assert.ThrowsAsync<KrxHubUnauthorizedException>(() => client.GetStockAsync("005930"));
    }

    [Fact]
    public async Task A_read_key_may_read_but_an_admin_only_write_throws_the_forbidden_exception()
    {
        using var client = Client(await hub.NewKeyAsync(Roles.Read));
        Assert.Equal("삼성전자", (await client.GetStockAsync("005930")).Name);
        var refused = await Assert.ThrowsAsync<KrxHubForbiddenException>(() =>
            client.CreateConditionAsync(new ConditionRequest("read key", "close > 70000", "KOSPI", Schedule: "eod")));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.Status);
    }

    [Fact]
    public async Task A_key_over_its_rate_limit_throws_the_rate_limited_exception_with_the_wait_the_hub_asked_for()
    {
        using var client = Client(await hub.NewKeyAsync(Roles.Read));
        for (var i = 0; i < KeyedClientHub.RequestsPerMinutePerKey; i++)
        {
            Assert.Equal("005930", (await client.GetStockAsync("005930")).Code);
        }

        var limited = await Assert.ThrowsAsync<KrxHubRateLimitedException>(() => client.GetStockAsync("005930"));
        Assert.NotNull(limited.RetryAfter);
        Assert.InRange(limited.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Live_data_with_a_wrong_key_throws_the_unauthorized_exception_instead_of_reconnecting()
    {
        using var guard = Guard();
        using var client = Client("krx_not-a-key");
        var messages = 0;
        await Assert.ThrowsAsync<KrxHubUnauthorizedException>(async () =>
        {
            await foreach (var _ in client.LiveAsync([LiveTopic.Ticks("005930")], guard.Token))
            {
                messages++;
            }
        });
        Assert.Equal(0, messages);
        Assert.False(guard.IsCancellationRequested);
    }

    [Fact]
    public async Task Live_data_without_a_key_throws_the_unauthorized_exception()
    {
        using var guard = Guard();
        using var client = Client(null);
        await Assert.ThrowsAsync<KrxHubUnauthorizedException>(async () =>
        {
            await foreach (var _ in client.LiveAsync([LiveTopic.Session()], guard.Token))
            {
            }
        });
        Assert.False(guard.IsCancellationRequested);
    }

    [Fact]
    public async Task Live_data_with_a_right_key_brings_the_acknowledgement_and_ticks()
    {
        using var guard = Guard();
        using var client = Client(await hub.NewKeyAsync(Roles.Read));
        LiveSubscribed? subscribed = null;
        LiveTick? tick = null;
        await foreach (var message in client.LiveAsync([LiveTopic.Ticks("005930")], guard.Token))
        {
            subscribed ??= message as LiveSubscribed;
            tick ??= message is LiveTick { Stale: false } fresh ? fresh : null;
            if (subscribed is not null && tick is not null)
            {
                break;
            }
        }

        Assert.Equal(["005930"], subscribed!.Codes);
        Assert.Equal("005930", tick!.Code);
        Assert.True(tick.Price > 0);
    }
}
