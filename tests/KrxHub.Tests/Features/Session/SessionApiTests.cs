using System.Diagnostics;
using System.Net;
using System.Text.Json;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Simulation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>GET /api/session through the real HTTP pipeline, on the hub's clock and at given instants.</summary>
public class SessionApiTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(new Uri(url, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task The_current_phase_comes_from_the_hub_clock_with_the_next_transition()
    {
        // The test hub's clock stands at 2025-06-30 09:00 UTC: 18:00 KST on a Monday session, when after-hours trading ends.
        var hub = await HubServer.ForAsync("sqlite");

        var (status, session) = await GetAsync(hub.Client, "/api/session");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("closed", session.GetProperty("phase").GetString());
        Assert.Equal("2025-06-30T18:00:00+09:00", session.GetProperty("at").GetString());
        Assert.Equal("2025-06-30", session.GetProperty("date").GetString());
        Assert.Equal("2025-06-30T09:00:00+09:00", session.GetProperty("open").GetString());
        Assert.Equal("2025-06-30T15:30:00+09:00", session.GetProperty("close").GetString());
        Assert.Equal("pre-open", session.GetProperty("next").GetProperty("phase").GetString());
        Assert.Equal("2025-07-01T08:30:00+09:00", session.GetProperty("next").GetProperty("at").GetString());
        Assert.False(session.GetProperty("alwaysOpen").GetBoolean());
    }

    [Theory]
    [InlineData("2024-01-03T10:00:00%2B09:00", "regular", "closing-auction", "2024-01-03T15:20:00+09:00")]
    [InlineData("2024-01-02T09:45:00%2B09:00", "pre-open", "regular", "2024-01-02T10:00:00+09:00")]
    [InlineData("2024-01-02T00:45:00Z", "pre-open", "regular", "2024-01-02T10:00:00+09:00")]
    [InlineData("2024-01-02T09:45:00", "pre-open", "regular", "2024-01-02T10:00:00+09:00")]
    [InlineData("2024-11-14T16:25:00%2B09:00", "closing-auction", "after-hours", "2024-11-14T16:30:00+09:00")]
    [InlineData("2024-11-14T17:00:00%2B09:00", "after-hours", "closed", "2024-11-14T18:00:00+09:00")]
    [InlineData("2024-04-10T10:00:00%2B09:00", "holiday", "closed", "2024-04-11T00:00:00+09:00")]
    public async Task The_phase_at_a_given_instant(string at, string phase, string nextPhase, string nextAt)
    {
        var hub = await HubServer.ForAsync("sqlite");

        var (status, session) = await GetAsync(hub.Client, "/api/session?at=" + at);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(phase, session.GetProperty("phase").GetString());
        Assert.Equal(nextPhase, session.GetProperty("next").GetProperty("phase").GetString());
        Assert.Equal(nextAt, session.GetProperty("next").GetProperty("at").GetString());
    }

    [Fact]
    public async Task A_holiday_has_no_hours_and_bad_or_uncovered_instants_are_problems()
    {
        var hub = await HubServer.ForAsync("sqlite");

        var (_, holiday) = await GetAsync(hub.Client, "/api/session?at=2024-04-10T10:00:00%2B09:00");
        Assert.Equal(JsonValueKind.Null, holiday.GetProperty("open").ValueKind);
        Assert.Equal(JsonValueKind.Null, holiday.GetProperty("close").ValueKind);

        var (badStatus, bad) = await GetAsync(hub.Client, "/api/session?at=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("'yesterday' is not an instant; use ISO 8601, e.g. 2024-11-14T16:25:00+09:00", bad.GetProperty("errors").GetProperty("at")[0].GetString());

        var (provisionalStatus, provisional) = await GetAsync(hub.Client, "/api/session?at=2027-05-03T10:00:00%2B09:00");
        Assert.Equal(HttpStatusCode.OK, provisionalStatus);
        Assert.Equal("holiday", provisional.GetProperty("phase").GetString());
        Assert.Equal("대체공휴일(노동절)", provisional.GetProperty("reason").GetString());
        Assert.True(provisional.GetProperty("provisional").GetBoolean());
        Assert.Equal("rules", provisional.GetProperty("source").GetString());

        var (outsideStatus, outside) = await GetAsync(hub.Client, "/api/session?at=2051-01-02T10:00:00%2B09:00");
        Assert.Equal(HttpStatusCode.NotFound, outsideStatus);
        Assert.Equal("2051-01-02 is outside the KRX calendar, which covers 1986-01-01..2050-12-31; the holiday rules end with 2050",
            outside.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_phase_follows_the_clock_and_the_always_open_demo_is_labelled()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var store = await test.OpenAsync();
        var time = new MovableTime(new DateTimeOffset(2024, 11, 14, 0, 29, 0, TimeSpan.Zero)); // CSAT day, 09:29 KST
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Time = time,
            ShowProgress = false,
            Simulator = new SimulatorOptions { AlwaysOpen = true },
        };
        await using var app = HubApp.Build(options, store, TestData.Calendar);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        var (_, before) = await GetAsync(client, "/api/session");
        Assert.Equal("closed", before.GetProperty("phase").GetString());
        Assert.True(before.GetProperty("alwaysOpen").GetBoolean());
        Assert.Equal("2024-11-14T09:30:00+09:00", before.GetProperty("next").GetProperty("at").GetString());

        time.Now = DateTimeOffset.Parse(before.GetProperty("next").GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var (_, after) = await GetAsync(client, "/api/session");
        Assert.Equal("pre-open", after.GetProperty("phase").GetString());
        Assert.Equal("2024-11-14T16:30:00+09:00", after.GetProperty("close").GetString());

        await app.StopAsync();
    }

    [Fact]
    public async Task A_malformed_simulator_variable_stops_serve_in_one_line()
    {
        var dir = Directory.CreateTempSubdirectory("krxhub-test-").FullName;
        try
        {
            var psi = CliProcess.StartInfo("serve", "--data-dir", dir, "--no-bundled", "--urls", "http://127.0.0.1:0");
            psi.Environment[SimulatorOptions.SeedVariable] = "abc";
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            await p.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await p.WaitForExitAsync(timeout.Token);

            Assert.Equal(1, p.ExitCode);
            Assert.Equal("error: KRXHUB_SIMULATOR__SEED='abc' is not a whole number; use e.g. 42", (await stderr).Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "--sim-calendar" }, false)]
    public async Task Serve_without_broker_keys_runs_the_simulator_always_open_unless_told_to_follow_the_calendar(string[] extra, bool alwaysOpen)
    {
        var dir = Directory.CreateTempSubdirectory("krxhub-test-").FullName;
        try
        {
            var psi = CliProcess.StartInfo(["serve", "--data-dir", dir, "--no-bundled", "--urls", "http://127.0.0.1:0", .. extra]);
            psi.Environment.Remove(SimulatorOptions.AlwaysOpenVariable);
            using var p = Process.Start(psi)!;
            var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            p.ErrorDataReceived += (_, _) => { };
            p.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.IndexOf("Now listening on: ", StringComparison.Ordinal) is >= 0 and var i)
                {
                    listening.TrySetResult(e.Data[(i + "Now listening on: ".Length)..].Trim());
                }
            };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri(await listening.Task.WaitAsync(TimeSpan.FromSeconds(60))) };
                var session = JsonDocument.Parse(await http.GetStringAsync("/api/session")).RootElement;
                Assert.Equal(alwaysOpen, session.GetProperty("alwaysOpen").GetBoolean());
            }
            finally
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
