using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>The query API through the real HTTP pipeline, on both backends.</summary>
public class ApiContractTests
{
    private static async Task<JsonElement> GetJsonAsync(string backend, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var hub = await HubServer.ForAsync(backend);
        using var response = await hub.Client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task AssertProblemAsync(string backend, string url, HttpStatusCode status, string? parameter)
    {
        var hub = await HubServer.ForAsync(backend);
        using var response = await hub.Client.GetAsync(new Uri(url, UriKind.Relative));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (parameter is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"{url}: the problem does not name '{parameter}': {problem}");
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Stocks_are_found_by_Korean_name_English_name_and_code(string backend)
    {
        var korean = await GetJsonAsync(backend, "/api/stocks?q=" + Uri.EscapeDataString("삼성전자"));
        Assert.Contains(korean.EnumerateArray(), s => s.GetProperty("code").GetString() == "005930");
        var english = await GetJsonAsync(backend, "/api/stocks?q=samsung%20epis");
        Assert.Equal("0126Z0", Assert.Single(english.EnumerateArray()).GetProperty("code").GetString());
        var byCode = await GetJsonAsync(backend, "/api/stocks?q=00593");
        Assert.Contains(byCode.EnumerateArray(), s => s.GetProperty("code").GetString() == "005930");
        var kosdaq = await GetJsonAsync(backend, "/api/stocks?market=KOSDAQ&limit=1000");
        Assert.All(kosdaq.EnumerateArray(), s => Assert.Equal("KOSDAQ", s.GetProperty("market").GetString()));
        Assert.Equal(1000, kosdaq.GetArrayLength());
        var page2 = await GetJsonAsync(backend, "/api/stocks?market=KOSDAQ&limit=10&offset=10");
        Assert.Equal(kosdaq[10].GetProperty("code").GetString(), page2[0].GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task One_stock_comes_with_its_master_record(string backend)
    {
        var samsung = await GetJsonAsync(backend, "/api/stocks/005930");
        Assert.Equal("삼성전자", samsung.GetProperty("name").GetString());
        Assert.Equal("KOSPI", samsung.GetProperty("market").GetString());
        Assert.Equal("1975-06-11", samsung.GetProperty("listingDate").GetString());
        var global = await GetJsonAsync(backend, "/api/stocks/009520");
        Assert.Equal("KOSDAQ", global.GetProperty("market").GetString());
        Assert.Equal("KOSDAQ GLOBAL", global.GetProperty("segment").GetString());
        var delisted = await GetJsonAsync(backend, "/api/stocks/114120");
        Assert.Equal("2024-02-15", delisted.GetProperty("delistingDate").GetString());
        await GetJsonAsync(backend, "/api/stocks/0126Z0");
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bars_come_gzipped_only_to_clients_that_accept_gzip_and_say_the_same(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        const string url = "/api/stocks/005930/bars?from=2024-06-01&to=2025-05-31";
        async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(string? acceptEncoding)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.Relative));
            if (acceptEncoding is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            }

            var response = await hub.Client.SendAsync(request);
            return (response, await response.Content.ReadAsByteArrayAsync());
        }

        var (plain, plainBody) = await GetAsync(null);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", plain.Headers.Vary);
        Assert.Equal("application/json", plain.Content.Headers.ContentType?.MediaType);
        var (gzipped, gzippedBody) = await GetAsync("br, gzip;q=0.8");
        Assert.Equal(["gzip"], gzipped.Content.Headers.ContentEncoding);
        Assert.Equal("application/json", gzipped.Content.Headers.ContentType?.MediaType);
        Assert.True(gzippedBody.Length * 4 < plainBody.Length, $"{gzippedBody.Length} vs {plainBody.Length} bytes");
        using (var unzip = new System.IO.Compression.GZipStream(new MemoryStream(gzippedBody), System.IO.Compression.CompressionMode.Decompress))
        using (var copy = new MemoryStream())
        {
            await unzip.CopyToAsync(copy);
            Assert.Equal(plainBody, copy.ToArray());
        }

        foreach (var refused in new[] { "gzip;q=0", "gzip;q=0, *", "br", "identity" })
        {
            var (response, body) = await GetAsync(refused);
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Equal(plainBody, body);
        }

        Assert.Equal(["gzip"], (await GetAsync("*")).Response.Content.Headers.ContentEncoding);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bars_are_ascending_with_basis_source_and_fetch_time(string backend)
    {
        var raw = await GetJsonAsync(backend, "/api/stocks/005930/bars?from=2024-01-02&to=2024-01-31&basis=raw");
        var dates = raw.EnumerateArray().Select(b => b.GetProperty("date").GetString()!).ToList();
        Assert.Equal(22, dates.Count); // January 2024 has 22 sessions
        Assert.Equal(dates.Order(StringComparer.Ordinal), dates);
        var first = raw[0];
        Assert.Equal("2024-01-02", first.GetProperty("date").GetString());
        Assert.Equal(79600m, first.GetProperty("close").GetDecimal());
        Assert.Equal(1356958225913m, first.GetProperty("tradingValue").GetDecimal());
        Assert.Equal("raw", first.GetProperty("basis").GetString());
        Assert.Contains("marcap", first.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.True(first.GetProperty("fetchedAt").GetDateTimeOffset() > DateTimeOffset.MinValue);

        var adjusted = await GetJsonAsync(backend, "/api/stocks/005930/bars?from=2024-06-01&to=2025-05-31");
        Assert.Equal(241, adjusted.GetArrayLength());
        Assert.All(adjusted.EnumerateArray(), b => Assert.Equal("adjusted", b.GetProperty("basis").GetString()));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task All_stocks_of_one_session_can_be_filtered_by_market(string backend)
    {
        var kosdaq = await GetJsonAsync(backend, "/api/bars/2024-01-02?market=KOSDAQ&basis=raw");
        // 1,704 KOSDAQ rows that day; the market filter uses today's master, where a few former KONEX stocks are KOSDAQ.
        Assert.InRange(kosdaq.GetArrayLength(), 1690, 1720);
        Assert.All(kosdaq.EnumerateArray(), b => Assert.Equal("KOSDAQ", b.GetProperty("market").GetString()));
        var all = await GetJsonAsync(backend, "/api/bars/2024-01-02");
        Assert.True(all.GetArrayLength() > kosdaq.GetArrayLength());
        await AssertProblemAsync(backend, "/api/bars/2024-04-10", HttpStatusCode.NotFound, null);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Investor_flows_come_with_derived_categories_only_when_computable(string backend)
    {
        var flows = await GetJsonAsync(backend, "/api/stocks/005930/investors?from=2021-01-15&to=2021-01-22");
        var rows = flows.EnumerateArray().ToList();
        Assert.Equal(24, rows.Count); // 6 sessions × institution, other corporation, individual, foreign
        var institutions = rows.Single(r => r.GetProperty("date").GetString() == "2021-01-22" && r.GetProperty("investor").GetString() == "institution-total");
        Assert.Equal(-562_644_916_900m, institutions.GetProperty("netValue").GetDecimal());
        Assert.Equal(JsonValueKind.Null, institutions.GetProperty("netVolume").ValueKind);
        // Net buying sums to zero across investor types on every day (KRX reports TRDVAL_TOT = 0).
        foreach (var day in rows.GroupBy(r => r.GetProperty("date").GetString()))
        {
            Assert.Equal(0m, day.Sum(r => r.GetProperty("netValue").GetDecimal()));
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Quality_quarantine_and_runs_are_reported(string backend)
    {
        // Expected from the raw file and the master CSVs, not from the hub: every row of the day lands but those whose code
        // the master does not know, which are quarantined as unknown_code.
        var day = new DateOnly(2024, 1, 2);
        var fileRows = LiveTestData.On(day).ToList();
        var unknownCodes = fileRows.Where(b => !LiveTestData.MasterMarkets.Value.ContainsKey(b.Code)).Select(b => b.Code.Value).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(unknownCodes);
        var quality = await GetJsonAsync(backend, "/api/quality?date=2024-01-02");
        Assert.True(quality.GetProperty("isSession").GetBoolean());
        Assert.Equal(fileRows.Count - unknownCodes.Count, quality.GetProperty("rawBars").GetInt64());
        Assert.Equal(unknownCodes.Count, quality.GetProperty("quarantined").GetInt64());
        Assert.Equal(["unknown_code"], quality.GetProperty("quarantinedByReason").EnumerateObject().Select(p => p.Name));
        Assert.Equal(unknownCodes.Count, quality.GetProperty("quarantinedByReason").GetProperty("unknown_code").GetInt64());

        var range = await GetJsonAsync(backend, "/api/quality?from=2023-11-27&to=2024-01-05");
        Assert.Contains(range.GetProperty("sessionsWithoutData").EnumerateArray(), d => d.GetString() == "2023-12-04");
        Assert.DoesNotContain(range.GetProperty("sessionsWithoutData").EnumerateArray(), d => d.GetString() == "2024-01-02");

        var unknown = await GetJsonAsync(backend, "/api/quarantine?reason=unknown_code&date=2024-01-02&limit=1000");
        Assert.Equal(unknownCodes, unknown.EnumerateArray().Select(q => q.GetProperty("code").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(unknown.EnumerateArray(), q => Assert.Equal(["unknown_code"], q.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())));
        Assert.All(unknown.EnumerateArray(), q => Assert.Contains(q.GetProperty("code").GetString()!, q.GetProperty("payload").GetString(), StringComparison.Ordinal));

        var runs = await GetJsonAsync(backend, "/api/collection/runs");
        Assert.Contains(runs.EnumerateArray(), r => r.GetProperty("status").GetString() == "succeeded" && r.GetProperty("rowsRead").GetInt64() == 80828);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Health_and_the_OpenAPI_document_are_served(string backend)
    {
        Assert.Equal("live", (await GetJsonAsync(backend, "/health/live")).GetProperty("status").GetString());
        var ready = await GetJsonAsync(backend, "/health/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(backend, ready.GetProperty("backend").GetString());
        var openapi = await GetJsonAsync(backend, "/openapi/v1.json");
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/api/stocks/{code}/bars", out _));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_parameters_are_400_problems_naming_the_parameter_and_unknown_stocks_404(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks/59300", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/999990", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/stocks/999990/bars", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/stocks/ABCDEF/bars", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?from=2024-02-01&to=2024-01-01", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?to=2024-13-01", HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?basis=dividend", HttpStatusCode.BadRequest, "basis");
        await AssertProblemAsync(backend, "/api/stocks?market=NASDAQ", HttpStatusCode.BadRequest, "market");
        await AssertProblemAsync(backend, "/api/stocks?limit=abc", HttpStatusCode.BadRequest, "limit");
        await AssertProblemAsync(backend, "/api/bars/2024-1-2", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/bars/2024-01-02?market=XYZ", HttpStatusCode.BadRequest, "market");
        await AssertProblemAsync(backend, "/api/stocks/005930/investors?from=yesterday", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/quality?date=20240132", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/quarantine?reason=bogus", HttpStatusCode.BadRequest, "reason");
        await AssertProblemAsync(backend, "/api/collection/runs?limit=0", HttpStatusCode.BadRequest, "limit");
        await AssertProblemAsync(backend, "/api/no-such-endpoint", HttpStatusCode.NotFound, null);
    }
}
