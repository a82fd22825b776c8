using KrxHub.Core;
using KrxHub.Sources.KrxOpenApi;
using static KrxHub.Sources.Tests.KrxOpenApi.KrxTestKit;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public sealed class KrxOpenApiFaultTests
{
    private const string Kospi = "KRX Open API sto/stk_bydd_trd basDd=20210104";

    private static async Task<FakeKrxServer> ServerAsync()
    {
        var server = await FakeKrxServer.StartAsync();
        ServeJan4(server);
        return server;
    }

    [Fact]
    public async Task A_request_without_the_right_AUTH_KEY_is_refused_once_with_a_clear_error_and_not_retried()
    {
        await using var server = await ServerAsync();

        // The fake enforces the header: without it the answer is 401.
        using (var plain = new HttpClient())
        {
            var bare = await plain.GetAsync(new Uri(server.OpenApiUrl + "/sto/stk_bydd_trd?basDd=20210104"));
            Assert.Equal(401, (int)bare.StatusCode);
        }

        var client = Client(server, Options(server) with { AuthKey = "KRXKEY-not-issued" });
        var e = await Assert.ThrowsAsync<KrxAuthException>(() => client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal(
            $"{Kospi}: HTTP 401: the AUTH_KEY was refused; check KRXHUB_KRX__AUTHKEY and that this API's 이용신청 is approved at openapi.krx.co.kr",
            e.Message);
        Assert.Equal(2, server.OpenApiCalls.Count);
        Assert.Equal("KRXKEY-not-issued", server.OpenApiCalls[1].Header("AUTH_KEY"));

        var missing = Assert.Throws<ArgumentException>(() => Client(server, Options(server) with { AuthKey = " " }));
        Assert.StartsWith("KRXHUB_KRX__AUTHKEY is required", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HTTP_403_for_an_API_without_approval_is_an_auth_error_and_not_retried()
    {
        await using var server = await ServerAsync();
        server.EnqueueFault(FakeKrxServer.Raw(403, "", "text/plain"));

        var e = await Assert.ThrowsAsync<KrxAuthException>(() => Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.StartsWith($"{Kospi}: HTTP 403: the AUTH_KEY was refused", e.Message, StringComparison.Ordinal);
        Assert.Single(server.OpenApiCalls);
    }

    [Fact]
    public async Task Server_errors_and_429_are_retried_until_the_day_comes()
    {
        await using var server = await ServerAsync();
        server.EnqueueFault(FakeKrxServer.Raw(503, FakeKrxServer.HtmlErrorPage, "text/html"));
        server.EnqueueFault(FakeKrxServer.Raw(429, ""));

        var day = await Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None);

        Assert.Equal(917, day.Rows.Count);
        Assert.Equal(3, server.OpenApiCalls.Count);
    }

    [Fact]
    public async Task A_server_that_stays_down_ends_in_a_transient_error_after_the_retries()
    {
        await using var server = await ServerAsync();
        server.PersistentFault = FakeKrxServer.Raw(502, FakeKrxServer.HtmlErrorPage, "text/html");

        var e = await Assert.ThrowsAsync<KrxTransientException>(() => Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal($"{Kospi}: HTTP 502 (text/html): '{FakeKrxServer.HtmlErrorPage}'", e.Message);
        Assert.Equal(3, server.OpenApiCalls.Count);
    }

    [Fact]
    public async Task A_request_without_an_answer_times_out_and_is_retried()
    {
        await using var server = await ServerAsync();
        var client = Client(server, Options(server) with { RequestTimeout = TimeSpan.FromSeconds(2) });
        // A first answer warms the client up, so that the timeout measures the stall, not the first request's start-up.
        Assert.Equal(917, (await client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None)).Rows.Count);
        server.EnqueueFault(FakeKrxServer.Stall(TimeSpan.FromSeconds(60)));

        var day = await client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None);

        Assert.Equal(917, day.Rows.Count);
        Assert.Equal(3, server.OpenApiCalls.Count);
    }

    [Fact]
    public async Task Truncated_JSON_is_a_bad_payload_naming_where_it_ends_and_is_not_retried()
    {
        await using var server = await ServerAsync();
        var body = server.OpenApiDays[("sto/stk_bydd_trd", "20210104")];
        server.EnqueueFault(FakeKrxServer.Raw(200, body[..5000]));

        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal($"{Kospi}: the answer is truncated JSON at byte {FakeKrxServer.Utf8(body[..5000]).Length}: the body ends inside a value", e.Message);
        Assert.Single(server.OpenApiCalls);
    }

    [Fact]
    public async Task An_HTML_page_with_status_200_is_a_bad_payload_quoting_its_start()
    {
        await using var server = await ServerAsync();
        server.EnqueueFault(FakeKrxServer.Raw(200, "<html><head><title>KRX 시스템 점검 안내</title></head><body>점검 중입니다</body></html>", "text/html"));

        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal($"{Kospi}: the answer is an HTML page, not JSON (text/html): '<html><head><title>KRX 시스템 점검 안내</title></head><body>점검 중입니다</body></html>'", e.Message);
        Assert.Single(server.OpenApiCalls);
    }

    [Fact]
    public async Task An_answer_without_OutBlock_1_is_a_bad_payload_listing_its_keys()
    {
        await using var server = await ServerAsync();
        server.EnqueueFault(FakeKrxServer.Raw(200, """{"result":"error","data":[]}"""));

        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => Client(server).GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal($$"""{{Kospi}}: the answer has no 'OutBlock_1' array (keys: result,data) (application/json): '{"result":"error","data":[]}'""", e.Message);
    }

    [Fact]
    public async Task A_day_without_rows_is_no_data_not_an_empty_success()
    {
        await using var server = await ServerAsync();

        var e = await Assert.ThrowsAsync<KrxNoDataException>(() => Client(server).GetDailyAsync(Market.Kospi, new DateOnly(2021, 1, 1), CancellationToken.None));

        Assert.Equal("KRX Open API sto/stk_bydd_trd basDd=20210101: no rows: KRX answers this way for non-session dates and for days it has not published yet", e.Message);
    }

    [Fact]
    public async Task An_answer_holding_another_day_is_refused_whole()
    {
        await using var server = await ServerAsync();
        server.OpenApiDays[("sto/stk_bydd_trd", "20210103")] = OpenApiBody(Jan4Rows.Where(r => r.MarketId == "STK").Select(r => OpenApiRecord(r, "20210104")));

        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => Client(server).GetDailyAsync(Market.Kospi, new DateOnly(2021, 1, 3), CancellationToken.None));

        Assert.Equal("KRX Open API sto/stk_bydd_trd basDd=20210103: 917 of 917 rows are of another day (BAS_DD 2021-01-04), not 2021-01-03", e.Message);
    }

    [Fact]
    public async Task All_markets_is_all_or_nothing_when_one_market_fails()
    {
        await using var server = await ServerAsync();
        server.OpenApiDays[("sto/knx_bydd_trd", "20210104")] = "<html>maintenance</html>";

        var e = await Assert.ThrowsAsync<KrxPayloadException>(() => Client(server).GetAllMarketsDailyAsync(Jan4, CancellationToken.None));

        Assert.StartsWith("KRX Open API sto/knx_bydd_trd basDd=20210104: the answer is an HTML page", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.OpenApiCalls.Count);
    }

    [Fact]
    public async Task Repeated_infrastructure_failures_open_the_circuit_so_no_request_is_sent()
    {
        await using var server = await ServerAsync();
        server.PersistentFault = FakeKrxServer.Raw(500, "");
        var client = Client(server, Options(server) with { MaxRetries = 0 });

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<KrxTransientException>(() => client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));
        }

        var e = await Assert.ThrowsAsync<KrxCircuitOpenException>(() => client.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None));

        Assert.Equal($"{Kospi}: circuit open after repeated failures; no request was sent", e.Message);
        Assert.Equal(5, server.OpenApiCalls.Count);
    }
}
