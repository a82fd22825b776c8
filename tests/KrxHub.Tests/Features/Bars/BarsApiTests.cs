using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/stocks/{code}/bars and /api/bars/{date} through the real HTTP pipeline, on both backends.</summary>
public class BarsApiTests
{
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
    public async Task Bad_bar_requests_are_400_problems_naming_the_parameter_and_unknown_stocks_404(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks/999990/bars", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/stocks/ABCDEF/bars", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?from=2024-02-01&to=2024-01-01", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?to=2024-13-01", HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(backend, "/api/stocks/005930/bars?basis=dividend", HttpStatusCode.BadRequest, "basis");
        await AssertProblemAsync(backend, "/api/bars/2024-1-2", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/bars/2024-01-02?market=XYZ", HttpStatusCode.BadRequest, "market");
    }
}
