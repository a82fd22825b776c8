using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Features.Observability;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Tests.Collection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests.Observability;

/// <summary>
/// /metrics after real work: a collection through the real pipeline (a fake Kiwoom serving real bars, one of them broken),
/// a REST request and a WebSocket client. Several hubs share the test process (and the process-wide meters), so the checks
/// are lower bounds: this hub's own work is in them.
/// </summary>
public sealed class MetricsTests
{
    private static readonly DateOnly Jan15 = new(2024, 1, 15);
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Metrics_show_rows_by_reason_jobs_source_requests_http_requests_and_live_clients_after_real_work()
    {
        await using var market = await KiwoomMarket.StartAsync();
        var codes = KiwoomMarket.TradedEverySession(3);
        var broken = market.Server.RowsFor!("ka10081", new JsonObject { ["stk_cd"] = codes[1], ["base_dt"] = "20240115" }).Take(1).Select(n => n!.DeepClone()).ToList();
        broken[0]!["cur_prc"] = "+72,5OO"; // a letter O for a zero: non_numeric_field
        market.Server.FaultFor = (apiId, body) => apiId == "ka10081" && (string?)body["stk_cd"] == codes[1]
            ? FakeKiwoomServer.Raw(200, new JsonObject
            {
                ["stk_dt_pole_chart_qry"] = new JsonArray([.. broken]),
                ["return_code"] = 0,
                ["return_msg"] = FakeKiwoomServer.Ok,
            }.ToJsonString())
            : null;
        await using var test = await TestStore.CreateAsync("sqlite");
        var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__SCHEDULE"] = "false";
        await using var app = HubApp.Build(new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            ShowProgress = false,
            RunConditionWorkers = false,
        }, store, TestData.Calendar);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var client = new HttpClient { BaseAddress = address };

        var jobs = app.Services.GetRequiredService<CollectionJobs>();
        var request = new CollectionRequest(CollectDataset.Daily, Jan15, Jan15) { Codes = [.. codes.Select(StockCode.Parse)] };
        var outcome = await jobs.RunAsync(request, await jobs.PlanAsync(request, Ct), null, Ct);
        Assert.Equal((2L, 1L), (outcome.Accepted, outcome.Quarantined));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/api/stocks/005930", UriKind.Relative))).StatusCode);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{address.Authority}/ws"), Ct);

        var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(PrometheusText.Value(text, "krxhub_rows_ingested_total", ("dataset", "daily_bars"), ("job", "collect:daily")) >= 2, text);
        Assert.True(PrometheusText.Value(text, "krxhub_rows_quarantined_total", ("dataset", "daily_bars"), ("reason", "non_numeric_field")) >= 1, text);
        Assert.True(PrometheusText.Value(text, "krxhub_job_duration_seconds_count", ("job", "collect:daily"), ("outcome", "succeeded")) >= 1, text);
        Assert.True(PrometheusText.Value(text, "krxhub_source_requests_total", ("source", "Kiwoom"), ("outcome", "ok")) >= 3, text);
        Assert.True(PrometheusText.Value(text, "krxhub_source_request_duration_seconds_count", ("source", "Kiwoom")) >= 3, text);
        Assert.NotNull(PrometheusText.Value(text, "krxhub_source_breaker_state", ("source", "Kiwoom")));
        // Present, not counted: OpenTelemetry listens to every "KrxHub" meter of the process, and the other tests' hubs (0 clients)
        // register the same observable gauge; OutboxMetricsTests checks exact values on a hub process of its own.
        Assert.NotNull(PrometheusText.Value(text, "krxhub_live_clients"));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_live_events_in_total"));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_live_messages_delivered_total"));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_live_messages_coalesced_total"));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_alerts_outbox_depth", ("status", "pending")));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_alerts_outbox_oldest_age_seconds"));
        Assert.True(PrometheusText.Value(text, "http_server_request_duration_seconds_count", ("http_route", "/api/stocks/{code}"), ("http_response_status_code", "200")) >= 1, text);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        await app.StopAsync();
    }

    [Fact]
    public async Task With_a_metrics_port_metrics_answer_there_and_the_hub_address_answers_404()
    {
        var port = FreePort();
        var settings = HubSettings.None with { Observability = new ObservabilitySettings { Metrics = new MetricsSettings { Port = port } } };
        await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask, settings);

        Assert.Equal(HttpStatusCode.NotFound, (await hub.Client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var text = await metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.NotNull(PrometheusText.Value(text, "krxhub_live_clients"));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
