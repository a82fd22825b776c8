using System.Collections.Concurrent;
using System.Diagnostics;
using KrxHub.Features.Conditions;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>The outbox survives a SIGKILL between writing an alert and recording it sent: after a restart it is delivered once more, with the same key.</summary>
public class OutboxKillTests
{
    [Fact]
    public async Task An_alert_in_flight_when_the_hub_is_killed_is_delivered_after_the_restart_with_the_same_idempotency_key()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        long conditionId;
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
            conditionId = (await store.SaveConditionAsync(new StoredCondition(0, "삼성전자 종가", "code == \"005930\" and close > 0", null, true, "eod", 30,
                ["webhook"], default, default, null, null), CancellationToken.None))!.Id;
        }

        // The receiver holds the first request open (the hub is killed while it waits) and accepts every later one.
        var requests = new ConcurrentQueue<(string Key, string Signature, string Body)>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            requests.Enqueue((context.Request.Headers[AlertChannels.IdempotencyHeader].ToString(), context.Request.Headers[AlertChannels.SignatureHeader].ToString(), await reader.ReadToEndAsync()));
            if (first.TrySetResult())
            {
                await hold.Task.WaitAsync(context.RequestAborted);
            }
        });
        await receiver.StartAsync();
        var hook = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        var environment = new Dictionary<string, string?> { ["KRXHUB_ALERTS__WEBHOOKURL"] = hook, ["KRXHUB_ALERTS__WEBHOOKSECRET"] = "s3cret" };

        using (var hub = Serve(test, environment))
        {
            await first.Task.WaitAsync(TimeSpan.FromSeconds(90));
            hub.Kill(); // SIGKILL: no shutdown, the delivery is never recorded
            await hub.WaitForExitAsync();
        }

        await using (var store = await test.OpenAsync())
        {
            var alert = Assert.Single(await store.GetAlertsAsync(null, 10, CancellationToken.None));
            Assert.Equal((OutboxStatus.Pending, 0), (alert.Status, alert.Attempts));
            Assert.Single(await store.GetConditionEventsAsync(conditionId, DateOnly.MinValue, DateOnly.MaxValue, CancellationToken.None));
        }

        using (var hub = Serve(test, environment))
        {
            await LiveHub.EventuallyAsync(async () =>
            {
                await using var store = await test.OpenAsync();
                return (await store.GetAlertsAsync(OutboxStatus.Sent, 10, CancellationToken.None)).Count == 1;
            }, "the alert is sent after the restart");
            hub.Kill();
            await hub.WaitForExitAsync();
        }

        var seen = requests.ToList();
        Assert.Equal(2, seen.Count); // the one cut off by the kill, and exactly one delivery after the restart
        Assert.Equal(seen[0].Key, seen[1].Key);
        Assert.Equal(seen[0].Body, seen[1].Body);
        Assert.Equal(AlertChannels.Signature("s3cret", System.Text.Encoding.UTF8.GetBytes(seen[1].Body)), seen[1].Signature);
        await using (var store = await test.OpenAsync())
        {
            var alert = Assert.Single(await store.GetAlertsAsync(null, 10, CancellationToken.None));
            Assert.Equal((OutboxStatus.Sent, 1, seen[1].Key), (alert.Status, alert.Attempts, alert.IdempotencyKey));
            // The event was written once: the restarted scheduler saw the session done and did not evaluate it again.
            Assert.Single(await store.GetConditionEventsAsync(conditionId, DateOnly.MinValue, DateOnly.MaxValue, CancellationToken.None));
        }

        hold.TrySetResult();
    }

    private static Process Serve(TestStore test, IReadOnlyDictionary<string, string?> environment)
    {
        var psi = CliProcess.StartInfo(environment, "serve", "--no-bundled", "--data-dir", test.DataDirectory, "--urls", "http://127.0.0.1:0");
        var process = Process.Start(psi)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
