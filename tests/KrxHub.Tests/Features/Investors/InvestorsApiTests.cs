using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/stocks/{code}/investors through the real HTTP pipeline, on both backends.</summary>
public class InvestorsApiTests
{
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
    public async Task Bad_investor_requests_are_400_problems_naming_the_parameter(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks/005930/investors?from=yesterday", HttpStatusCode.BadRequest, "from");
    }
}
