using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrxHub.Tests.Collection;

/// <summary>The token lives in the store (a restart does not issue another), is revoked when asked, and never shows in logs.</summary>
public sealed class KiwoomTokenAndSecretsTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task The_token_is_kept_in_the_store_and_the_next_run_reuses_it()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        string[] args = ["collect", "daily", "--date", "2024-01-15", "--codes", KiwoomMarket.TradedEverySession(1)[0], .. test.CliArgs];
        for (var run = 0; run < 3; run++)
        {
            var result = await CliProcess.RunAsync(market.Environment(), args);
            Assert.True(result.ExitCode == 0, result.Stderr);
        }

        Assert.Equal(1, market.Server.TokenRequests);
        Assert.Equal(3, market.Server.Calls("ka10081").Count);
        await using var check = await test.OpenAsync();
        var stored = await check.GetSourceTokenAsync(KiwoomWiring.TokenSource, Ct);
        Assert.Equal((market.Server.IssuedTokens.Single(), market.Server.BaseUrl), (stored!.Token, stored.Scope));
    }

    [Fact]
    public async Task With_revoke_on_shutdown_the_token_is_revoked_and_forgotten_when_a_run_or_the_hub_stops()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var environment = market.Environment();
        environment["KRXHUB_KIWOOM__REVOKEONSHUTDOWN"] = "true";
        string[] args = ["collect", "daily", "--date", "2024-01-15", "--codes", KiwoomMarket.TradedEverySession(1)[0], .. test.CliArgs];
        var first = await CliProcess.RunAsync(environment, args);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(market.Server.IssuedTokens, market.Server.RevokedTokens);

        // The hub: its token goes when it stops.
        environment["KRXHUB_COLLECTION__SCHEDULE"] = "false";
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            ShowProgress = false,
        };
        var hub = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
        await hub.StartAsync();
        await hub.Services.GetRequiredService<CollectionJobs>().MasterAsync("test", Ct);
        await hub.StopAsync();
        await hub.DisposeAsync();

        Assert.Equal(2, market.Server.TokenRequests);
        Assert.Equal(market.Server.IssuedTokens, market.Server.RevokedTokens);
        await using var check = await test.OpenAsync();
        Assert.Null(await check.GetSourceTokenAsync(KiwoomWiring.TokenSource, Ct));
    }

    [Fact]
    public async Task The_app_key_secret_and_token_never_appear_in_the_hub_logs_runs_or_CLI_output()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 1, 15, 18, 5, 0, Kst));
        await using var market = await KiwoomMarket.StartAsync(clock);
        var codes = KiwoomMarket.TradedEverySession(3);
        market.MasterOnly = [.. codes];

        // One stock answers with an error page that quotes the request's keys, the way a misbehaving proxy might.
        market.Server.FaultFor = (apiId, body) => (string?)body["stk_cd"] == codes[1] && apiId == "ka10059"
            ? FakeKiwoomServer.Raw(200, $"<html><body>bad request appkey={FakeKiwoomServer.AppKey}</body></html>", "text/html")
            : null;
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync(KiwoomMarket.MasterOf(codes), Ct);
        }

        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__MINUTE"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        environment["KRXHUB_COLLECTION__RETRYAFTER"] = "01:00:00";
        var logs = new CapturingLoggerProvider();
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            Time = clock,
            ShowProgress = false,
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Trace).AddFilter("KrxHub", LogLevel.Trace).AddProvider(logs),
        };
        var hub = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
        await hub.StartAsync();
        await using var check = await test.OpenAsync();
        await Eventually.TrueAsync(async () => await check.IsOccurrenceDoneAsync(JobSchedule.Master, "2024-01-15", Ct) &&
            (await check.GetRunsAsync(100, 0, Ct)).Count(r => r.Job == "collect:investors") >= 2, TimeSpan.FromSeconds(30), () => "the scheduled jobs ran; logs: " + logs.AllText);
        await hub.StopAsync();
        await hub.DisposeAsync();

        var cli = await CliProcess.RunAsync(market.Environment(), ["collect", "investors", "--date", "2024-01-15", "--codes", string.Join(',', codes), .. test.CliArgs]);
        Assert.True(cli.ExitCode == 0, cli.Stderr);

        var runs = await check.GetRunsAsync(100, 0, Ct);
        var quarantine = await check.GetQuarantineAsync(null, null, 100, 0, Ct);
        Assert.Contains("Kiwoom token issued", logs.AllText, StringComparison.Ordinal); // the Kiwoom client's own lines were captured
        Assert.Contains(quarantine, q => q.Code == codes[1]);
        var everything = string.Join('\n', logs.AllText, cli.Stdout, cli.Stderr,
            string.Join('\n', runs.Select(r => $"{r.Parameters} {r.Error}")), string.Join('\n', quarantine.Select(q => q.Payload)));
        foreach (var secret in new[] { FakeKiwoomServer.AppKey, FakeKiwoomServer.SecretKey }.Concat(market.Server.IssuedTokens))
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }
}
