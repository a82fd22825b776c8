using System.Net;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/investors: the stored market-wide flows of KOSPI through the real HTTP pipeline, on both backends.</summary>
public class MarketInvestorsApiTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Market_flows_match_KRX_and_institution_ex_pension_is_the_total_less_pension(string backend)
    {
        var flows = await GetJsonAsync(backend, "/api/investors?market=KOSPI&from=2021-01-15&to=2021-01-22");
        var rows = flows.EnumerateArray().ToList();
        var totals = KospiInvestorBody.InstitutionTotals();
        var pensions = KospiInvestorBody.Pensions().ToDictionary(p => p.Date, p => p.Pension);
        Assert.Equal(6, totals.Count);

        // 12 stored types a session (7 institutional, their total, other corporations, individuals, foreign, other foreign) + 1 derived.
        Assert.Equal(6 * 13, rows.Count);
        Assert.All(rows, r => Assert.Equal("KOSPI", r.GetProperty("market").GetString()));
        foreach (var (date, total) in totals)
        {
            var day = rows.Where(r => r.GetProperty("date").GetString() == date).ToList();
            decimal Net(string investor) => day.Single(r => r.GetProperty("investor").GetString() == investor).GetProperty("netValue").GetDecimal();

            // The total summed from the detail body equals KRX's own 기관합계 (MDCSTAT02202 TRDVAL1).
            Assert.Equal(total, Net("institution-total"));
            Assert.Equal(pensions[date], Net("pension"));
            Assert.Equal(total - pensions[date], Net("institution-ex-pension"));
            var derived = day.Single(r => r.GetProperty("investor").GetString() == "institution-ex-pension");
            Assert.True(derived.GetProperty("derived").GetBoolean());
            Assert.Equal("derived", derived.GetProperty("source").GetString());

            // Net buying sums to zero across the stored types that do not overlap (KRX reports TRDVAL_TOT = 0).
            Assert.Equal(0m, Net("institution-total") + Net("other-corporation") + Net("individual") + Net("foreign"));
        }

        Assert.All(rows.Where(r => !r.GetProperty("derived").GetBoolean()), r => Assert.Equal("krx:MDCSTAT02203", r.GetProperty("source").GetString()));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Market_flows_of_another_market_or_range_are_empty_and_every_market_is_the_default(string backend)
    {
        Assert.Empty((await GetJsonAsync(backend, "/api/investors?market=KOSDAQ&from=2021-01-15&to=2021-01-22")).EnumerateArray());
        Assert.Empty((await GetJsonAsync(backend, "/api/investors?market=KOSPI&from=2021-01-25&to=2021-01-29")).EnumerateArray());
        Assert.Equal(13, (await GetJsonAsync(backend, "/api/investors?from=2021-01-22&to=2021-01-22")).GetArrayLength());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_market_flow_requests_are_400_problems_naming_the_parameter(string backend)
    {
        await AssertProblemAsync(backend, "/api/investors?market=NASDAQ", HttpStatusCode.BadRequest, "market");
        await AssertProblemAsync(backend, "/api/investors?market=KOSPI&from=2021-01-32", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/investors?to=yesterday", HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(backend, "/api/investors?from=2021-01-22&to=2021-01-15", HttpStatusCode.BadRequest, "from");
    }
}
