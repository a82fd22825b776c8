using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using KrxHub.Features.Access;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>API keys over the real HTTP pipeline and /ws: 401, 403, 429 with Retry-After, caps, headers and the request size limit.</summary>
public class AccessTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private sealed record Keys(string Admin, string Read);

    /// <summary>A hub (over the raw window if asked) whose store holds one admin and one read key (so access is enforced, even on loopback).</summary>
    private static async Task<(HubServer Hub, Keys Keys)> KeyedHubAsync(string backend, AccessSettings? access = null, bool rawWindow = false)
    {
        Keys? keys = null;
        var hub = await HubServer.StartAsync(backend, async (_, store) =>
        {
            if (rawWindow)
            {
                await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
            }

            var admin = await ApiKeys.AddAsync(store, "ops", Roles.Admin, DateTimeOffset.UtcNow, Ct);
            var read = await ApiKeys.AddAsync(store, "notebook", Roles.Read, DateTimeOffset.UtcNow, Ct);
            keys = new Keys(admin!.Value.Key, read!.Value.Key);
        }, HubSettings.None with { Access = access ?? new AccessSettings() });
        return (hub, keys!);
    }

    private static async Task<HttpResponseMessage> SendAsync(HubServer hub, HttpMethod method, string url, string? bearer = null, object? body = null,
        Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        configure?.Invoke(request);
        return await hub.Client.SendAsync(request, Ct);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Reads_need_a_key_and_writes_need_an_admin_key(string backend)
    {
        var (hub, keys) = await KeyedHubAsync(backend);
        await using var _ = hub;
        var condition = new { name = "above 5-day average", expression = "close > sma(close, 5)" };

        using (var anonymous = await SendAsync(hub, HttpMethod.Get, "/api/stocks?limit=1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        using (var wrong = await SendAsync(hub, HttpMethod.Get, "/api/stocks?limit=1", "krx_not-a-key"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var read = await SendAsync(hub, HttpMethod.Get, "/api/stocks/005930", keys.Read))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        using (var header = await SendAsync(hub, HttpMethod.Get, "/api/stocks/005930", configure: r => r.Headers.Add("X-Api-Key", keys.Read)))
        {
            Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        }

        // POST /api/screen is a query: the read role may (this store has no bars: past access, the screen answers on its own terms).
        using (var screen = await SendAsync(hub, HttpMethod.Post, "/api/screen", keys.Read, new { expression = "close > 100000", date = "2024-02-13", basis = "raw" }))
        {
            Assert.True(screen.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{screen.StatusCode}: {await screen.Content.ReadAsStringAsync(Ct)}");
        }

        using (var forbidden = await SendAsync(hub, HttpMethod.Post, "/api/conditions", keys.Read, condition))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        using (var backtest = await SendAsync(hub, HttpMethod.Post, "/api/backtests", keys.Read, new { strategy = "buy-and-hold", codes = new[] { "005930" } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, backtest.StatusCode);
        }

        using (var created = await SendAsync(hub, HttpMethod.Post, "/api/conditions", keys.Admin, condition))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Metrics on the API's own address are an admin's.
        using (var metricsRead = await SendAsync(hub, HttpMethod.Get, "/metrics", keys.Read))
        {
            Assert.Equal(HttpStatusCode.Forbidden, metricsRead.StatusCode);
        }

        using (var metrics = await SendAsync(hub, HttpMethod.Get, "/metrics", keys.Admin))
        {
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }

        // Public: liveness and the dashboard page (it holds no data; its API calls carry the key).
        using (var live = await SendAsync(hub, HttpMethod.Get, "/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        // A revoked key stops working once the cache forgets it (at most KeyRing.CacheFor; here at once).
        Assert.Single(await hub.Store.RevokeApiKeysAsync("notebook", DateTimeOffset.UtcNow, Ct));
        hub.Services.GetRequiredService<KeyRing>().Invalidate();
        using (var revoked = await SendAsync(hub, HttpMethod.Get, "/api/stocks/005930", keys.Read))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        }
    }

    [Fact]
    public async Task A_setting_opens_backtests_and_condition_writes_to_read_keys()
    {
        var (hub, keys) = await KeyedHubAsync("sqlite", new AccessSettings { ReadMayRunBacktestsAndConditions = true });
        await using var _ = hub;
        using var created = await SendAsync(hub, HttpMethod.Post, "/api/conditions", keys.Read, new { name = "x", expression = "close > 1" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var retry = await SendAsync(hub, HttpMethod.Post, "/api/alerts/1/retry", keys.Read);
        Assert.Equal(HttpStatusCode.Forbidden, retry.StatusCode); // alert retries stay admin-only
    }

    [Fact]
    public async Task Without_keys_on_loopback_the_hub_is_open_as_before()
    {
        await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask);
        using var read = await SendAsync(hub, HttpMethod.Get, "/api/stocks/005930");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        using var write = await SendAsync(hub, HttpMethod.Post, "/api/conditions", body: new { name = "x", expression = "close > 1" });
        Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        using var wrong = await SendAsync(hub, HttpMethod.Get, "/api/stocks/005930", "krx_wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode); // a wrong key is never ignored
    }

    [Fact]
    public async Task A_key_over_its_rate_limit_gets_429_with_Retry_After()
    {
        var (hub, keys) = await KeyedHubAsync("sqlite", new AccessSettings { RequestsPerMinutePerKey = 3 });
        await using var _ = hub;
        for (var i = 0; i < 3; i++)
        {
            using var ok = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Read);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Read);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);

        // The limit is per key: the admin key still has its own.
        using var other = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Admin);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_client_address_behind_a_trusted_proxy_is_limited_by_its_own_address()
    {
        var (hub, keys) = await KeyedHubAsync("sqlite", new AccessSettings { RequestsPerMinutePerIp = 2, TrustedProxies = "127.0.0.1" });
        await using var _ = hub;
        void From(HttpRequestMessage r, string address) => r.Headers.Add("X-Forwarded-For", address);
        for (var i = 0; i < 2; i++)
        {
            using var ok = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Read, configure: r => From(r, "203.0.113.9"));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Read, configure: r => From(r, "203.0.113.9"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        using var another = await SendAsync(hub, HttpMethod.Get, "/api/session", keys.Read, configure: r => From(r, "203.0.113.10"));
        Assert.Equal(HttpStatusCode.OK, another.StatusCode);

        // HSTS once the proxy says the client came over TLS (and never for localhost).
        using var tls = await SendAsync(hub, HttpMethod.Get, "/health/live", configure: r =>
        {
            r.Headers.Add("X-Forwarded-Proto", "https");
            r.Headers.Host = "hub.example.com";
        });
        Assert.True(tls.Headers.Contains("Strict-Transport-Security"));
        using var plain = await SendAsync(hub, HttpMethod.Get, "/health/live");
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task WebSocket_clients_need_a_key_in_the_query_and_are_capped_per_key()
    {
        var (hub, keys) = await KeyedHubAsync("sqlite", new AccessSettings { WebSocketsPerKey = 1 });
        await using var _ = hub;
        var ws = new UriBuilder(hub.Client.BaseAddress!) { Scheme = "ws", Path = "/ws" }.Uri;

        using (var anonymous = new ClientWebSocket())
        {
            anonymous.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => anonymous.ConnectAsync(ws, Ct));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.HttpStatusCode);
        }

        var keyed = new UriBuilder(ws) { Query = $"{ApiKeyAuthentication.QueryParameter}={Uri.EscapeDataString(keys.Read)}" }.Uri;
        using var first = new ClientWebSocket();
        await first.ConnectAsync(keyed, Ct);
        Assert.Equal(WebSocketState.Open, first.State);

        using (var second = new ClientWebSocket())
        {
            second.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(keyed, Ct));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.HttpStatusCode);
            Assert.True(second.HttpResponseHeaders?.ContainsKey("Retry-After"));
        }

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        // The slot is free again once the first connection has ended on the server.
        var caps = hub.Services.GetRequiredService<WebSocketCaps>();
        var readId = (await hub.Store.GetApiKeysAsync(Ct)).Single(k => k.Name == "notebook").Id;
        for (var i = 0; i < 100 && caps.Open($"key:{readId}") > 0; i++)
        {
            await Task.Delay(20, Ct);
        }

        using var third = new ClientWebSocket();
        await third.ConnectAsync(keyed, Ct);
        Assert.Equal(WebSocketState.Open, third.State);
    }

    [Fact]
    public async Task A_full_backtest_queue_answers_429_and_bodies_over_the_size_limit_413()
    {
        var (hub, keys) = await KeyedHubAsync("sqlite", new AccessSettings { BacktestQueue = 1, MaxRequestBodyBytes = 4096 }, rawWindow: true);
        await using var _ = hub;
        // The test holds the node's run gate, so the first run stays queued while the second request arrives.
        var jobs = hub.Services.GetRequiredService<KrxHub.Features.Backtests.BacktestJobs>();
        var body = new { strategy = "buy-and-hold", codes = new[] { "005930" }, basis = "raw", from = "2024-01-02", to = "2024-02-13" };
        await jobs.RunGate.WaitAsync(Ct);
        string queuedId;
        try
        {
            using var queued = await SendAsync(hub, HttpMethod.Post, "/api/backtests", keys.Admin, body);
            Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
            queuedId = (await queued.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("id").GetString()!;
            using var busy = await SendAsync(hub, HttpMethod.Post, "/api/backtests", keys.Admin, body);
            Assert.Equal(HttpStatusCode.TooManyRequests, busy.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(30), busy.Headers.RetryAfter?.Delta);
        }
        finally
        {
            jobs.RunGate.Release();
        }

        // Once the queued run has finished, the queue takes a new one.
        for (var i = 0; i < 200 && jobs.Find(queuedId)!.FinishedAt is null; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal("completed", jobs.Find(queuedId)!.Status);
        using (var again = await SendAsync(hub, HttpMethod.Post, "/api/backtests", keys.Admin, body))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        using var huge = await SendAsync(hub, HttpMethod.Post, "/api/screen", keys.Read, new { expression = "close > 1 " + new string(' ', 10_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_CORS_answers_only_listed_origins()
    {
        await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask,
            HubSettings.None with { Access = new AccessSettings { CorsOrigins = "https://app.example.com" } });
        using var page = await SendAsync(hub, HttpMethod.Get, "/api/session");
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        HttpRequestMessage Preflight(HttpRequestMessage r, string origin)
        {
            r.Headers.Add("Origin", origin);
            r.Headers.Add("Access-Control-Request-Method", "GET");
            r.Headers.Add("Access-Control-Request-Headers", "authorization");
            return r;
        }

        using var allowed = await SendAsync(hub, HttpMethod.Options, "/api/stocks", configure: r => Preflight(r, "https://app.example.com"));
        Assert.Equal("https://app.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var other = await SendAsync(hub, HttpMethod.Options, "/api/stocks", configure: r => Preflight(r, "https://evil.example.net"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080;http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://127.0.0.1:5080;http://192.168.0.10:5080", false)]
    public void Only_loopback_addresses_count_as_loopback(string urls, bool loopback) =>
        Assert.Equal(loopback, AccessMode.IsLoopbackOnly(urls));

    [Fact]
    public void A_public_address_needs_an_admin_key_unless_started_insecure_open()
    {
        Assert.Null(new AccessMode(LoopbackOnly: true, InsecureOpen: false).Refusal(adminKeys: 0));
        Assert.NotNull(new AccessMode(LoopbackOnly: false, InsecureOpen: false).Refusal(adminKeys: 0));
        Assert.Null(new AccessMode(LoopbackOnly: false, InsecureOpen: false).Refusal(adminKeys: 1));
        Assert.Null(new AccessMode(LoopbackOnly: false, InsecureOpen: true).Refusal(adminKeys: 0));
        Assert.StartsWith("WARNING: --insecure-open", new AccessMode(false, true).Describe(activeKeys: 0), StringComparison.Ordinal);
    }
}
