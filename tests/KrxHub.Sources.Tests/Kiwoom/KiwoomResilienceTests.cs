using System.Diagnostics;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Sources.Kiwoom;
using static KrxHub.Sources.Tests.Kiwoom.KiwoomTestKit;

namespace KrxHub.Sources.Tests.Kiwoom;

public sealed class KiwoomResilienceTests : IAsyncLifetime
{
    private FakeKiwoomServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKiwoomServer.StartAsync(TimeProvider.System);
        _server.Rows["ka10099"] = [new JsonObject { ["code"] = "005930", ["name"] = "삼성전자" }];
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static Task<KiwoomRows<KiwoomListedStock>> Call(KiwoomClient client) => client.GetStockListAsync(Market.Kospi, CancellationToken.None);

    [Fact]
    public async Task Requests_never_exceed_the_configured_rate_in_any_one_second_window()
    {
        const int rate = 20;
        var options = Options(_server) with { RequestsPerSecond = rate };
        var client = new KiwoomClient(new HttpClient(), options, TimeProvider.System, KiwoomRateLimiter.FromOptions(options, TimeProvider.System));

        // 40 calls from 8 concurrent callers, plus the token issue, all under the one limiter.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = 0; i < 5; i++)
            {
                await Call(client);
            }
        }));

        var arrivals = _server.Arrivals.Select(a => a.Timestamp).Order().ToArray();
        Assert.Equal(41, arrivals.Length);
        var busiest = 0;
        for (var i = 0; i < arrivals.Length; i++)
        {
            var inWindow = arrivals.Skip(i).TakeWhile(t => t - arrivals[i] < Stopwatch.Frequency).Count();
            Assert.True(inWindow <= rate, $"{inWindow} requests arrived within one second starting at arrival {i}");
            busiest = Math.Max(busiest, inWindow);
        }

        // The budget is used, not just respected: 8 callers keep it full.
        Assert.True(busiest > rate / 2, $"busiest second had only {busiest} requests");
    }

    [Fact]
    public async Task A_1700_rate_limit_answer_is_retried()
    {
        var client = Client(_server, TimeProvider.System);
        _server.EnqueueFault(FakeKiwoomServer.RateLimited("ka10099"));

        var rows = await Call(client);

        Assert.Single(rows.Rows);
        Assert.Equal(2, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task HTTP_429_is_retried()
    {
        var client = Client(_server, TimeProvider.System);
        _server.EnqueueFault(FakeKiwoomServer.Raw(429, "Too Many Requests", "text/plain"));

        await Call(client);

        Assert.Equal(2, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task Rate_limit_answers_that_do_not_stop_surface_as_rate_limited_after_the_retries()
    {
        var client = Client(_server, TimeProvider.System);
        _server.PersistentFault = FakeKiwoomServer.RateLimited("ka10099");

        var e = await Assert.ThrowsAsync<KiwoomRateLimitedException>(() => Call(client));

        Assert.Contains("1700", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task A_1634_batch_too_large_answer_is_not_retried_and_has_its_own_exception()
    {
        var client = Client(_server, TimeProvider.System);
        _server.EnqueueFault(FakeKiwoomServer.BatchTooLarge());
        _server.EnqueueFault(FakeKiwoomServer.BatchTooLarge());

        var e = await Assert.ThrowsAsync<KiwoomBatchTooLargeException>(() => Call(client));

        Assert.Equal((5, (int?)1634, "ka10099"), (e.ReturnCode, e.DetailCode, e.ApiId));
        Assert.Single(_server.Calls("ka10099"));
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_server_recovers()
    {
        var client = Client(_server, TimeProvider.System);
        _server.EnqueueFault(FakeKiwoomServer.Raw(503, FakeKiwoomServer.HtmlErrorPage, "text/html"));
        _server.EnqueueFault(FakeKiwoomServer.Raw(500, """{"return_code":1999,"return_msg":"예기치 못한 에러"}"""));

        var rows = await Call(client);

        Assert.Single(rows.Rows);
        Assert.Equal(3, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task A_timed_out_request_is_retried()
    {
        var client = Client(_server, TimeProvider.System, Options(_server) with { RequestTimeout = TimeSpan.FromSeconds(1) });
        await Call(client); // token issued and connection warm: only the stalled call can time out
        _server.EnqueueFault(FakeKiwoomServer.Stall(TimeSpan.FromSeconds(30)));

        var rows = await Call(client);

        Assert.Single(rows.Rows);
        Assert.Equal(3, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task Timeouts_that_persist_end_in_a_transient_error_naming_the_timeout()
    {
        var client = Client(_server, TimeProvider.System, Options(_server) with { RequestTimeout = TimeSpan.FromMilliseconds(500), MaxRetries = 1 });
        await Call(client);
        _server.PersistentFault = FakeKiwoomServer.Stall(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<KiwoomTransientException>(() => Call(client));

        Assert.Contains("no answer within 0.5 s", e.Message, StringComparison.Ordinal);
        // The retry goes out on a new connection (the stalled one was dropped); on a loaded machine its request can still
        // be on its way to the fake server when the client gives up, so wait for the server to have seen it.
        for (var waited = 0; waited < 50 && _server.Calls("ka10099").Count < 3; waited++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(3, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task The_caller_cancelling_is_not_a_timeout_and_is_not_retried()
    {
        var client = Client(_server, TimeProvider.System);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stall = FakeKiwoomServer.Stall(TimeSpan.FromSeconds(30));
        _server.PersistentFault = ctx =>
        {
            arrived.TrySetResult();
            return stall(ctx);
        };
        using var cts = new CancellationTokenSource();

        var call = client.GetStockListAsync(Market.Kospi, cts.Token);
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(_server.Calls("ka10099"));
    }

    [Fact]
    public async Task The_breaker_opens_after_repeated_failures_and_half_opens_after_the_break()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 9, 8, 0, 0, 0, TimeSpan.Zero));
        await using var server = await FakeKiwoomServer.StartAsync(clock);
        server.Rows["ka10099"] = [new JsonObject { ["code"] = "005930", ["name"] = "삼성전자" }];
        var options = Options(server) with
        {
            MaxRetries = 0,
            BreakerMinimumThroughput = 3,
            BreakerFailureRatio = 0.5,
            BreakerSamplingDuration = TimeSpan.FromMinutes(1),
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
        };
        var client = Client(server, clock, options);
        Assert.Equal(KiwoomCircuitState.Closed, client.CircuitState);
        server.PersistentFault = FakeKiwoomServer.Raw(502, FakeKiwoomServer.HtmlErrorPage, "text/html");

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<KiwoomTransientException>(() => Call(client));
        }

        Assert.Equal(KiwoomCircuitState.Open, client.CircuitState);
        await Assert.ThrowsAsync<KiwoomCircuitOpenException>(() => Call(client));
        Assert.Equal(3, server.Calls("ka10099").Count);

        // After the break one probe goes through; it fails, and the circuit opens again.
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(KiwoomCircuitState.HalfOpen, client.CircuitState);
        await Assert.ThrowsAsync<KiwoomTransientException>(() => Call(client));
        Assert.Equal(KiwoomCircuitState.Open, client.CircuitState);
        Assert.Equal(4, server.Calls("ka10099").Count);

        // Next break, the server has recovered: the probe succeeds and closes the circuit.
        clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(KiwoomCircuitState.HalfOpen, client.CircuitState);
        server.PersistentFault = null;
        var rows = await Call(client);
        Assert.Single(rows.Rows);
        Assert.Equal(KiwoomCircuitState.Closed, client.CircuitState);
    }

    [Fact]
    public async Task Refused_requests_do_not_open_the_breaker()
    {
        var options = Options(_server) with { MaxRetries = 0, BreakerMinimumThroughput = 2, BreakerFailureRatio = 0.1 };
        var client = Client(_server, TimeProvider.System, options);
        _server.PersistentFault = FakeKiwoomServer.ReturnCode(2, "종목 정보가 없습니다[1902:종목 정보가 없습니다]");

        for (var i = 0; i < 5; i++)
        {
            var e = await Assert.ThrowsAsync<KiwoomApiException>(() => Call(client));
            Assert.Equal(1902, e.DetailCode);
        }

        Assert.Equal(KiwoomCircuitState.Closed, client.CircuitState);
        Assert.Equal(5, _server.Calls("ka10099").Count);
    }
}
