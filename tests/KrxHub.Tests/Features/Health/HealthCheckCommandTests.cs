using System.Net;
using System.Net.Sockets;

namespace KrxHub.Tests;

/// <summary>`krxhub healthcheck`, the container's HEALTHCHECK, against a real hub on loopback.</summary>
public class HealthCheckCommandTests
{
    [Fact]
    public async Task Healthcheck_exits_0_when_the_hub_answers_and_1_when_it_answers_an_error_or_nothing_listens()
    {
        await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask);
        var live = new Uri(hub.Client.BaseAddress!, "/health/live");

        var ok = await CliProcess.RunAsync("healthcheck", "--url", live.ToString());
        Assert.True(ok.ExitCode == 0, ok.Stdout + ok.Stderr);
        Assert.Contains("200", ok.Stdout, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync("healthcheck", "--url", new Uri(hub.Client.BaseAddress!, "/health/none").ToString());
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("404", missing.Stdout, StringComparison.Ordinal);

        var closed = await CliProcess.RunAsync("healthcheck", "--url", $"http://127.0.0.1:{FreePort()}/health/live", "--timeout", "00:00:03");
        Assert.Equal(1, closed.ExitCode);
        Assert.StartsWith("error: http://127.0.0.1:", closed.Stderr, StringComparison.Ordinal);
        Assert.Contains("no answer", closed.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A loopback port nothing listens on (bound, read, released).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
