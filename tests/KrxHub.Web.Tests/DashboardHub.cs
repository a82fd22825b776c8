using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Simulation;
using KrxHub.Storage;
using KrxHub.Tests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace KrxHub.Web.Tests;

/// <summary>
/// A real hub on 127.0.0.1:0 over a SQLite store with real bundled data (the master, the raw window 2024-01-02..02-13,
/// 005930's adjusted history, the KOSPI/KOSDAQ/KOSPI 200 histories), its simulated exchange trading all day on the real clock, and Debian's Chromium
/// driven by Playwright. Shared by the dashboard tests (one collection).
/// </summary>
public sealed class DashboardHub : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private TestStore? _test;
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public Uri Address { get; private set; } = null!;

    public MarketStore Store { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>
    /// The port of the hub's webhook alert channel (http://127.0.0.1:{port}/hook). Nothing listens on it, and an alert has one
    /// attempt (KRXHUB_ALERTS__MAXATTEMPTS=1): a webhook alert is dead-lettered at once, until a test listens on the port.
    /// </summary>
    public int WebhookPort { get; private set; }

    /// <summary>Screenshots of every page, kept as test artifacts under the test output folder.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (apt-get install chromium; bash .ci/run does)");
        }

        _test = await TestStore.CreateAsync("sqlite");
        var store = await _test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        var samsung = TestData.TempFile(_test.DataDirectory, "005930-adjusted.csv",
            ["code,date,open,high,low,close,volume,change_pct", .. ReadAdjusted("005930")]);
        await TestData.ImportAsync(store, samsung, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Adjusted);
        // The bundled index histories (KOSPI, KOSDAQ, KOSPI 200; not the constituent lists), before the start: the simulator's
        // index levels start from the last stored close, and backtest benchmarks read the closes.
        var skipConstituents = BundledData.IndexConstituents.Select(Features.Import.BundledLoader.IndexJob).ToHashSet(StringComparer.Ordinal);
        await Features.Import.BundledLoader.LoadIndicesAsync(store, TestData.Calendar, TimeProvider.System, skipConstituents, false, CancellationToken.None);
        Store = store;

        WebhookPort = ClosedPort();
        var options = new HubOptions(new StoreLocation(_test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            ShowProgress = false,
            Simulator = new SimulatorOptions { AlwaysOpen = true },
            Settings = HubSettings.None with
            {
                Alerts = new Features.Conditions.AlertSettings { WebhookUrl = $"http://127.0.0.1:{WebhookPort}/hook", MaxAttempts = 1 },
            },
        };
        _app = HubApp.Build(options, store, TestData.Calendar);
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Http = new HttpClient { BaseAddress = Address };

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A loopback port nobody listens on: one the system handed out and that was let go at once.</summary>
    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static List<string> ReadAdjusted(string code)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(BundledData.AdjustedHistory), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var rows = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith(code + ",", StringComparison.Ordinal))
            {
                rows.Add(line);
            }
        }

        return rows;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_test is not null)
        {
            await _test.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardHub>
{
    public const string Name = "dashboard";
}

/// <summary>
/// A browser test. Skipped only on a developer machine without /usr/bin/chromium; when CI=true it always runs (and fails
/// with a clear message when Chromium is missing), as the PostgreSQL tests do.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(DashboardHub.ChromiumPath) && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = $"{DashboardHub.ChromiumPath} is missing (bash .ci/run installs Debian's chromium)";
        }
    }
}
