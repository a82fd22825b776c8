using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Backtesting.Strategies;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>Backtests through the store seam, the real HTTP pipeline and the real CLI, on both backends.</summary>
public class BacktestTests
{
    private static readonly StockCode Samsung = StockCode.Parse("005930");

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_bulk_series_read_returns_exactly_the_stored_bars(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var from = new DateOnly(2023, 1, 1);
        var to = new DateOnly(2025, 12, 31);
        var one = Assert.Single(await hub.Store.GetBarSeriesAsync(PriceBasis.Adjusted, from, to, [Samsung], CancellationToken.None));
        var bars = await hub.Store.GetBarsAsync(Samsung, from, to, PriceBasis.Adjusted, CancellationToken.None);
        Assert.Equal(bars.Count, one.Count);
        for (var i = 0; i < bars.Count; i++)
        {
            Assert.Equal((bars[i].Date, bars[i].Open, bars[i].Close, bars[i].NoTrade ? 0 : bars[i].Volume), (one.DateAt(i), one.OpenAt(i), one.CloseAt(i), one.VolumeAt(i)));
        }

        var raw = await hub.Store.GetBarSeriesAsync(PriceBasis.Raw, new DateOnly(2024, 1, 2), new DateOnly(2024, 2, 13), null, CancellationToken.None);
        var perDay = 0L;
        foreach (var date in TestData.Calendar.Sessions(new DateOnly(2024, 1, 2), new DateOnly(2024, 2, 13)).ToArray())
        {
            perDay += (await hub.Store.GetBarsOnDateAsync(date, null, PriceBasis.Raw, CancellationToken.None)).Count;
        }

        Assert.True(raw.Count > 2_500, $"{raw.Count} stocks");
        Assert.Equal(perDay, raw.Sum(s => (long)s.Count));
        Assert.Equal(raw.Select(s => s.Code.Value).Order(StringComparer.Ordinal), raw.Select(s => s.Code.Value));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_backtest_started_over_the_API_reports_progress_then_the_engines_result(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var body = new
        {
            strategy = "sma-cross",
            @params = new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" },
            codes = new[] { "005930" },
            from = "2024-01-02",
            to = "2025-06-16",
            cash = 100_000_000m,
            fill = "next-open",
        };
        var document = await RunAsync(hub, body);
        Assert.Equal(["metrics", "trades", "equity", "dataGaps"], document.EnumerateObject().Select(p => p.Name));
        // 005930's stored history has a bar on every session: nothing to report.
        Assert.Equal(0, document.GetProperty("dataGaps").GetProperty("count").GetInt32());

        // The same run on the same bars, straight through the engine.
        var bars = await hub.Store.GetBarsAsync(Samsung, DateOnly.MinValue, new DateOnly(2025, 6, 16), PriceBasis.Adjusted, CancellationToken.None);
        var expected = new BacktestEngine(
                new BacktestSettings(new DateOnly(2024, 1, 2), new DateOnly(2025, 6, 16), 100_000_000m, FillModel.NextOpen),
                TestData.Calendar,
                [BarSeries.FromBars(bars)],
                new Dictionary<StockCode, Stock> { [Samsung] = (await hub.Store.GetStockAsync(Samsung, CancellationToken.None))! })
            .Run(new SmaCross(Samsung, 5, 20));

        var metrics = document.GetProperty("metrics");
        Assert.Equal(expected.Metrics.FinalEquity, metrics.GetProperty("finalEquity").GetDecimal());
        Assert.Equal(expected.Metrics.Trades, metrics.GetProperty("trades").GetInt32());
        Assert.True(expected.Metrics.Trades > 10);
        Assert.Equal(expected.Equity.Count, document.GetProperty("equity").GetArrayLength());
        var trade = document.GetProperty("trades")[0];
        Assert.Equal(expected.Trades[0].Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), trade.GetProperty("date").GetString());
        Assert.Equal("buy", trade.GetProperty("side").GetString());
        Assert.Equal(expected.Trades[0].Price, trade.GetProperty("price").GetDecimal());
        Assert.Equal(expected.Trades[0].Commission, trade.GetProperty("commission").GetDecimal());
        foreach (var name in new[] { "totalReturn", "cagr", "volatility", "sharpe", "sortino", "maxDrawdown", "maxDrawdownPeak", "maxDrawdownTrough", "roundTrips", "winRate", "turnover", "exposure" })
        {
            Assert.True(metrics.TryGetProperty(name, out _), name);
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_whole_market_raw_backtest_trades_on_the_tick_grid_within_its_market(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var document = await RunAsync(hub, new
        {
            strategy = "momentum-topn",
            @params = new Dictionary<string, string> { ["lookback"] = "5", ["n"] = "5" },
            codes = new[] { "ALL" },
            market = "KOSDAQ",
            from = "2024-01-10",
            to = "2024-02-13",
            basis = "raw",
            slippageTicks = 1,
        });

        var trades = document.GetProperty("trades").EnumerateArray().ToArray();
        Assert.NotEmpty(trades);
        foreach (var trade in trades)
        {
            var code = StockCode.Parse(trade.GetProperty("code").GetString());
            var stock = await hub.Store.GetStockAsync(code, CancellationToken.None);
            Assert.Equal(Market.Kosdaq, stock!.Market);
            var date = DateOnly.Parse(trade.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(KrxRules.IsOnTickGrid(trade.GetProperty("price").GetDecimal(), Market.Kosdaq, date), trade.ToString());
            Assert.True(TestData.Calendar.NextSession(date)!.Value.Month != date.Month, "momentum trades on month ends");
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Single_stock_strategies_over_ALL_report_a_distribution(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var document = await RunAsync(hub, new { strategy = "buy-and-hold", codes = new[] { "ALL" }, market = "KOSPI", from = "2024-01-02", to = "2024-02-13", basis = "raw" });
        var runs = document.GetProperty("runs").EnumerateArray().ToList();
        var metrics = document.GetProperty("metrics");

        // One run per KOSPI stock of the master that has raw bars in the window, from the raw file and the master CSVs.
        var expectedCodes = LiveTestData.On(new DateOnly(2024, 1, 2)).Concat(LiveTestData.On(new DateOnly(2024, 2, 13)))
            .Select(b => b.Code).Where(c => LiveTestData.MasterMarkets.Value.TryGetValue(c, out var m) && m == Market.Kospi)
            .Select(c => c.Value).ToHashSet();
        var runCodes = runs.Select(r => r.GetProperty("code").GetString()!).ToHashSet();
        Assert.Equal(expectedCodes.Order(StringComparer.Ordinal), runCodes.Order(StringComparer.Ordinal));
        Assert.Equal(runs.Count, metrics.GetProperty("stocks").GetInt32());
        Assert.All(runs, r => Assert.Equal("KOSPI", r.GetProperty("market").GetString()));

        // The distribution, recomputed here from the per-stock returns (type-7 quantiles: linear between closest ranks).
        var returns = runs.Select(r => r.GetProperty("metrics").GetProperty("totalReturn").GetDouble()).Order().ToArray();
        double Quantile(double q)
        {
            var h = (returns.Length - 1) * q;
            var lo = (int)Math.Floor(h);
            return lo + 1 < returns.Length ? returns[lo] + ((h - lo) * (returns[lo + 1] - returns[lo])) : returns[lo];
        }

        Assert.Equal(Quantile(0.1), metrics.GetProperty("p10Return").GetDouble(), 12);
        Assert.Equal(Quantile(0.5), metrics.GetProperty("medianReturn").GetDouble(), 12);
        Assert.Equal(Quantile(0.9), metrics.GetProperty("p90Return").GetDouble(), 12);
        Assert.Equal(returns.Average(), metrics.GetProperty("meanReturn").GetDouble(), 12);
        Assert.Equal((returns[0], returns[^1]), (metrics.GetProperty("minReturn").GetDouble(), metrics.GetProperty("maxReturn").GetDouble()));

        // The equity curve is the sum of the accounts: every session of the window once, in order, ending on the final equities
        // of the runs that reach the last session.
        var equity = document.GetProperty("equity").EnumerateArray().ToList();
        Assert.Equal(TestData.Calendar.Sessions(new DateOnly(2024, 1, 2), new DateOnly(2024, 2, 13)).ToArray().Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            equity.Select(p => p.GetProperty("date").GetString()));
        Assert.Equal(runs.Select(r => r.GetProperty("metrics")).Where(m => m.GetProperty("lastSession").GetString() == "2024-02-13").Sum(m => m.GetProperty("finalEquity").GetDecimal()),
            equity[^1].GetProperty("equity").GetDecimal());
        Assert.Equal(runs.Sum(r => r.GetProperty("metrics").GetProperty("initialCash").GetDecimal()), metrics.GetProperty("initialCash").GetDecimal());

        // A few stocks run alone give exactly the result their line in the universe run shows, and 005930's final equity
        // is its cash plus its shares at the window's last raw close from the file.
        foreach (var code in new[] { "005930", "000660", "005380" })
        {
            var alone = await RunAsync(hub, new { strategy = "buy-and-hold", codes = new[] { code }, from = "2024-01-02", to = "2024-02-13", basis = "raw" });
            var line = runs.Single(r => r.GetProperty("code").GetString() == code).GetProperty("metrics");
            Assert.Equal(alone.GetProperty("metrics").GetProperty("finalEquity").GetDecimal(), line.GetProperty("finalEquity").GetDecimal());
            Assert.Equal(alone.GetProperty("metrics").GetProperty("totalReturn").GetDouble(), line.GetProperty("totalReturn").GetDouble());
            if (code == "005930")
            {
                var buys = alone.GetProperty("trades").EnumerateArray().Where(t => t.GetProperty("side").GetString() == "buy").ToList();
                var shares = buys.Sum(t => t.GetProperty("quantity").GetInt64());
                var spent = buys.Sum(t => (t.GetProperty("price").GetDecimal() * t.GetProperty("quantity").GetInt64()) + t.GetProperty("commission").GetDecimal());
                var cash = alone.GetProperty("metrics").GetProperty("initialCash").GetDecimal() - spent;
                var lastClose = LiveTestData.Bar("005930", new DateOnly(2024, 2, 13)).Close;
                Assert.Equal(cash + (shares * lastClose), alone.GetProperty("metrics").GetProperty("finalEquity").GetDecimal());
            }
        }
    }

    [Theory]
    [InlineData("""{"codes":["005930"],"from":"2024-01-02","to":"2024-06-28"}""", "strategy")]
    [InlineData("""{"strategy":"nope","codes":["005930"],"from":"2024-01-02","to":"2024-06-28"}""", "strategy")]
    [InlineData("""{"strategy":"sma-cross","params":{"fast":"30","slow":"20"},"codes":["005930"],"from":"2024-01-02","to":"2024-06-28"}""", "param")]
    [InlineData("""{"strategy":"sma-cross","params":{"speed":"3"},"codes":["005930"],"from":"2024-01-02","to":"2024-06-28"}""", "param")]
    [InlineData("""{"strategy":"sma-cross","codes":["5930"],"from":"2024-01-02","to":"2024-06-28"}""", "codes")]
    [InlineData("""{"strategy":"sma-cross","codes":["005930"],"from":"2024-13-02","to":"2024-06-28"}""", "from")]
    [InlineData("""{"strategy":"sma-cross","codes":["005930"],"from":"2024-06-28","to":"2024-01-02"}""", "to")]
    [InlineData("""{"strategy":"sma-cross","codes":["005930"],"from":"2024-01-02","to":"2024-06-28","fill":"vwap"}""", "fill")]
    [InlineData("""{"strategy":"sma-cross","codes":["005930"],"from":"2024-01-02","to":"2024-06-28","cash":-5}""", "cash")]
    [InlineData("""{"strategy":"sma-cross","codes":["005930"],"from":"2024-01-02","to":"2024-06-28","sellTax":0.5}""", "sellTax")]
    [InlineData("""{"strategy":"sma-cross","codes":["ALL"],"market":"NYSE","from":"2024-01-02","to":"2024-06-28"}""", "market")]
    public async Task Bad_backtest_requests_are_400_problems_naming_the_field(string json, string field)
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var response = await hub.Client.PostAsync(new Uri("/api/backtests", UriKind.Relative), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(HttpStatusCode.BadRequest == response.StatusCode, problem.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task A_distribution_can_come_as_its_returns_alone_and_the_rest_of_the_result_unchanged()
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative),
            new { strategy = "buy-and-hold", codes = new[] { "ALL" }, market = "KOSPI", from = "2024-01-02", to = "2024-02-13", basis = "raw" });
        var location = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("location").GetString()!;
        JsonElement brief;
        do
        {
            brief = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "?trades=none&runs=returns&waitMs=1000", UriKind.Relative));
        }
        while (brief.GetProperty("status").GetString() is "queued" or "running");

        var full = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "?trades=none", UriKind.Relative));
        var runs = full.GetProperty("result").GetProperty("runs").EnumerateArray().ToList();
        Assert.True(runs.Count > 10, $"{runs.Count} runs");
        Assert.False(full.TryGetProperty("runReturns", out _));
        Assert.False(brief.GetProperty("result").TryGetProperty("runs", out _));
        Assert.Equal(
            runs.Select(r => (r.GetProperty("code").GetString(), r.GetProperty("name").GetString(), r.GetProperty("market").GetString(),
                r.GetProperty("metrics").GetProperty("totalReturn").GetDouble())),
            brief.GetProperty("runReturns").EnumerateArray().Select(r => (r.GetProperty("code").GetString(), r.GetProperty("name").GetString(),
                r.GetProperty("market").GetString(), r.GetProperty("totalReturn").GetDouble())));

        // Everything else is the full result's, byte for byte.
        foreach (var property in full.GetProperty("result").EnumerateObject().Where(p => p.Name != "runs"))
        {
            Assert.Equal(property.Value.GetRawText(), brief.GetProperty("result").GetProperty(property.Name).GetRawText());
        }

        Assert.Equal(full.GetProperty("tradeCount").GetInt32(), brief.GetProperty("tradeCount").GetInt32());
        using var bad = await hub.Client.GetAsync(new Uri(location + "?runs=some", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("runs", out _));
    }

    [Fact]
    public async Task A_result_can_leave_its_trades_out_and_page_through_them()
    {
        var hub = await HubServer.ForAsync("sqlite");
        var full = await RunAsync(hub, new { strategy = "sma-cross", @params = new { fast = "5", slow = "20" }, codes = new[] { "005930" }, from = "2015-01-02", to = "2025-06-16" });
        var all = full.GetProperty("trades").EnumerateArray().Select(t => t.GetRawText()).ToList();
        Assert.True(all.Count > 10, $"{all.Count} trades");

        // The same run again, to know its id: its document without trades, then two pages.
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative),
            new { strategy = "sma-cross", @params = new { fast = "5", slow = "20" }, codes = new[] { "005930" }, from = "2015-01-02", to = "2025-06-16" });
        var location = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("location").GetString()!;
        JsonElement status;
        do
        {
            await Task.Delay(50);
            status = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "?trades=none", UriKind.Relative));
        }
        while (status.GetProperty("status").GetString() is "queued" or "running");

        Assert.Equal(all.Count, status.GetProperty("tradeCount").GetInt32());
        Assert.Empty(status.GetProperty("result").GetProperty("trades").EnumerateArray());
        Assert.Equal(full.GetProperty("metrics").GetRawText(), status.GetProperty("result").GetProperty("metrics").GetRawText());

        var page = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "/trades?offset=3&limit=4", UriKind.Relative));
        Assert.Equal((all.Count, 3), (page.GetProperty("total").GetInt32(), page.GetProperty("offset").GetInt32()));
        Assert.Equal(all.Skip(3).Take(4), page.GetProperty("trades").EnumerateArray().Select(t => t.GetRawText()));
        var last = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + $"/trades?offset={all.Count - 1}&limit=1000", UriKind.Relative));
        Assert.Equal([all[^1]], last.GetProperty("trades").EnumerateArray().Select(t => t.GetRawText()));

        foreach (var (query, parameter) in new[] { ("?trades=some", "trades"), ("/trades?limit=0", "limit"), ("/trades?limit=1001", "limit"), ("/trades?offset=-1", "offset") })
        {
            using var bad = await hub.Client.GetAsync(new Uri(location + query, UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(parameter, out _), query);
        }
    }

    [Fact]
    public async Task A_waiting_status_request_answers_when_the_run_finishes_or_after_its_wait_with_the_progress()
    {
        await using var hub = await HubServer.StartAsync("sqlite",
            (_, store) => TestData.ImportAsync(store, BundledData.RawWindow, new Sources.Import.ImportOptions { Format = Sources.Import.ImportFormat.MarcapCsv }));
        var jobs = hub.Services.GetRequiredService<Features.Backtests.BacktestJobs>();
        // The test holds the node's run gate: the run stays queued until the test lets go.
        await jobs.RunGate.WaitAsync();
        Task<JsonElement> waiting;
        string location;
        try
        {
            using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative),
                new { strategy = "buy-and-hold", codes = new[] { "005930" }, basis = "raw", from = "2024-01-02", to = "2024-02-13" });
            location = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("location").GetString()!;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var queued = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "?waitMs=300", UriKind.Relative));
            Assert.Equal(("queued", 0d), (queued.GetProperty("status").GetString(), queued.GetProperty("progress").GetDouble()));
            Assert.True(watch.ElapsedMilliseconds >= 250, $"answered after {watch.ElapsedMilliseconds} ms");

            waiting = hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location + "?trades=none&waitMs=30000", UriKind.Relative));
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted);
        }
        finally
        {
            jobs.RunGate.Release();
        }

        // Let go, the run finishes and the waiting request answers with the result, long before its 30 s.
        var finished = System.Diagnostics.Stopwatch.StartNew();
        var done = await waiting;
        Assert.True(finished.Elapsed < TimeSpan.FromSeconds(20), $"answered after {finished.Elapsed}");
        Assert.Equal(("completed", 1d), (done.GetProperty("status").GetString(), done.GetProperty("progress").GetDouble()));
        Assert.True(done.GetProperty("result").GetProperty("metrics").GetProperty("finalEquity").GetDecimal() > 0);
        Assert.Empty(done.GetProperty("result").GetProperty("trades").EnumerateArray());

        foreach (var bad in new[] { "-1", "30001", "soon" })
        {
            using var response = await hub.Client.GetAsync(new Uri($"{location}?waitMs={bad}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("waitMs", out _), bad);
        }
    }

    [Fact]
    public async Task An_unknown_stock_or_run_is_404()
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative), new { strategy = "buy-and-hold", codes = new[] { "999990" }, from = "2024-01-02", to = "2024-02-13" });
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        using var get = await hub.Client.GetAsync(new Uri("/api/backtests/0123456789abcdef", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task The_backtest_verb_writes_exactly_metrics_trades_and_equity_and_rejects_bad_parameters_in_one_line()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new Sources.Import.ImportOptions { Format = Sources.Import.ImportFormat.MarcapCsv });
        }

        var output = Path.Combine(test.DataDirectory, "result.json");
        var run = await CliProcess.RunAsync(["backtest", "--strategy", "sma-cross", "--param", "fast=3", "--param", "slow=8", "--codes", "000660",
            "--from", "2024-01-15", "--to", "2024-02-13", "--basis", "raw", "--fill", "next-open", "--sell-tax", "0.0018", "--out", output, .. test.CliArgs]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("final equity", run.Stdout, StringComparison.Ordinal);
        var document = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement;
        Assert.Equal(["metrics", "trades", "equity", "dataGaps"], document.EnumerateObject().Select(p => p.Name));
        Assert.Contains("data gaps", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(20, document.GetProperty("equity").GetArrayLength()); // sessions 2024-01-15..02-13 (02-09 and 02-12: Lunar New Year)
        Assert.All(document.GetProperty("trades").EnumerateArray(), t => Assert.Equal(t.GetProperty("side").GetString() == "sell" ? t.GetProperty("price").GetDecimal() * t.GetProperty("quantity").GetInt64() * 0.0018m : 0m, t.GetProperty("tax").GetDecimal()));

        foreach (var bad in new[]
        {
            new[] { "--strategy", "sma-cross", "--param", "fast=x", "--codes", "000660", "--from", "2024-01-15", "--to", "2024-02-13" },
            ["--strategy", "sma-cross", "--codes", "000660", "--from", "2024-02-13", "--to", "2024-01-15"],
            ["--strategy", "sma-cross", "--codes", "000660", "--from", "2024-01-15", "--to", "2024-02-13", "--fill", "vwap"],
            ["--strategy", "sma-cross", "--codes", "999990", "--from", "2024-01-15", "--to", "2024-02-13"],
        })
        {
            var (exit, _, stderr) = await CliProcess.RunAsync(["backtest", .. bad, .. test.CliArgs]);
            Assert.NotEqual(0, exit);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.StartsWith("error:", stderr, StringComparison.Ordinal);
        }
    }

    private static async Task<JsonElement> RunAsync(HubServer hub, object body)
    {
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative), body);
        var started = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(HttpStatusCode.Accepted == post.StatusCode, started.ToString());
        var location = started.GetProperty("location").GetString()!;
        Assert.Equal(location, post.Headers.Location?.OriginalString);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location, UriKind.Relative));
            var state = status.GetProperty("status").GetString();
            Assert.InRange(status.GetProperty("progress").GetDouble(), 0, 1);
            if (state == "completed")
            {
                return status.GetProperty("result");
            }

            Assert.True(state is "queued" or "running", status.ToString());
            Assert.True(DateTime.UtcNow < deadline, "the backtest did not finish in 2 minutes");
            await Task.Delay(50);
        }
    }
}
