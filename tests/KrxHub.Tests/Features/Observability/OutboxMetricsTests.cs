using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using KrxHub.Shared;
using KrxHub.Sources.Import;

namespace KrxHub.Tests.Observability;

/// <summary>
/// The alert outbox in /metrics and /health/ready, on a real `krxhub serve` of its own (the outbox gauges are read from
/// the store, so a process of its own keeps other tests' hubs out of the figures).
/// </summary>
public sealed partial class OutboxMetricsTests
{
    [Fact]
    public async Task A_dead_lettered_alert_shows_in_the_outbox_depth_and_degrades_the_outbox_component()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        }

        // A webhook nobody listens on, and one attempt: the alert is dead-lettered at its first delivery.
        var psi = CliProcess.StartInfo(new Dictionary<string, string?>
        {
            ["KRXHUB_ALERTS__WEBHOOKURL"] = "http://127.0.0.1:9/hook",
            ["KRXHUB_ALERTS__MAXATTEMPTS"] = "1",
        }, ["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", .. test.CliArgs]);
        using var process = Process.Start(psi)!;
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningOn().Match(e.Data) is { Success: true } m)
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
            using var created = await client.PostAsJsonAsync(new Uri("/api/conditions", UriKind.Relative),
                new { name = "samsung", expression = "code == \"005930\" and close > 0", channels = new[] { "webhook" } });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            // The hub's own condition scheduler evaluates it (the simulator trades all day) and the sender tries the webhook.
            await Eventually(async () => (await client.GetFromJsonAsync<JsonElement>(new Uri("/api/alerts?status=dead", UriKind.Relative))).GetArrayLength() == 1);

            var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(1, PrometheusText.Value(text, "krxhub_alerts_outbox_depth", ("status", "dead")));
            Assert.Equal(0, PrometheusText.Value(text, "krxhub_alerts_outbox_depth", ("status", "pending")));
            Assert.Equal(0, PrometheusText.Value(text, "krxhub_alerts_outbox_oldest_age_seconds"));
            Assert.True(PrometheusText.Value(text, "krxhub_job_duration_seconds_count", ("job", "conditions"), ("outcome", "succeeded")) >= 1, text);

            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var outbox = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("components").EnumerateArray()
                .Single(c => c.GetProperty("name").GetString() == "outbox");
            Assert.Equal(("degraded", "0 pending, 1 dead-lettered (retry with POST /api/alerts/{id}/retry)"),
                (outbox.GetProperty("status").GetString(), outbox.GetProperty("description").GetString()));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    [GeneratedRegex("Now listening on: (http://[0-9.:]+)")]
    private static partial Regex ListeningOn();
}
