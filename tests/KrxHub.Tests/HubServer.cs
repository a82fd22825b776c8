using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>
/// A real hub on a loopback port over a real store, loaded once per backend for the API tests: the bundled
/// master, the raw window 2024-01-02..02-13, 005930's adjusted history, a real KRX investor body of 005930, the real
/// KOSPI flows by investor type with pension (<see cref="KospiInvestorBody"/>) and the bundled index histories and constituent lists.
/// </summary>
internal sealed class HubServer : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<HubServer>>> Servers = new();

    private readonly TestStore _test;
    private readonly WebApplication _app;

    private HubServer(TestStore test, MarketStore store, WebApplication app, Uri address)
    {
        _test = test;
        Store = store;
        _app = app;
        Client = new HttpClient { BaseAddress = address };
    }

    /// <summary>The clock the bundled index files were loaded on: the day after their last session.</summary>
    public static readonly FixedTime IndexLoadTime = new(new DateTimeOffset(2026, 3, 21, 9, 0, 0, TimeSpan.Zero));

    public MarketStore Store { get; }

    /// <summary>The store's location, for a second node over the same store.</summary>
    public TestStore Test => _test;

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<HubServer> ForAsync(string backend) =>
        Servers.GetOrAdd(backend, b => new Lazy<Task<HubServer>>(() => StartSharedAsync(b))).Value;

    private static async Task<HubServer> StartSharedAsync(string backend)
    {
        var server = await StartAsync(backend, LoadSharedAsync);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    private static async Task LoadSharedAsync(TestStore test, MarketStore store)
    {
        await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        var samsung = TestData.TempFile(test.DataDirectory, "005930-adjusted.csv",
            ["code,date,open,high,low,close,volume,change_pct", .. ReadAdjusted("005930")]);
        await TestData.ImportAsync(store, samsung, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Adjusted);
        await TestData.ImportAsync(store, Testing.TestPaths.Data("samples", "krx", "MDCSTAT02302-005930-netbuy-value-20210115-20210122.json"),
            new ImportOptions { Code = StockCode.Parse("005930"), Measure = InvestorMeasure.Value });
        // The index histories run to 2026-03-20: loaded on a clock after that, so none of it is a future date.
        await Features.Import.BundledLoader.LoadIndicesAsync(store, TestData.Calendar, IndexLoadTime, new HashSet<string>(), false, CancellationToken.None);
        await TestData.ImportAsync(store, KospiInvestorBody.Write(test.DataDirectory), new ImportOptions { Market = Market.Kospi, Measure = InvestorMeasure.Value });
    }

    /// <summary>A hub of its own over a fresh store with the bundled master and what <paramref name="load"/> imports; the caller disposes it.</summary>
    public static async Task<HubServer> StartAsync(string backend, Func<TestStore, MarketStore, Task> load, HubSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(load);
        var test = await TestStore.CreateAsync(backend);
        var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        await load(test, store);

        var options = new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
        {
            Time = FixedTime.Default,
            ShowProgress = false,
            Settings = settings ?? HubSettings.None,
            // The tests run the scheduler and the sender themselves, so that a background pass never races them.
            RunConditionWorkers = false,
        };
        var app = HubApp.Build(options, store, TestData.Calendar);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HubServer(test, store, app, new Uri(address));
    }

    internal static IEnumerable<string> ReadAdjusted(string code)
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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _test.DisposeAsync();
    }
}
