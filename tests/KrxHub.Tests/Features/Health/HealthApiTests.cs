using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>/health/live, /health/ready, the OpenAPI document and unknown paths, on both backends.</summary>
public class HealthApiTests
{
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
    public async Task An_unknown_endpoint_is_a_404_problem(string backend)
    {
        await AssertProblemAsync(backend, "/api/no-such-endpoint", HttpStatusCode.NotFound, null);
    }
}
