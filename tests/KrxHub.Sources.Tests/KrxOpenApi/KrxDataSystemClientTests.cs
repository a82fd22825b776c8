using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Testing;
using Microsoft.Extensions.Logging;
using static KrxHub.Sources.Tests.KrxOpenApi.KrxTestKit;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public sealed class KrxDataSystemClientTests
{
    private const string Bld = KrxDataSystemClient.AllStocksDailyBld;

    private static async Task<FakeKrxServer> ServerAsync()
    {
        var server = await FakeKrxServer.StartAsync();
        server.DataSystemBodies[(Bld, "STK", "20210122")] = File.ReadAllBytes(KospiJan22Sample);
        return server;
    }

    private static KrxDataSystemOptions Options(FakeKrxServer server, bool login = false) => new()
    {
        Url = server.BaseUrl,
        UseLoginSession = login,
        LoginId = login ? FakeKrxServer.LoginId : null,
        Password = login ? FakeKrxServer.Password : null,
        RequestsPerSecond = 1000,
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.Zero,
        RateLimitBackoff = TimeSpan.Zero,
    };

    // The limiter runs on the real clock: its permits come back after a real second, which a manual clock would never allow.
    private static KrxDataSystemClient Client(KrxDataSystemOptions options, TimeProvider? clock = null, ILogger<KrxDataSystemClient>? logger = null) =>
        new(new HttpClient(), options, clock ?? TimeProvider.System, new RequestRateLimiter(options.RequestsPerSecond, TimeProvider.System), logger);

    [Fact]
    public async Task The_real_MDCSTAT01501_answer_parses_exactly_as_the_file_import_of_the_same_body()
    {
        await using var server = await ServerAsync();

        var day = await Client(Options(server)).GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        var imported = ImportReader.Open(KospiJan22Sample, new ImportOptions { Date = Jan22 }).ReadDailyRows().ToList();
        Assert.Equal((Market.Kospi, Jan22, "krx:MDCSTAT01501", PriceBasis.Raw), (day.Market, day.Date, day.Source, day.Basis));
        Assert.Equal(917, day.Rows.Count);
        Assert.Equal(imported.Select(Fields), day.Rows.Select(Fields));

        // The documented request: form fields, Referer (mandatory since 2024-07), X-Requested-With and a User-Agent.
        var call = Assert.Single(server.JsonDataCalls);
        Assert.Equal("POST", call.Method);
        Assert.Equal(new Dictionary<string, string>
        {
            ["bld"] = "dbms/MDC/STAT/standard/MDCSTAT01501", ["mktId"] = "STK", ["trdDd"] = "20210122",
            ["share"] = "1", ["money"] = "1", ["csvxls_isNo"] = "false",
        }, call.Form);
        Assert.Equal(server.BaseUrl + "/contents/MDC/MDI/outerLoader/index.cmd", call.Header("Referer"));
        Assert.Equal("XMLHttpRequest", call.Header("X-Requested-With"));
        Assert.False(string.IsNullOrWhiteSpace(call.Header("User-Agent")));

        var samsung = StockCode.Parse("005930");
        var master = new Dictionary<StockCode, Stock> { [samsung] = new(samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)) };
        var bar = day.Validate(new DailyBarValidator(Calendar, master, new DateOnly(2026, 4, 14))).Single(v => v.Accepted).Bar!;
        Assert.Equal((89_000m, 89_700m, 86_800m, 86_800m, 30_861_661L, 2_717_635_251_520m), (bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, bar.TradingValue!.Value));
        Assert.Equal("krx:MDCSTAT01501", bar.Source);
    }

    private static (long, string, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?, string?) Fields(RawDailyRow r) =>
        (r.Line, r.Payload, r.Code, r.Date, r.Open, r.High, r.Low, r.Close, r.Volume, r.TradingValue, r.MarketCap, r.ListedShares, r.Change, r.ChangeCode, r.Name, r.Market);

    [Fact]
    public async Task LOGOUT_without_a_login_session_is_an_auth_error_that_points_to_the_setting_and_is_not_retried()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;

        var e = await Assert.ThrowsAsync<KrxAuthException>(() => Client(Options(server)).GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None));

        Assert.Equal(
            "KRX data system MDCSTAT01501 mktId=STK trdDd=20210122: HTTP 400 LOGOUT: since 2026-02 the data system needs a member login; " +
            "set KRXHUB_KRX__DATASYSTEM__USELOGINSESSION (read its terms-of-service caveat in the README) or use the KRX Open API", e.Message);
        Assert.Single(server.Arrivals);
    }

    [Fact]
    public async Task The_login_session_follows_pykrx_and_is_reused_for_an_hour_then_renewed()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 5, 4, 9, 0, 0, TimeSpan.Zero));
        var client = Client(Options(server, login: true), clock);

        var first = await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        Assert.Equal(917, first.Rows.Count);
        Assert.Equal(
            [
                "GET /contents/MDC/COMS/client/MDCCOMS001.cmd",
                "GET /contents/MDC/COMS/client/view/login.jsp?site=mdc",
                "POST /contents/MDC/COMS/client/MDCCOMS001D1.cmd",
                "POST /comm/bldAttendant/getJsonData.cmd",
            ],
            server.Arrivals.Select(a => $"{a.Method} {a.Path}{a.Query}"));
        Assert.Equal(new Dictionary<string, string>
        {
            ["mbrId"] = FakeKrxServer.LoginId, ["pw"] = FakeKrxServer.Password, ["mbrNm"] = "", ["telNo"] = "", ["di"] = "", ["certType"] = "",
        }, server.LoginPosts[0].Form);

        clock.Advance(TimeSpan.FromMinutes(59));
        await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);
        Assert.Single(server.LoginPosts);

        clock.Advance(TimeSpan.FromMinutes(2));
        await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);
        Assert.Equal(2, server.LoginPosts.Count);
        Assert.Equal(3, server.JsonDataCalls.Count);
    }

    [Fact]
    public async Task A_session_the_server_ended_is_renewed_once_on_LOGOUT()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;
        var client = Client(Options(server, login: true));
        await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        server.ForgetSessions();
        var day = await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        Assert.Equal(917, day.Rows.Count);
        Assert.Equal(2, server.LoginPosts.Count);
        Assert.Equal(3, server.JsonDataCalls.Count);
    }

    [Fact]
    public async Task A_login_elsewhere_CD011_is_answered_with_skipDup_Y()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;
        server.LoggedInElsewhere = true;

        var day = await Client(Options(server, login: true)).GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);

        Assert.Equal(917, day.Rows.Count);
        Assert.Equal([null, "Y"], server.LoginPosts.Select(p => p.Form.GetValueOrDefault("skipDup")));
    }

    [Fact]
    public async Task A_required_password_change_CD010_is_an_auth_error_for_a_person_to_fix()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;
        server.PasswordChangeRequired = true;

        var e = await Assert.ThrowsAsync<KrxAuthException>(() =>
            Client(Options(server, login: true)).GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None));

        Assert.Equal("KRX data system login: KRX asks for a password change (CD010): log in at data.krx.co.kr in a browser and change it", e.Message);
        Assert.Empty(server.JsonDataCalls);
    }

    [Fact]
    public async Task Bad_answers_are_typed_errors_with_the_reason()
    {
        await using var server = await ServerAsync();
        var client = Client(Options(server));
        var body = File.ReadAllText(KospiJan22Sample);
        const string request = "KRX data system MDCSTAT01501 mktId=STK trdDd=20210122";

        server.EnqueueFault(FakeKrxServer.Raw(200, body[..777]));
        var truncated = await Assert.ThrowsAsync<KrxPayloadException>(() => client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None));
        server.EnqueueFault(FakeKrxServer.Raw(200, "<!DOCTYPE html><html><body>Error</body></html>", "text/html"));
        var html = await Assert.ThrowsAsync<KrxPayloadException>(() => client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None));
        var none = await Assert.ThrowsAsync<KrxNoDataException>(() => client.GetAllStocksDailyAsync(null, new DateOnly(2021, 1, 1), CancellationToken.None));
        server.EnqueueFault(FakeKrxServer.Raw(200, File.ReadAllText(TestPaths.Data("samples", "krx", "MDCSTAT02302-005930-netbuy-value-20210115-20210122.json"))));
        var other = await Assert.ThrowsAsync<KrxPayloadException>(() => client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None));

        Assert.Equal($"{request}: the answer is truncated JSON at byte {FakeKrxServer.Utf8(body[..777]).Length}: the body ends inside a value", truncated.Message);
        Assert.Equal($"{request}: the answer is an HTML page, not JSON (text/html): '<!DOCTYPE html><html><body>Error</body></html>'", html.Message);
        Assert.Equal("KRX data system MDCSTAT01501 mktId=ALL trdDd=20210101: no rows: the data system answers this way for non-session dates, days not published yet and a temporary IP block after heavy use", none.Message);
        Assert.Equal($"{request}: the answer is not an MDCSTAT01501 body: its first record has TRD_DD,TRDVAL1,TRDVAL2,TRDVAL3,TRDVAL4,TRDVAL_TOT", other.Message);
        Assert.Equal(4, server.JsonDataCalls.Count);
    }

    [Fact]
    public async Task The_login_ID_and_password_never_appear_in_logs_or_error_messages()
    {
        await using var server = await ServerAsync();
        server.RequireLogin = true;
        server.LoggedInElsewhere = true;
        var logs = new CapturingLoggerProvider();
        var options = Options(server, login: true);
        var client = Client(options, logger: logs.CreateLogger<KrxDataSystemClient>());
        var errors = new List<string>();

        await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);
        server.ForgetSessions();
        server.EnqueueFault(ctx => FakeKrxServer.Raw(503, $"<html>user {FakeKrxServer.LoginId} pw {FakeKrxServer.Password}</html>", "text/html")(ctx));
        await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);
        server.EnqueueFault(ctx => FakeKrxServer.Raw(200, $"<html>{FakeKrxServer.LoginId}/{FakeKrxServer.Password}</html>", "text/html")(ctx));
        try
        {
            await client.GetAllStocksDailyAsync(Market.Kospi, Jan22, CancellationToken.None);
        }
        catch (KrxSourceException e)
        {
            errors.Add(e.ToString());
        }

        Assert.Single(errors);
        Assert.True(logs.Entries.Count >= 6, $"only {logs.Entries.Count} log entries: too few to prove anything");
        var text = logs.AllText + "\n" + string.Join("\n", errors) + "\n" + options;
        Assert.Contains("***", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeKrxServer.LoginId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeKrxServer.Password, text, StringComparison.Ordinal);
    }
}
