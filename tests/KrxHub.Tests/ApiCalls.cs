using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace KrxHub.Tests;

/// <summary>GET calls against the shared test hub of a backend (<see cref="HubServer"/>), as the feature API tests make them.</summary>
internal static class ApiCalls
{
    public static async Task<JsonElement> GetJsonAsync(string backend, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var hub = await HubServer.ForAsync(backend);
        using var response = await hub.Client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A ProblemDetails answer with <paramref name="status"/>, naming <paramref name="parameter"/> when one is given.</summary>
    public static async Task AssertProblemAsync(string backend, string url, HttpStatusCode status, string? parameter)
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
}
