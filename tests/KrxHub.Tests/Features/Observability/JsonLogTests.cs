using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using KrxHub.Testing;
using Npgsql;

namespace KrxHub.Tests.Observability;

/// <summary>KRXHUB_LOG_FORMAT=json on a real `krxhub serve`: one JSON object per log line, with the request's correlation id in its scopes.</summary>
public sealed partial class JsonLogTests
{
    // The start banner `serve` prints before logging starts (plain text in both formats).
    private static readonly string[] BannerPrefixes = ["KrxHub: store ", "notice: ", "Collection: ", "access: ", "WARNING: --insecure-open"];

    [PostgresFact]
    public async Task Json_logs_are_one_object_per_line_and_carry_the_correlation_id_of_the_request_that_logged()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        await (await test.OpenAsync()).DisposeAsync();
        var psi = CliProcess.StartInfo(new Dictionary<string, string?> { ["KRXHUB_LOG_FORMAT"] = "json" },
            ["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", .. test.CliArgs]);
        using var process = Process.Start(psi)!;
        var lines = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lines.Enqueue(e.Data);
            if (ListeningOn().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(await listening.Task.WaitAsync(TimeSpan.FromSeconds(60))) };
            // A request without an id gets one, echoed in the answer.
            var plain = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
            Assert.Matches("^[0-9a-f]{32}$", plain.Headers.GetValues("X-Correlation-Id").Single());

            // The database goes away: the readiness check logs the driver's error inside the request's scope.
            var database = new NpgsqlConnectionStringBuilder(test.Database).Database!;
            await using (var admin = new NpgsqlConnection(TestPaths.Postgres))
            {
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP DATABASE {database} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health/ready", UriKind.Relative));
            request.Headers.Add("X-Request-Id", "json-log-check-1");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("json-log-check-1", response.Headers.GetValues("X-Correlation-Id").Single());

            var logged = await Eventually(() => lines.FirstOrDefault(l => l.Contains("health: the store did not answer", StringComparison.Ordinal)));
            var entry = JsonDocument.Parse(logged).RootElement;
            Assert.Equal("Error", entry.GetProperty("LogLevel").GetString());
            Assert.Contains("Npgsql", entry.GetProperty("Exception").GetString(), StringComparison.Ordinal);
            var scopes = entry.GetProperty("Scopes").EnumerateArray().ToList();
            Assert.Contains(scopes, s => s.TryGetProperty("CorrelationId", out var id) && id.GetString() == "json-log-check-1");
            Assert.Contains(scopes, s => s.TryGetProperty("RequestId", out _) && s.TryGetProperty("RequestPath", out var path) && path.GetString() == "/health/ready");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var logLines = lines.Where(l => l.Length > 0 && !BannerPrefixes.Any(p => l.StartsWith(p, StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(logLines);
        foreach (var line in logLines)
        {
            using var parsed = JsonDocument.Parse(line); // throws on a line that is not one JSON object
            Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
            Assert.True(parsed.RootElement.TryGetProperty("Timestamp", out _), line);
        }
    }

    private static async Task<string> Eventually(Func<string?> find)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var found = find();
        while (found is null)
        {
            await Task.Delay(50, timeout.Token);
            found = find();
        }

        return found;
    }

    [GeneratedRegex("Now listening on: (http://[0-9.:]+)")]
    private static partial Regex ListeningOn();
}
