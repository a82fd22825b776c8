using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Storage;
using KrxHub.Testing;
using KrxHub.Tests.Collection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>
/// Kiwoom's HTS conditions through the hub, against the fake Kiwoom REST and WebSocket servers: listed with the user
/// conditions, searched once over two pages, activated in real time with their pushes written as entries, exits and
/// outbox alerts, the 11th refused, cleared with CNSRCLR, and registered again by a restarted hub.
/// </summary>
public sealed class KiwoomConditionsTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateOnly Last = new(2024, 2, 13);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Kiwoom_conditions_are_listed_searched_and_their_real_time_pushes_become_events_and_alerts(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var ws = await FakeKiwoomWebSocketServer.StartAsync(market.Server.IsTokenValid);
        var codes = KiwoomMarket.TradedEverySession(5);
        var names = KiwoomMarket.MasterOf(codes).ToDictionary(s => s.Code.Value, s => s.Name);
        ws.Conditions.PageSize = 2;
        ws.Conditions.Add("4", "거래량 폭증", codes.Take(3).Select(c => Row(c, names[c])));
        for (var seq = 0; seq <= 10; seq++)
        {
            if (seq != 4)
            {
                ws.Conditions.Add(Seq(seq), $"조건 {seq}", [Row(codes[0], names[codes[0]])]);
            }
        }

        var environment = market.Environment();
        environment["KRXHUB_KIWOOM__WSURL"] = ws.WsUrl;
        environment["KRXHUB_COLLECTION__SCHEDULE"] = "false";
        var settings = KiwoomMarket.Settings(environment);
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        }

        long id;
        var hub = await Hub.StartAsync(test, settings);
        try
        {
            await hub.SendAsync(HttpMethod.Post, "/api/conditions", new { name = "종가 양수", expression = "close > 0" }, HttpStatusCode.Created);
            var all = await hub.ConditionsAsync(c => c.Count(x => x.GetProperty("origin").GetString() == "kiwoom") == 11);
            Assert.Equal(("종가 양수", "user"), (all[0].GetProperty("name").GetString(), all[0].GetProperty("origin").GetString()));
            var four = all.Single(c => c.GetProperty("kiwoomSeq").GetString() == "4");
            Assert.Equal(("거래량 폭증", "realtime", false, 0L), (four.GetProperty("name").GetString(), four.GetProperty("schedule").GetString(),
                four.GetProperty("active").GetBoolean(), four.GetProperty("id").GetInt64()));

            // One-shot: two pages of Kiwoom's rows, the real closes of the last session.
            var search = await hub.SendAsync(HttpMethod.Post, "/api/conditions/kiwoom/4/search", null, HttpStatusCode.OK);
            Assert.Equal((2, false), (search.GetProperty("pages").GetInt32(), search.GetProperty("truncated").GetBoolean()));
            var rows = search.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(codes.Take(3), rows.Select(r => r.GetProperty("code").GetString()));
            Assert.Equal(KiwoomMarket.Real(codes[0], Last, Last)[0].Close, rows[0].GetProperty("price").GetDecimal());
            await hub.SendAsync(HttpMethod.Post, "/api/conditions/kiwoom/99/search", null, HttpStatusCode.NotFound);

            // Real time: the snapshot enters three stocks, then Kiwoom pushes one entry and one exit.
            var started = await hub.SendAsync(HttpMethod.Post, "/api/conditions/kiwoom/4/realtime", new { channels = new[] { "log" } }, HttpStatusCode.OK);
            Assert.Equal(codes.Take(3), started.GetProperty("matching").EnumerateArray().Select(c => c.GetString()));
            id = started.GetProperty("condition").GetProperty("id").GetInt64();
            Assert.Equal("kiwoom", started.GetProperty("condition").GetProperty("origin").GetString());
            await Eventually.TrueAsync(async () => (await hub.Store.GetConditionEventsAsync(id, DateOnly.MinValue, DateOnly.MaxValue, Ct)).Count == 3,
                TimeSpan.FromSeconds(20), "the snapshot's three entries");

            var session = ws.LoggedIn[^1];
            await session.SendAsync(FakeKiwoomConditions.Push("4", codes[3], "I", "101500"));
            await session.SendAsync(FakeKiwoomConditions.Push("4", codes[0], "D", "101501"));
            await session.SendAsync(FakeKiwoomConditions.Push("4", codes[0], "D", "101502")); // not matching any more: nothing
            await session.SendAsync(FakeKiwoomConditions.Push("4", codes[0], "I", "101503")); // back within the dedupe window
            await Eventually.TrueAsync(async () => (await hub.Store.GetConditionEventsAsync(id, DateOnly.MinValue, DateOnly.MaxValue, Ct)).Count == 6,
                TimeSpan.FromSeconds(20), "the pushed entries and exit");

            var events = await hub.Store.GetConditionEventsAsync(id, DateOnly.MinValue, DateOnly.MaxValue, Ct);
            Assert.Equal(codes.Take(3).ToHashSet(), events.Take(3).Where(e => e.Event == "entry").Select(e => e.Code.Value).ToHashSet());
            Assert.Equal([(codes[3], "entry"), (codes[0], "exit"), (codes[0], "entry")], events.Skip(3).Select(e => (e.Code.Value, e.Event)));
            Assert.All(events, e => Assert.Equal("kiwoom", e.Live));
            Assert.Contains("\"time\":\"10:15:00\"", events[3].Values, StringComparison.Ordinal);

            // Alerts: one per event, except the re-entry of codes[0] inside the 10-minute window.
            var alerts = (await hub.Store.GetAlertsAsync(null, 100, Ct)).Where(a => a.ConditionId == id).OrderBy(a => a.Id).ToList();
            Assert.Equal(5, alerts.Count);
            var bar = KiwoomMarket.Real(codes[3], Last, Last)[0];
            Assert.StartsWith($"[조건 편입] 거래량 폭증 (키움 #4)\n{names[codes[3]]}({codes[3]})", alerts[3].Message, StringComparison.Ordinal);
            Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bar.Close:N0}원"), alerts[3].Message, StringComparison.Ordinal);
            Assert.StartsWith("[조건 이탈] 거래량 폭증 (키움 #4)", alerts[4].Message, StringComparison.Ordinal);
            Assert.Equal("kiwoom", JsonDocument.Parse(alerts[3].Payload).RootElement.GetProperty("condition").GetProperty("origin").GetString());

            var results = await hub.SendAsync(HttpMethod.Get, $"/api/conditions/{id}/results", null, HttpStatusCode.OK);
            Assert.Equal(codes.Take(4).Order(StringComparer.Ordinal), results.GetProperty("matching").EnumerateArray().Select(c => c.GetString()));
            await hub.SendAsync(HttpMethod.Put, $"/api/conditions/{id}", new { name = "x", expression = "close > 0" }, HttpStatusCode.Conflict);
            await hub.SendAsync(HttpMethod.Delete, $"/api/conditions/{id}", null, HttpStatusCode.Conflict);

            // Nine more make ten; the eleventh is refused before Kiwoom is asked.
            foreach (var seq in new[] { 0, 1, 2, 3, 5, 6, 7, 8, 9 })
            {
                await hub.SendAsync(HttpMethod.Post, $"/api/conditions/kiwoom/{seq}/realtime", null, HttpStatusCode.OK);
            }

            var limit = await hub.SendAsync(HttpMethod.Post, "/api/conditions/kiwoom/10/realtime", null, HttpStatusCode.Conflict);
            Assert.Contains("10 real-time conditions per login", limit.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(10, session.RealtimeConditions.Count);
            Assert.DoesNotContain(session.ConditionRequests, r => (string?)r["seq"] == "10" && (string?)r["search_type"] == "1");

            // Stopping one: CNSRCLR, and it lists as inactive; then the eleventh fits.
            await hub.SendAsync(HttpMethod.Delete, "/api/conditions/kiwoom/9/realtime", null, HttpStatusCode.OK);
            Assert.Contains(session.ConditionRequests, r => r.ToJsonString() == """{"trnm":"CNSRCLR","seq":"9"}""");
            await hub.SendAsync(HttpMethod.Post, "/api/conditions/kiwoom/10/realtime", null, HttpStatusCode.OK);
            var listed = await hub.ConditionsAsync(c => true);
            Assert.False(listed.Single(c => c.GetProperty("kiwoomSeq").GetString() == "9").GetProperty("active").GetBoolean());
            Assert.Empty(session.Violations);
        }
        finally
        {
            await hub.DisposeAsync();
        }

        // The hub cleared its ten conditions before closing; a restarted hub registers them again on its new connection.
        var stopped = ws.LoggedIn[^1];
        Assert.Empty(stopped.RealtimeConditions);
        var sessions = ws.LoggedIn.Count;
        var again = await Hub.StartAsync(test, settings);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(ws.LoggedIn.Count > sessions && ws.LoggedIn[sessions].RealtimeConditions.Count == 10),
                TimeSpan.FromSeconds(20), "the ten active conditions registered again");
            Assert.Equal("CNSRLST", (string?)ws.LoggedIn[sessions].ConditionRequests.First()["trnm"]);
            Assert.DoesNotContain("9", ws.LoggedIn[sessions].RealtimeConditions);

            // Its snapshot of condition 4 matches the stored set but codes[3]: that one exits.
            await Eventually.TrueAsync(async () => (await again.Store.GetConditionEventsAsync(id, DateOnly.MinValue, DateOnly.MaxValue, Ct)).Count == 7,
                TimeSpan.FromSeconds(20), "the exit found by the new snapshot");
            var last = (await again.Store.GetConditionEventsAsync(id, DateOnly.MinValue, DateOnly.MaxValue, Ct))[^1];
            Assert.Equal((codes[3], "exit"), (last.Code.Value, last.Event));
        }
        finally
        {
            await again.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_Kiwoom_keys_the_server_conditions_are_a_404_and_the_list_holds_only_user_conditions()
    {
        await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask);
        foreach (var (method, url) in new[] { (HttpMethod.Get, "/api/conditions/kiwoom"), (HttpMethod.Post, "/api/conditions/kiwoom/4/search"),
                     (HttpMethod.Post, "/api/conditions/kiwoom/4/realtime"), (HttpMethod.Delete, "/api/conditions/kiwoom/4/realtime") })
        {
            using var response = await hub.Client.SendAsync(new HttpRequestMessage(method, new Uri(url, UriKind.Relative)));
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((HttpStatusCode.NotFound, "Kiwoom not configured"), (response.StatusCode, problem.GetProperty("title").GetString()));
        }

        var list = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/conditions", UriKind.Relative));
        Assert.All(list.EnumerateArray(), c => Assert.Equal("user", c.GetProperty("origin").GetString()));
    }

    private static string Seq(int seq) => seq.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static System.Text.Json.Nodes.JsonObject Row(string code, string name)
    {
        var bar = KiwoomMarket.Real(code, Last, Last)[0];
        return FakeKiwoomConditions.Row(code, name, bar.Close, bar.Close - bar.Change, bar.Volume, bar.Open, bar.High, bar.Low);
    }

    /// <summary>A hub over the test's store with Kiwoom settings (its live source is the fake WebSocket), as `krxhub serve` builds it.</summary>
    private sealed class Hub : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Hub(WebApplication app, MarketStore store, Uri address)
        {
            _app = app;
            Store = store;
            Client = new HttpClient { BaseAddress = address };
        }

        public MarketStore Store { get; }

        public HttpClient Client { get; }

        public static async Task<Hub> StartAsync(TestStore test, HubSettings settings)
        {
            var store = await test.OpenAsync();
            var options = new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
            {
                Time = FixedTime.Default,
                ShowProgress = false,
                Settings = settings,
                RunConditionWorkers = false,
            };
            var app = HubApp.Build(options, store, TestData.Calendar);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Hub(app, store, new Uri(address));
        }

        public async Task<JsonElement> SendAsync(HttpMethod method, string url, object? body, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"{method} {url}: {(int)response.StatusCode} {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        /// <summary>GET /api/conditions once <paramref name="ready"/> holds (the feed logs in in the background).</summary>
        public async Task<List<JsonElement>> ConditionsAsync(Func<List<JsonElement>, bool> ready)
        {
            var list = new List<JsonElement>();
            await Eventually.TrueAsync(async () =>
            {
                list = [.. (await SendAsync(HttpMethod.Get, "/api/conditions", null, HttpStatusCode.OK)).EnumerateArray()];
                return ready(list);
            }, TimeSpan.FromSeconds(20), () => "GET /api/conditions: " + string.Join(", ", list));
            return list;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
