using System.Net;
using System.Text.Json;
using KrxHub.Features.Stocks;
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
    public async Task The_universe_as_of_a_date_holds_the_stocks_listed_that_day_delisted_ones_included(string backend)
    {
        // 셀트리온헬스케어 (091990) was delisted on 2024-01-12 (its last session 2024-01-11); 삼성에피스홀딩스 (0126Z0) listed 2025-11-24.
        static async Task<HashSet<string>> Universe(string backend, string day)
        {
            var stocks = (await GetJsonAsync(backend, $"/api/stocks?asOf={day}")).EnumerateArray().ToList();
            Assert.All(stocks, s => Assert.True(
                string.CompareOrdinal(s.GetProperty("listingDate").GetString() ?? "", day) <= 0 &&
                (s.GetProperty("delistingDate").GetString() is not { } delisted || string.CompareOrdinal(delisted, day) > 0),
                $"{s.GetProperty("code").GetString()} is not listed on {day}"));
            return [.. stocks.Select(s => s.GetProperty("code").GetString()!)];
        }

        var before = await Universe(backend, "2024-01-11");
        var after = await Universe(backend, "2024-01-12");
        Assert.Contains("091990", before);
        Assert.DoesNotContain("091990", after);
        Assert.Contains("068400", after);      // SK렌터카, delisted 2024-01-31
        Assert.Contains("005930", after);
        Assert.DoesNotContain("0126Z0", after);
        Assert.Contains("0126Z0", await Universe(backend, "2026-04-14"));
        Assert.InRange(after.Count, 2_500, StocksApi.MaxUniverse);

        var kosdaq = (await GetJsonAsync(backend, "/api/stocks?asOf=2024-01-11&market=KOSDAQ&q=" + Uri.EscapeDataString("셀트리온"))).EnumerateArray();
        Assert.Contains(kosdaq, s => s.GetProperty("code").GetString() == "091990");
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_stock_requests_are_400_problems_naming_the_parameter_and_unknown_stocks_404(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks?asOf=2024-13-01", HttpStatusCode.BadRequest, "asOf");
        await AssertProblemAsync(backend, "/api/stocks?asOf=2024-01-11&limit=5001", HttpStatusCode.BadRequest, "limit");
        await AssertProblemAsync(backend, "/api/stocks/59300", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/999990", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/stocks?market=NASDAQ", HttpStatusCode.BadRequest, "market");
        await AssertProblemAsync(backend, "/api/stocks?limit=abc", HttpStatusCode.BadRequest, "limit");
    }
}
