using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>/health/live, /health/ready, the OpenAPI document and unknown paths, on both backends.</summary>
public class HealthApiTests
{
    private static readonly string[] ComponentNames = ["store", "calendar", "kiwoom", "krx", "scheduler", "live", "outbox"];
    private static readonly string[] Statuses = ["healthy", "degraded", "failed"];

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Health_and_the_OpenAPI_document_are_served(string backend)
    {
        Assert.Equal("live", (await GetJsonAsync(backend, "/health/live")).GetProperty("status").GetString());
        var ready = await GetJsonAsync(backend, "/health/ready");
        Assert.Equal(backend, ready.GetProperty("backend").GetString());
        var components = ready.GetProperty("components").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(ComponentNames, components.Keys);
        Assert.Equal(("healthy", $"schema version {ready.GetProperty("expectedSchemaVersion").GetInt32()}"),
            (components["store"].GetProperty("status").GetString(), components["store"].GetProperty("description").GetString()));
        Assert.Equal("healthy", components["calendar"].GetProperty("status").GetString()); // the test clock's year (2025) is published
        Assert.Equal(("healthy", "not configured"), (components["kiwoom"].GetProperty("status").GetString(), components["kiwoom"].GetProperty("description").GetString()));
        Assert.Equal(("healthy", "0 pending, 0 dead-lettered"), (components["outbox"].GetProperty("status").GetString(), components["outbox"].GetProperty("description").GetString()));
        // The overall status is the worst component's; 200 unless one failed.
        var worst = components.Values.Select(c => Array.IndexOf(Statuses, c.GetProperty("status").GetString())).Max();
        Assert.Equal(Statuses[worst], ready.GetProperty("status").GetString());
        Assert.NotEqual("failed", ready.GetProperty("status").GetString());
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
