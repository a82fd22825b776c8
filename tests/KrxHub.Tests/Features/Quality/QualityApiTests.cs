using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/quality, /api/quarantine and /api/collection/runs through the real HTTP pipeline, on both backends.</summary>
public class QualityApiTests
{
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
    public async Task Bad_quality_requests_are_400_problems_naming_the_parameter(string backend)
    {
        await AssertProblemAsync(backend, "/api/quality?date=20240132", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/quarantine?reason=bogus", HttpStatusCode.BadRequest, "reason");
        await AssertProblemAsync(backend, "/api/collection/runs?limit=0", HttpStatusCode.BadRequest, "limit");
    }
}
