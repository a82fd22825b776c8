using System.Net;
using System.Text.Json;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KrxHub.Tests.Health;

/// <summary>/health/ready when infrastructure breaks: a failed component, 503, and the error in the log, never in the answer.</summary>
public sealed class ReadinessTests
{
    [PostgresFact]
    public async Task A_store_that_stops_answering_fails_readiness_with_a_safe_message_and_the_error_goes_to_the_log_under_the_correlation_id()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        var store = await test.OpenAsync();
        var logs = new CapturingLoggerProvider();
        await using var app = HubApp.Build(new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
        {
            Time = FixedTime.Default,
            ShowProgress = false,
            RunConditionWorkers = false,
            ConfigureLogging = l => l.AddProvider(logs),
        }, store, TestData.Calendar);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode);

        // The database goes away under the running hub (its connections are cut).
        var database = new NpgsqlConnectionStringBuilder(test.Database).Database!;
        await using (var admin = new NpgsqlConnection(TestPaths.Postgres))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health/ready", UriKind.Relative));
        request.Headers.Add("X-Correlation-Id", "ready-check-17");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("ready-check-17", response.Headers.GetValues("X-Correlation-Id").Single());
        var ready = JsonDocument.Parse(body).RootElement;
        Assert.Equal("failed", ready.GetProperty("status").GetString());
        var storeHealth = ready.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "store");
        Assert.Equal("failed", storeHealth.GetProperty("status").GetString());
        Assert.Equal("the postgresql store did not answer; the hub's log has the error under correlation id ready-check-17",
            storeHealth.GetProperty("description").GetString());
        // Nothing of the exception: not the database's name, not the server's words, not the driver's.
        foreach (var leak in new[] { database, "does not exist", "Npgsql", "3D000", "Exception", "55432" })
        {
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        }

        var logged = logs.Entries.Single(e => e.Contains("health: the store did not answer", StringComparison.Ordinal));
        Assert.Contains("ready-check-17", logged, StringComparison.Ordinal);
        Assert.Contains("Npgsql", logged, StringComparison.Ordinal); // the driver's exception, whole
        await app.StopAsync();
    }
}
