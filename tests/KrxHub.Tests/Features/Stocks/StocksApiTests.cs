using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/stocks and /api/stocks/{code} through the real HTTP pipeline, on both backends.</summary>
public class StocksApiTests
{
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
    public async Task Bad_stock_requests_are_400_problems_naming_the_parameter_and_unknown_stocks_404(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks/59300", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/999990", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/stocks?market=NASDAQ", HttpStatusCode.BadRequest, "market");
        await AssertProblemAsync(backend, "/api/stocks?limit=abc", HttpStatusCode.BadRequest, "limit");
    }
}
