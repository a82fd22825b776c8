using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>The CSV form of the list endpoints (Accept: text/csv or ?format=csv) and pykrx's columns, read by Python's csv module.</summary>
public class CsvFormTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Python_reads_the_same_rows_and_fields_from_the_CSV_as_the_JSON_of_the_same_request(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        string[] urls =
        [
            "/api/stocks?market=KOSDAQ&limit=300",
            "/api/stocks/005930/bars?from=2024-01-02&to=2024-02-13&basis=raw",
            "/api/stocks/005930/bars?from=2024-06-03&to=2024-12-30",
            "/api/bars/2024-01-02", // the whole market, 2,700 rows: several chunks of the streamed body
            "/api/stocks/005930/investors?from=2021-01-15&to=2021-01-22",
            "/api/investors?market=KOSPI&from=2021-01-15&to=2021-01-22",
            "/api/indices",
            "/api/indices/1001/bars?from=2025-01-01&to=2025-12-31",
            "/api/quarantine?reason=unknown_code&date=2024-01-02&limit=1000",
        ];
        foreach (var url in urls)
        {
            var json = await GetJsonAsync(backend, url);
            var csv = await PythonCsv.ReadAsync(new Uri(hub.Client.BaseAddress!, url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "format=csv"));
            Assert.Equal("text/csv; charset=utf-8", csv.ContentType);
            csv.AssertSameAs(json, url);
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_list_inside_an_answer_is_the_CSV_of_that_list(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        (string Url, string Field)[] cases =
        [
            ("/api/indices/1001/constituents?date=2021-01-29", "constituents"),
            ("/api/calendar?from=2024-01-01&to=2024-12-31", "days"),
            ("/api/rankings?date=2024-01-02&market=ALL&n=50", "rows"),
        ];
        foreach (var (url, field) in cases)
        {
            var json = await GetJsonAsync(backend, url);
            var csv = await PythonCsv.ReadAsync(new Uri(hub.Client.BaseAddress!, url), accept: "text/csv");
            csv.AssertSameAs(json.GetProperty(field), url);
        }
    }

    [Fact]
    public async Task Backtest_trades_runs_conditions_and_collection_runs_read_the_same_in_CSV_as_in_JSON()
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative), new
        {
            strategy = "sma-cross", @params = new Dictionary<string, string> { ["fast"] = "3", ["slow"] = "8" },
            codes = new[] { "005930", "000660" }, from = "2024-01-02", to = "2024-02-13", basis = "raw",
        });
        var location = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("location").GetString()!;
        while ((await GetJsonAsync("sqlite", location + "?trades=none")).GetProperty("status").GetString() is "queued" or "running")
        {
            await Task.Delay(50);
        }

        using var condition = await hub.Client.PostAsJsonAsync(new Uri("/api/conditions", UriKind.Relative),
            new { name = "csv test, with a comma", expression = "close > 70000", market = "KOSPI", schedule = "eod" });
        Assert.Equal(HttpStatusCode.Created, condition.StatusCode);
        (string Url, string? Field)[] cases =
        [
            (location + "/trades?limit=1000", "trades"),
            ("/api/backtests", null),
            ("/api/conditions", null),
            ("/api/collection/runs?limit=100", null),
        ];
        foreach (var (url, field) in cases)
        {
            // Other tests on the shared hub start backtests and collection runs: compare only a CSV read between two equal
            // JSON answers, so that a run changing in between is read again instead of failing the comparison.
            for (var attempt = 1; ; attempt++)
            {
                var json = await GetJsonAsync("sqlite", url);
                var csv = await PythonCsv.ReadAsync(new Uri(hub.Client.BaseAddress!, url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "format=csv"));
                var after = await GetJsonAsync("sqlite", url);
                if (json.GetRawText() != after.GetRawText() && attempt < 20)
                {
                    await Task.Delay(100);
                    continue;
                }

                csv.AssertSameAs(field is null ? json : json.GetProperty(field), url);
                break;
            }
        }

        // The shared hub's other tests see no condition of this one.
        var id = (await condition.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var deleted = await hub.Client.DeleteAsync(new Uri($"/api/conditions/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task The_Accept_header_chooses_CSV_only_when_it_prefers_it_and_format_json_overrides_it()
    {
        var hub = await HubServer.ForAsync("sqlite");
        async Task<string?> MediaType(string url, string? accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
            if (accept is not null)
            {
                request.Headers.Accept.ParseAdd(accept);
            }

            using var response = await hub.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Accept", response.Headers.Vary);
            return response.Content.Headers.ContentType?.MediaType;
        }

        Assert.Equal("text/csv", await MediaType("/api/stocks?q=005930", "text/csv"));
        Assert.Equal("text/csv", await MediaType("/api/stocks?q=005930", "text/csv, application/json;q=0.5"));
        Assert.Equal("application/json", await MediaType("/api/stocks?q=005930", "application/json, text/csv;q=0.5"));
        Assert.Equal("application/json", await MediaType("/api/stocks?q=005930", "*/*"));
        Assert.Equal("application/json", await MediaType("/api/stocks?q=005930", null));
        Assert.Equal("application/json", await MediaType("/api/stocks?q=005930&format=json", "text/csv"));
        Assert.Equal("text/csv", await MediaType("/api/stocks?q=005930&format=CSV", null));
    }

    [Fact]
    public async Task Bad_CSV_parameters_and_errors_of_a_CSV_request_are_ProblemDetails()
    {
        await AssertProblemAsync("sqlite", "/api/stocks?format=xlsx", HttpStatusCode.BadRequest, "format");
        await AssertProblemAsync("sqlite", "/api/stocks?columns=fdr", HttpStatusCode.BadRequest, "columns");
        await AssertProblemAsync("sqlite", "/api/indices?columns=pykrx", HttpStatusCode.BadRequest, "columns");
        await AssertProblemAsync("sqlite", "/api/stocks/005930/bars?columns=pykrx&format=json", HttpStatusCode.BadRequest, "columns");
        await AssertProblemAsync("sqlite", "/api/stocks?format=csv&bom=maybe", HttpStatusCode.BadRequest, "bom");
        await AssertProblemAsync("sqlite", "/api/stocks/005930/bars?format=csv&from=2024-13-01", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync("sqlite", "/api/stocks/999999/bars?format=csv", HttpStatusCode.NotFound, null);
        await AssertProblemAsync("sqlite", "/api/bars/2024-01-01?columns=pykrx", HttpStatusCode.NotFound, null);
    }

    [Fact]
    public async Task A_whole_market_CSV_is_streamed_in_chunks_rather_than_sent_as_one_sized_body()
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var response = await hub.Client.GetAsync(new Uri("/api/bars/2024-01-02?format=csv", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Null(response.Content.Headers.ContentLength);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 2700, $"{lines.Length} lines");
        Assert.True(lines.Sum(l => l.Length + 1) > 3 * 32 * 1024, "the body should span several 32 KB chunks");
    }

    [Fact]
    public async Task The_body_has_no_BOM_unless_asked_for_one()
    {
        var hub = await HubServer.ForAsync("sqlite");
        var plain = await hub.Client.GetByteArrayAsync(new Uri("/api/stocks?q=005930&format=csv", UriKind.Relative));
        Assert.Equal("code,name,", Encoding.UTF8.GetString(plain, 0, 10));
        var excel = await hub.Client.GetByteArrayAsync(new Uri("/api/stocks?q=005930&format=csv&bom=true", UriKind.Relative));
        Assert.Equal([0xEF, 0xBB, 0xBF], excel[..3]);
        Assert.Equal(plain, excel[3..]);
    }

    [Fact]
    public async Task Pykrx_columns_of_a_stock_are_byte_for_byte_the_pykrx_DataFrame_written_by_to_csv()
    {
        // ../shared/reference/ohlcv/do0405_invest_KR/005930.csv is pykrx's get_market_ohlcv output saved with to_csv, verbatim;
        // the hub holds the same adjusted history (bundled, with change_pct rounded), so it recomputes 등락률 from the closes.
        // The first reference row needs the close before 2023-12-05, which neither holds: the comparison starts a day later.
        var hub = await HubServer.ForAsync("sqlite");
        var reference = (await File.ReadAllLinesAsync(TestPaths.Reference("ohlcv", "do0405_invest_KR", "005930.csv"))).ToList();
        var expected = string.Join('\n', [reference[0], .. reference.Skip(2)]) + "\n";
        using var response = await hub.Client.GetAsync(new Uri("/api/stocks/005930/bars?from=2023-12-06&to=2025-06-17&columns=pykrx", UriKind.Relative));
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(expected, body);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Pykrx_columns_of_raw_bars_and_of_a_session_follow_pykrx_KRX_layouts(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var raw = await PythonCsv.ReadAsync(new Uri(hub.Client.BaseAddress!, "/api/stocks/005930/bars?from=2024-01-02&to=2024-02-13&basis=raw&columns=pykrx"));
        Assert.Equal(["날짜", "시가", "고가", "저가", "종가", "거래량", "거래대금", "등락률"], raw.Header);
        var json = await GetJsonAsync(backend, "/api/stocks/005930/bars?from=2024-01-02&to=2024-02-13&basis=raw");
        Assert.Equal(json.GetArrayLength(), raw.Rows.Count);
        for (var i = 0; i < raw.Rows.Count; i++)
        {
            var bar = json[i];
            Assert.Equal(bar.GetProperty("date").GetString(), raw.Rows[i][0]);
            Assert.Equal(bar.GetProperty("close").GetDecimal(), decimal.Parse(raw.Rows[i][4], System.Globalization.CultureInfo.InvariantCulture));
            // KRX's FLUC_RT: against the base price, two places.
            var basePrice = bar.GetProperty("basePrice").GetDecimal();
            var rate = Math.Round((bar.GetProperty("close").GetDecimal() - basePrice) / basePrice * 100m, 2, MidpointRounding.AwayFromZero);
            Assert.Equal(rate, decimal.Parse(raw.Rows[i][7], System.Globalization.CultureInfo.InvariantCulture));
        }

        var session = await PythonCsv.ReadAsync(new Uri(hub.Client.BaseAddress!, "/api/bars/2024-01-02?market=KOSPI&basis=raw&columns=pykrx"));
        Assert.Equal(["티커", "시가", "고가", "저가", "종가", "거래량", "거래대금", "등락률"], session.Header);
        var samsung = Assert.Single(session.Rows, r => r[0] == "005930");
        Assert.Equal(raw.Rows[0].Skip(1), samsung.Skip(1));
    }
}
