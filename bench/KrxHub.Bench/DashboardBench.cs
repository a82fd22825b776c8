using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Playwright;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>
/// The dashboard in Debian's Chromium against a running hub (start it with the bundled data: `krxhub serve`, which
/// runs the always-open simulator): first load of / with a cold cache, gzipped JS, long tasks while the top 20 updates,
/// a 10-year daily chart, a whole-market backtest from the page. One JSON line per measurement.
/// </summary>
internal static class DashboardBench
{
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var url = StringOption(args, "--url") ?? "http://127.0.0.1:5080";
        var runs = IntOption(args, "--runs", 5);
        var seconds = IntOption(args, "--seconds", 60);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = StringOption(args, "--chromium") ?? "/usr/bin/chromium", Headless = true, Args = ChromiumArgs,
        });

        var only = StringOption(args, "--only");
        bool Wanted(string name) => only is null || only == name;
        if (Wanted("js"))
        {
            BundleSize();
        }

        if (Wanted("first-load"))
        {
            await FirstLoadAsync(browser, url, runs);
        }

        if (Wanted("long-tasks"))
        {
            await LongTasksAsync(browser, url, seconds);
        }

        if (Wanted("chart"))
        {
            await TenYearChartAsync(browser, url, runs);
        }

        if (Wanted("backtest"))
        {
            await WholeMarketBacktestAsync(browser, url, runs);
        }
        return 0;
    }

    private static void BundleSize()
    {
        var assets = Path.Combine(AppContext.BaseDirectory, "wwwroot", "assets");
        long raw = 0, gzipped = 0;
        foreach (var file in Directory.GetFiles(assets, "*.js"))
        {
            var bytes = File.ReadAllBytes(file);
            using var buffer = new MemoryStream();
            using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gz.Write(bytes);
            }

            raw += bytes.Length;
            gzipped += buffer.Length;
        }

        Print(new { bench = "dashboard-js", files = Directory.GetFiles(assets, "*.js").Length, rawKb = raw / 1024.0, gzipKb = Math.Round(gzipped / 1024.0, 1), budgetKb = 300 });
    }

    private static async Task<IPage> NewPageAsync(IBrowser browser, string url)
    {
        // A new context has an empty cache: every load through it is a cold load.
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = url, ViewportSize = new ViewportSize { Width = 1366, Height = 768 } });
        return await context.NewPageAsync();
    }

    private static async Task FirstLoadAsync(IBrowser browser, string url, int runs)
    {
        var loads = new List<double>();
        var rows = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var page = await NewPageAsync(browser, url);
            var watch = Stopwatch.StartNew();
            await page.GotoAsync("/");
            await page.Locator("[data-testid=ranking] tbody tr").Nth(19).WaitForAsync();
            rows.Add(watch.Elapsed.TotalMilliseconds);
            loads.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByType('navigation')[0].loadEventEnd"));
            await page.Context.CloseAsync();
        }

        Print(new { bench = "dashboard-first-load", runs, medianLoadEventMs = Math.Round(Median(loads), 1), medianTwentyRowsMs = Math.Round(Median(rows), 1), budgetMs = 1000 });
    }

    private static async Task LongTasksAsync(IBrowser browser, string url, int seconds)
    {
        var page = await NewPageAsync(browser, url);
        await page.AddInitScriptAsync("""
            window.__long = [];
            new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({ type: 'longtask', buffered: true });
            """);
        await page.GotoAsync("/");
        await page.Locator("[data-testid=ranking] tbody tr").Nth(19).WaitForAsync();
        await page.EvaluateAsync("""
            () => {
              window.__long.length = 0; window.__updates = 0;
              let pending = false;
              new MutationObserver(() => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; window.__updates++; }); } })
                .observe(document.querySelector('[data-testid=ranking] tbody'), { subtree: true, childList: true, characterData: true, attributes: true });
            }
            """);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var longTasks = await page.EvaluateAsync<double[]>("() => window.__long");
        var updates = await page.EvaluateAsync<int>("() => window.__updates");
        Print(new { bench = "dashboard-long-tasks", seconds, renderedUpdatesPerSecond = Math.Round(updates / (double)seconds, 2), longTasks = longTasks.Length, maxLongTaskMs = longTasks.Length == 0 ? 0 : longTasks.Max(), budget = "none over 50 ms" });
        await page.Context.CloseAsync();
    }

    private static async Task TenYearChartAsync(IBrowser browser, string url, int runs)
    {
        // Ten years of real daily bars of 005930 (Naver adjusted, ../shared/reference), served in place of the store's
        // shorter bundled history: the bundled adjusted data starts in 2023-12.
        var file = Path.Combine(BacktestBench.SharedReference(), "ohlcv", "naver_fchart_005930_daily_adjusted.csv");
        var lines = File.ReadAllLines(file).Skip(1).Select(l => l.Split(',')).ToList();
        var last = DateOnly.Parse(lines[^1][0], CultureInfo.InvariantCulture);
        var bars = lines.Where(f => DateOnly.Parse(f[0], CultureInfo.InvariantCulture) > last.AddYears(-10)).Select(f => new
        {
            code = "005930", date = f[0], open = decimal.Parse(f[1], CultureInfo.InvariantCulture), high = decimal.Parse(f[2], CultureInfo.InvariantCulture),
            low = decimal.Parse(f[3], CultureInfo.InvariantCulture), close = decimal.Parse(f[4], CultureInfo.InvariantCulture), volume = long.Parse(f[5], CultureInfo.InvariantCulture),
            tradingValue = (decimal?)null, marketCap = (decimal?)null, listedShares = (long?)null, noTrade = false, basis = "adjusted", source = "naver-fchart (reference)",
        }).ToList();
        var json = JsonSerializer.Serialize(bars);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var page = await NewPageAsync(browser, url);
            await page.RouteAsync("**/api/stocks/005930/bars?basis=adjusted", r => r.FulfillAsync(new RouteFulfillOptions { Body = json, ContentType = "application/json" }));
            await page.GotoAsync("/stocks/005930");
            var chart = page.GetByTestId("price-chart");
            await page.Locator("[data-testid=price-chart][data-render-ms]").WaitForAsync();
            await page.GetByTestId("period-tabs").Locator("button[data-value='10Y']").ClickAsync();
            times.Add(double.Parse((await chart.GetAttributeAsync("data-render-ms"))!, CultureInfo.InvariantCulture));
            await page.Context.CloseAsync();
        }

        Print(new { bench = "dashboard-10y-chart", bars = bars.Count, from = bars[0].date, to = bars[^1].date, runs, medianRenderMs = Math.Round(Median(times), 1), maxRenderMs = times.Max(), budgetMs = 300 });
    }

    private static async Task WholeMarketBacktestAsync(IBrowser browser, string url, int runs)
    {
        var page = await NewPageAsync(browser, url);
        await page.GotoAsync("/backtests");
        await page.Locator("select[name=strategy] option").First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await page.Locator("input[name=all]").CheckAsync();
        var times = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await page.GetByTestId("run-backtest").ClickAsync();
            // Checked on every animation frame: a locator's WaitForAsync polls at 0, 20, 70, 170 and 270 ms and then only
            // every 500 ms, which rounded a histogram drawn 0.3-0.75 s after the click up to about 0.8 s.
            await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=backtest-run][data-status=completed] [data-testid=histogram]') !== null",
                null, new PageWaitForFunctionOptions { Timeout = 120_000 });
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        var stocks = await page.Locator("[data-testid=backtest-run] h2", new PageLocatorOptions { HasText = "(" }).First.InnerTextAsync();
        Print(new { bench = "dashboard-backtest-all", strategy = "sma-cross 5/20", range = "2024-01-02..2025-06-16", distribution = stocks, firstRunMs = Math.Round(times[0], 0), warmRuns = runs, warmP50Ms = Math.Round(Median(times.Skip(1)), 0), budget = "p50 < 1000 ms warm, first < 2000 ms" });
        await page.Context.CloseAsync();
    }
}
