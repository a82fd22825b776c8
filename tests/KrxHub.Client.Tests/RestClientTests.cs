using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KrxHub.Client.Tests;

/// <summary>The typed REST calls against a running hub: every endpoint of its OpenAPI document, answers equal to its JSON, errors as exceptions.</summary>
[Collection(ClientHubCollection.Name)]
public class RestClientTests(ClientHub hub)
{
    [Fact]
    public async Task Every_endpoint_of_the_OpenAPI_document_has_a_typed_call_that_the_hub_answers()
    {
        var recorder = new RecordingHandler();
        using var http = new HttpClient(recorder);
        using var client = new KrxHubClient(http, new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key });
        var day = new DateOnly(2024, 1, 2);

        Assert.Equal("live", (await client.GetLivenessAsync()).Status);
        Assert.Contains((await client.GetReadinessAsync()).Status, new[] { "healthy", "degraded" }); // degraded: e.g. a provisional calendar year
        Assert.Contains(await client.SearchStocksAsync("삼성전자"), s => s.Code == "005930");
        Assert.Equal("삼성전자", (await client.GetStockAsync("005930")).Name);
        Assert.Equal(29, (await client.GetBarsAsync("005930", day, new DateOnly(2024, 2, 13), "raw")).Count);
        Assert.Equal("005930", (await client.GetAdjustmentsAsync("005930")).Code);
        Assert.True((await client.GetSessionBarsAsync(day, "KOSPI", "raw")).Count > 900);
        Assert.Empty(await client.GetMinuteBarsAsync("005930", date: day));
        Assert.Empty(await client.GetInvestorFlowsAsync("005930", day, day));
        Assert.Empty(await client.GetMarketInvestorFlowsAsync("KOSPI", day, day));
        Assert.Contains(await client.GetIndicesAsync(), i => i.Code == "1001");
        Assert.Equal(2669.81m, (await client.GetIndexBarsAsync("KOSPI", day, day)).Single().Close);
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.GetIndexConstituentsAsync("1028", day));
        var ranking = await client.GetRankingAsync("KOSPI", "volume", 5, day);
        Assert.Equal(5, ranking.Rows.Count);
        Assert.Equal("005930", (await client.GetQuoteAsync("005930")).Code);
        Assert.Single(await client.GetQuotesAsync(["005930"]));
        Assert.NotNull((await client.GetSessionAsync()).Phase);
        Assert.Equal(22, (await client.GetCalendarAsync(new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 31))).Sessions);
        Assert.False(string.IsNullOrEmpty((await client.GetLiveStatusAsync()).Node));
        Assert.True((await client.GetDayQualityAsync(day)).IsSession);
        Assert.Equal(new DateOnly(2024, 1, 31), (await client.GetRangeQualityAsync(day, new DateOnly(2024, 1, 31))).To);
        Assert.All(await client.GetQuarantineAsync(day, "unknown_code", 10), q => Assert.Contains("unknown_code", q.Reasons));
        Assert.NotEmpty(await client.GetCollectionRunsAsync(5));

        Assert.Contains(await client.GetStrategiesAsync(), s => s.Name == "sma-cross");
        var started = await client.StartBacktestAsync(new BacktestRequest("sma-cross", new Dictionary<string, string> { ["fast"] = "3", ["slow"] = "8" },
            ["005930"], "2024-01-02", "2024-02-13", Basis: "raw"));
        var done = await client.WaitForBacktestAsync(started.Id);
        Assert.True(done.Status == "completed", done.Error);
        var trades = await client.GetBacktestTradesAsync(started.Id, 0, 1000);
        Assert.Equal(done.Result!.Trades, trades.Trades);
        Assert.Contains(await client.GetBacktestsAsync(), b => b.Id == started.Id);

        var screen = await client.ScreenAsync(new ScreenRequest("close > 70000", "KOSPI", "2024-01-02", "raw"));
        Assert.Contains(screen.Stocks, s => s.Code == "005930");
        var condition = await client.CreateConditionAsync(new ConditionRequest("client test", "close > 70000", "KOSPI", Schedule: "eod"));
        Assert.Equal("client test", (await client.GetConditionAsync(condition.Id)).Name);
        Assert.Contains(await client.GetConditionsAsync(), c => c.Id == condition.Id);
        var updated = await client.UpdateConditionAsync(condition.Id, new ConditionRequest("client test 2", "close > 70000", "KOSPI", Schedule: "eod"));
        Assert.Equal("client test 2", updated.Name);
        var run = await client.EvaluateConditionAsync(condition.Id, new DateOnly(2024, 2, 13));
        Assert.True(run.Matched > 0, run.Error);
        Assert.Contains("005930", (await client.GetConditionResultsAsync(condition.Id)).Matching);
        var alerts = await client.GetAlertsAsync(limit: 10);
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.RetryAlertAsync(long.MaxValue));
        // No recording of that day on this hub: the replay is refused with a ProblemDetails.
        await Assert.ThrowsAnyAsync<KrxHubApiException>(() => client.ReplayConditionAsync(condition.Id, date: new DateOnly(2024, 2, 13), every: "5m"));
        await client.DeleteConditionAsync(condition.Id);

        // This hub has no Kiwoom keys: its HTS conditions are 404s.
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.GetKiwoomConditionsAsync());
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.SearchKiwoomConditionAsync("1"));
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.StartKiwoomConditionAsync("1"));
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.StopKiwoomConditionAsync("1"));

        // Alert channels: set through the API (the secret comes back masked), tested against a closed port, dropped.
        Assert.Equal(5, (await client.GetAlertChannelsAsync()).Count);
        var webhook = await client.SetAlertChannelAsync("webhook", new AlertChannelSettings { Url = "http://127.0.0.1:9/hook", Secret = "client-secret" });
        Assert.Equal(("api", "***"), (webhook.Source, webhook.Settings.GetProperty("secret").GetString()));
        Assert.False((await client.TestAlertChannelAsync("webhook")).Ok);
        await client.DropAlertChannelAsync("webhook");
        await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.GetConditionAsync(condition.Id));

        // Every request carried the key; every operation of the hub's OpenAPI document was called.
        Assert.All(recorder.Requests, r => Assert.Equal($"Bearer {hub.Key}", r.Authorization));
        using var raw = new HttpClient { BaseAddress = hub.Address };
        raw.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", hub.Key);
        using var document = JsonDocument.Parse(await raw.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var missing = new List<string>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            var template = new Regex("^" + Regex.Replace(Regex.Escape(path.Name), @"\\\{[^}]+}", "[^/]+") + "/?$");
            foreach (var operation in path.Value.EnumerateObject())
            {
                if (!recorder.Requests.Any(r => r.Method.Equals(operation.Name, StringComparison.OrdinalIgnoreCase) && template.IsMatch(r.Path)))
                {
                    missing.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
                }
            }
        }

        Assert.True(missing.Count == 0, "no typed call for: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Typed_answers_carry_the_same_values_as_the_hubs_JSON()
    {
        using var client = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key });
        using var raw = new HttpClient { BaseAddress = hub.Address };
        raw.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", hub.Key);
        var json = JsonDocument.Parse(await raw.GetStringAsync(new Uri("/api/stocks/000660/bars?basis=raw&from=2024-01-02&to=2024-02-13", UriKind.Relative))).RootElement;
        var bars = await client.GetBarsAsync("000660", new DateOnly(2024, 1, 2), new DateOnly(2024, 2, 13), "raw");
        Assert.Equal(json.GetArrayLength(), bars.Count);
        for (var i = 0; i < bars.Count; i++)
        {
            Assert.Equal(json[i].GetProperty("date").GetString(), bars[i].Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(json[i].GetProperty("close").GetDecimal(), bars[i].Close);
            Assert.Equal(json[i].GetProperty("volume").GetInt64(), bars[i].Volume);
            Assert.Equal(json[i].GetProperty("tradingValue").GetDecimal(), bars[i].TradingValue);
            Assert.Equal(json[i].GetProperty("fetchedAt").GetDateTimeOffset(), bars[i].FetchedAt);
        }
    }

    [Fact]
    public async Task ProblemDetails_answers_are_thrown_as_typed_exceptions_with_status_title_detail_and_field_errors()
    {
        using var client = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key });
        var notFound = await Assert.ThrowsAsync<KrxHubNotFoundException>(() => client.GetStockAsync("999999"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.Status);
        Assert.Equal("Unknown stock", notFound.Title);
        Assert.Equal("no stock with code 999999 in the master", notFound.Detail);

        var bad = await Assert.ThrowsAsync<KrxHubApiException>(() => client.GetBarsAsync("005930", new DateOnly(2024, 2, 1), new DateOnly(2024, 1, 1)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("from", bad.Errors.Keys);

        var expression = await Assert.ThrowsAsync<KrxHubApiException>(() => client.ScreenAsync(new ScreenRequest("close >> 3")));
        Assert.Equal(HttpStatusCode.BadRequest, expression.Status);
        Assert.NotNull(expression.Detail);
    }
}
