using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Kiwoom;
using static KrxHub.Sources.Tests.Kiwoom.KiwoomTestKit;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>Malformed upstream answers end in one clear exception or in rejected rows, never in an unhandled crash.</summary>
public sealed class KiwoomBadPayloadTests : IAsyncLifetime
{
    private static readonly DateOnly BaseDate = new(2025, 9, 8);
    private FakeKiwoomServer _server = null!;
    private KiwoomClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKiwoomServer.StartAsync(TimeProvider.System);
        _client = Client(_server, TimeProvider.System);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<KiwoomDailyChart> Daily() => _client.GetDailyBarsAsync(Samsung, BaseDate, PriceBasis.Raw, CancellationToken.None);

    [Fact]
    public async Task Truncated_JSON_is_a_payload_error_naming_the_TR()
    {
        _server.EnqueueFault(FakeKiwoomServer.Raw(200, """{"stk_cd":"005930","stk_dt_pole_chart_qry":[{"cur_prc":"70100","dt":"2025"""));

        var e = await Assert.ThrowsAsync<KiwoomPayloadException>(Daily);

        Assert.StartsWith("Kiwoom ka10081: answer is not valid JSON (application/json", e.Message, StringComparison.Ordinal);
        Assert.Single(_server.Calls("ka10081"));
    }

    [Fact]
    public async Task An_HTML_page_with_status_200_is_a_payload_error_quoting_its_start()
    {
        _server.EnqueueFault(FakeKiwoomServer.Raw(200, FakeKiwoomServer.HtmlErrorPage, "text/html"));

        var e = await Assert.ThrowsAsync<KiwoomPayloadException>(Daily);

        Assert.Contains("not valid JSON (text/html", e.Message, StringComparison.Ordinal);
        Assert.Contains("'<!DOCTYPE html><html><head><title>502 Bad Gateway", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_HTML_gateway_error_is_retried_and_then_reported_with_its_status()
    {
        _server.PersistentFault = FakeKiwoomServer.Raw(502, FakeKiwoomServer.HtmlErrorPage, "text/html");

        var e = await Assert.ThrowsAsync<KiwoomTransientException>(Daily);

        Assert.StartsWith("Kiwoom ka10081: HTTP 502 (text/html): '<!DOCTYPE html>", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Calls("ka10081").Count);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[1,2,3]", "JSON Array, not an object")]
    [InlineData("""{"stk_dt_pole_chart_qry":[]}""", "no numeric return_code")]
    [InlineData("""{"return_code":"zero","stk_dt_pole_chart_qry":[]}""", "no numeric return_code")]
    [InlineData("""{"return_code":0,"return_msg":"정상"}""", "no 'stk_dt_pole_chart_qry' array")]
    [InlineData("""{"return_code":0,"stk_dt_pole_chart_qry":"none"}""", "no 'stk_dt_pole_chart_qry' array")]
    public async Task Answers_missing_the_envelope_or_the_rows_are_payload_errors(string body, string expected)
    {
        _server.EnqueueFault(FakeKiwoomServer.Raw(200, body));

        var e = await Assert.ThrowsAsync<KiwoomPayloadException>(Daily);

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_numeric_string_return_code_is_accepted()
    {
        _server.EnqueueFault(FakeKiwoomServer.Raw(200, """{"return_code":"0","return_msg":"정상","stk_dt_pole_chart_qry":[]}"""));

        var chart = await Daily();

        Assert.Empty(chart.Rows);
    }

    [Fact]
    public async Task Rows_with_missing_or_non_numeric_values_become_rows_the_validator_rejects()
    {
        var rows = DailyRows(BaseDate, 6);
        ((JsonObject)rows[1]!).Remove("high_pric");
        rows[2]!["cur_prc"] = "7O100";
        rows[3] = JsonValue.Create("garbage");
        rows[4]!["open_pric"] = "";
        rows[5]!["trde_prica"] = "n/a";
        _server.Rows["ka10081"] = rows;

        var chart = await Daily();
        var validated = chart.Validate(new DailyBarValidator(Calendar, Master(), BaseDate.AddDays(1)));

        Assert.Equal(6, validated.Count);
        Assert.True(validated[0].Accepted);
        Assert.Equal([ReasonCodes.MissingField], validated[1].Reasons);
        Assert.Equal([ReasonCodes.NonNumericField], validated[2].Reasons);
        Assert.Equal("\"garbage\"", validated[3].Raw.Payload);
        Assert.False(validated[3].Accepted);
        Assert.Equal([ReasonCodes.MissingField], validated[4].Reasons);
        Assert.Equal([ReasonCodes.NonNumericField], validated[5].Reasons);
        Assert.Equal("7O100", validated[2].Raw.Close);
    }

    [Fact]
    public async Task Minute_bars_with_bad_values_are_listed_as_row_errors_and_the_rest_kept()
    {
        _server.Rows["ka10080"] =
        [
            new JsonObject { ["cur_prc"] = "-78800", ["trde_qty"] = "10", ["cntr_tm"] = "20250917132000", ["open_pric"] = "78800", ["high_pric"] = "78800", ["low_pric"] = "78700" },
            new JsonObject { ["cur_prc"] = "abc", ["trde_qty"] = "10", ["cntr_tm"] = "20250917131900", ["open_pric"] = "78800", ["high_pric"] = "78800", ["low_pric"] = "78700" },
            new JsonObject { ["cur_prc"] = "78800", ["trde_qty"] = "10", ["open_pric"] = "78800", ["high_pric"] = "78800", ["low_pric"] = "78700" },
            JsonValue.Create(17),
        ];

        var bars = await _client.GetMinuteBarsAsync(Samsung, PriceBasis.Raw, BaseDate, CancellationToken.None);

        Assert.Single(bars.Rows);
        Assert.Equal(
            ["row 2: cur_prc is not a valid value ('abc')", "row 3: cntr_tm is missing (absent)", "row 4: (row) is not a JSON object ('17')"],
            bars.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public async Task Master_rows_with_a_bad_code_or_no_name_are_listed_as_errors()
    {
        _server.Rows["ka10099"] =
        [
            new JsonObject { ["code"] = "005930", ["name"] = "삼성전자", ["listCount"] = "0000005919637922" },
            new JsonObject { ["code"] = "12345", ["name"] = "짧은코드" },
            new JsonObject { ["code"] = "000660", ["name"] = "" },
            new JsonObject { ["code"] = "035720", ["name"] = "카카오", ["listCount"] = "many" },
        ];

        var list = await _client.GetStockListAsync(Market.Kospi, CancellationToken.None);

        Assert.Equal(["005930"], list.Rows.Select(r => r.Code.Value));
        Assert.Equal([("code", 2), ("name", 3), ("listCount", 4)], list.Errors.Select(e => (e.Field, e.Row)));
    }

    [Fact]
    public async Task Unreadable_basic_info_fields_are_null_and_listed()
    {
        _server.StockInfo = new JsonObject { ["stk_nm"] = "삼성전자", ["per"] = "N/A", ["cur_prc"] = "+70700" };

        var info = await _client.GetStockInfoAsync(Samsung, CancellationToken.None);

        Assert.Null(info.Per);
        Assert.Equal(70700m, info.CurrentPrice);
        Assert.Equal("per", Assert.Single(info.Errors).Field);
    }

    [Fact]
    public async Task A_refused_request_surfaces_its_return_code_and_message()
    {
        _server.EnqueueFault(FakeKiwoomServer.ReturnCode(2, "종목 정보가 없습니다[1902:종목 정보가 없습니다]"));

        var e = await Assert.ThrowsAsync<KiwoomApiException>(Daily);

        Assert.Equal((2, (int?)1902), (e.ReturnCode, e.DetailCode));
        Assert.Equal("Kiwoom ka10081: return_code 2: 종목 정보가 없습니다[1902:종목 정보가 없습니다]", e.Message);
        Assert.Single(_server.Calls("ka10081"));
    }
}
