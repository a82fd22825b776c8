using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests.Collection;

/// <summary>Bad upstream answers end in quarantine or in a failed run with its reason: never a crash, never a half-promoted batch.</summary>
public sealed class BadPayloadTests
{
    private static readonly DateOnly Jan15 = new(2024, 1, 15);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Bad_answers_for_single_stocks_are_quarantined_with_their_reason_and_the_other_stocks_are_promoted()
    {
        await using var market = await KiwoomMarket.StartAsync();
        var codes = KiwoomMarket.TradedEverySession(6);
        var rows = Daily(market, codes[2]);
        rows[0]!["cur_prc"] = "+72,5OO"; // a letter O for a zero
        var missing = Daily(market, codes[3]);
        missing[0]!.AsObject().Remove("open_pric");
        var broken = true;
        market.Server.FaultFor = (apiId, body) => !broken || apiId != "ka10081" ? null : (string?)body["stk_cd"] switch
        {
            var c when c == codes[0] => FakeKiwoomServer.Raw(200, """{"stk_cd":"x","stk_dt_pole_chart_qry":[{"cur_prc":"+7"""),
            var c when c == codes[1] => FakeKiwoomServer.Raw(200, FakeKiwoomServer.HtmlErrorPage, "text/html"),
            var c when c == codes[2] => Answer(rows),
            var c when c == codes[3] => Answer(missing),
            _ => null,
        };
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);
        await TestData.LoadMasterAsync(harness.Store);
        var request = new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = [.. codes.Select(StockCode.Parse)], SkipCompleted = true };

        var outcome = await harness.RunAsync(request);

        Assert.Equal((6, 2), (outcome.UnitsPlanned, outcome.UnitsFailed));
        Assert.Equal((2L, 4L), (outcome.Accepted, outcome.Quarantined));
        var run = (await harness.Store.GetRunsAsync(1, 0, Ct))[0];
        Assert.Equal((RunStatus.Succeeded, 6L, 2L, 4L), (run.Status, run.RowsRead, run.RowsAccepted, run.RowsQuarantined));
        var quarantined = await harness.Store.GetQuarantineAsync(null, null, 100, 0, Ct);
        Assert.Equal([(codes[0], ReasonCodes.BadPayload), (codes[1], ReasonCodes.BadPayload), (codes[2], ReasonCodes.NonNumericField), (codes[3], ReasonCodes.MissingField)],
            quarantined.Select(q => (q.Code!, q.Reasons.Single())).Order());
        Assert.Contains("not valid JSON", quarantined.Single(q => q.Code == codes[0]).Payload, StringComparison.Ordinal);
        Assert.Contains("text/html", quarantined.Single(q => q.Code == codes[1]).Payload, StringComparison.Ordinal);
        foreach (var (code, promoted) in codes.Select((c, i) => (c, i >= 4)))
        {
            Assert.Equal(promoted ? 1 : 0, (await harness.Store.GetBarsAsync(StockCode.Parse(code), Jan15, Jan15, PriceBasis.Raw, Ct)).Count);
        }

        // Only the stocks whose answer never came are fetched again.
        broken = false;
        market.Server.Arrivals.Clear();
        var rerun = await harness.RunAsync(request);
        Assert.Equal([codes[0], codes[1]], market.Requests("ka10081").Select(r => r.Code));
        Assert.Equal((2, 0, 2L), (rerun.UnitsPlanned, rerun.UnitsFailed, rerun.Accepted));
    }

    [Fact]
    public async Task A_source_failing_midway_fails_the_run_with_its_reason_and_promotes_nothing_of_that_batch()
    {
        await using var market = await KiwoomMarket.StartAsync();
        var codes = KiwoomMarket.TradedEverySession(6);
        market.Server.FaultFor = (apiId, body) => (string?)body["stk_cd"] == codes[3]
            ? FakeKiwoomServer.Raw(502, FakeKiwoomServer.HtmlErrorPage, "text/html")
            : null;
        await using var test = await TestStore.CreateAsync("sqlite");
        await using var harness = await CollectionHarness.OpenAsync(test, market);
        await TestData.LoadMasterAsync(harness.Store);
        var all = codes.Select(StockCode.Parse).ToList();

        // One run for all six (collect): nothing reaches production.
        var failure = await Assert.ThrowsAsync<CollectionFailedException>(() =>
            harness.RunAsync(new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = all }));
        Assert.Contains("HTTP 502", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, await harness.Store.CountDailyBarsAsync(Ct));
        var failed = (await harness.Store.GetRunsAsync(1, 0, Ct))[0];
        Assert.Equal((failure.RunId, RunStatus.Failed), (failed.Id, failed.Status));
        Assert.Contains("HTTP 502", failed.Error, StringComparison.Ordinal);
        Assert.Contains("after 3 of 6 units", failed.Error, StringComparison.Ordinal);

        // In batches of two (backfill): the first batch stays promoted and complete, the batch in hand does not.
        var backfill = new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = all, SkipCompleted = true, BatchUnits = 2, Trigger = "backfill" };
        await Assert.ThrowsAsync<CollectionFailedException>(() => harness.RunAsync(backfill));
        Assert.Equal(2, await harness.Store.CountDailyBarsAsync(Ct));
        Assert.Equal(codes.Take(2), (await harness.Store.GetCompletedUnitsAsync("daily", "raw", Jan15, Jan15, Ct)).Select(u => u.Key));
        Assert.Empty(await harness.Store.GetBarsAsync(all[2], Jan15, Jan15, PriceBasis.Raw, Ct));
    }

    [Fact]
    public async Task Ready_shows_the_circuit_breaker_opening_after_repeated_failures_and_the_last_run_of_each_job()
    {
        await using var market = await KiwoomMarket.StartAsync();
        var codes = KiwoomMarket.TradedEverySession(8).Select(StockCode.Parse).ToList();
        await using var test = await TestStore.CreateAsync("sqlite");
        var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var environment = market.Environment();
        environment["KRXHUB_KIWOOM__BREAKERMINIMUMTHROUGHPUT"] = "2";
        environment["KRXHUB_KIWOOM__BREAKERBREAKDURATION"] = "00:05:00";
        environment["KRXHUB_COLLECTION__SCHEDULE"] = "false";
        var options = new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            ShowProgress = false,
        };
        await using var app = HubApp.Build(options, store, TestData.Calendar);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        var jobs = app.Services.GetRequiredService<CollectionJobs>();

        Assert.Equal("closed", (await ReadyAsync(client)).GetProperty("kiwoom").GetString());
        await jobs.RunAsync(new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = codes[..2] },
            await jobs.PlanAsync(new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = codes[..2] }, Ct), null, Ct);

        market.Server.PersistentFault = FakeKiwoomServer.Raw(500, """{"return_code":1999,"return_msg":"예기치 못한 에러"}""");
        var request = new CollectionRequest(CollectDataset.Investors, Jan15, Jan15) { Codes = codes };
        await Assert.ThrowsAsync<CollectionFailedException>(async () => await jobs.RunAsync(request, await jobs.PlanAsync(request, Ct), null, Ct));

        var ready = await ReadyAsync(client);
        Assert.Equal("open", ready.GetProperty("kiwoom").GetString());
        Assert.Equal("not configured", ready.GetProperty("krx").GetString());
        var runs = ready.GetProperty("lastRuns").EnumerateArray().ToDictionary(r => r.GetProperty("job").GetString()!);
        Assert.Equal("succeeded", runs["collect:daily"].GetProperty("status").GetString());
        Assert.Equal(2, runs["collect:daily"].GetProperty("rowsAccepted").GetInt64());
        Assert.Equal("failed", runs["collect:investors"].GetProperty("status").GetString());
        Assert.Contains("HTTP 500", runs["collect:investors"].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("collection");
    }

    /// <summary>The rows the fake would serve for one stock on Jan 15, to be broken by the test.</summary>
    private static List<JsonNode?> Daily(KiwoomMarket market, string code)
    {
        return [.. market.Server.RowsFor!("ka10081", new JsonObject { ["stk_cd"] = code, ["base_dt"] = "20240115" }).Take(1).Select(n => n!.DeepClone())];
    }

    private static Func<HttpContext, Task> Answer(List<JsonNode?> rows) => FakeKiwoomServer.Raw(200, new JsonObject
    {
        ["stk_dt_pole_chart_qry"] = new JsonArray([.. rows.Select(r => r?.DeepClone())]),
        ["return_code"] = 0,
        ["return_msg"] = FakeKiwoomServer.Ok,
    }.ToJsonString());
}
