using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>`backtest --benchmark` and the API's "benchmark" against a brute-force computation over the reference index files.</summary>
public class BenchmarkTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_KOSPI_benchmark_over_the_API_equals_a_brute_force_computation(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var body = new { strategy = "sma-cross", @params = new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" },
            codes = new[] { "005930" }, from = "2024-01-02", to = "2025-06-16", benchmark = "KOSPI" };

        var document = await RunAsync(hub, body);

        Assert.Equal(["metrics", "trades", "equity", "benchmark", "dataGaps"], document.EnumerateObject().Select(p => p.Name));
        AssertBruteForce(document, ReferenceIndex.Kospi, "1001", "KOSPI");
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_distribution_is_measured_on_its_summed_accounts_against_KOSDAQ(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var body = new { strategy = "buy-and-hold", codes = new[] { "ALL" }, market = "KOSDAQ", from = "2024-01-02", to = "2024-02-13",
            basis = "raw", benchmark = "KOSDAQ" };

        var document = await RunAsync(hub, body);

        AssertBruteForce(document, ReferenceIndex.Kosdaq, "2001", "KOSDAQ");
    }

    [Theory]
    [InlineData("""{"strategy":"buy-and-hold","codes":["005930"],"from":"2024-01-02","to":"2024-02-13","benchmark":"SP500"}""")]
    public async Task An_unknown_benchmark_is_a_400_problem_naming_it(string json)
    {
        var hub = await HubServer.ForAsync("sqlite");
        using var post = await hub.Client.PostAsync(new Uri("/api/backtests", UriKind.Relative), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var problem = await post.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("benchmark", out _), problem.ToString());
    }

    [Fact]
    public async Task The_backtest_verb_with_benchmark_KOSPI_writes_figures_equal_to_a_brute_force_computation()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            var samsung = TestData.TempFile(test.DataDirectory, "005930-adjusted.csv",
                ["code,date,open,high,low,close,volume,change_pct", .. HubServer.ReadAdjusted("005930")]);
            await TestData.ImportAsync(store, samsung, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Adjusted);
        }

        var output = Path.Combine(test.DataDirectory, "result.json");
        var missing = await CliProcess.RunAsync(["backtest", "--strategy", "rsi-reversion", "--codes", "005930", "--from", "2024-03-04", "--to", "2025-06-16",
            "--benchmark", "KOSPI", "--out", output, .. test.CliArgs]);
        var import = await CliProcess.RunAsync(["import", BundledData.IndexHistories[0].Path, "--index", "KOSPI", .. test.CliArgs]);
        var run = await CliProcess.RunAsync(["backtest", "--strategy", "rsi-reversion", "--codes", "005930", "--from", "2024-03-04", "--to", "2025-06-16",
            "--benchmark", "KOSPI", "--out", output, .. test.CliArgs]);

        Assert.NotEqual(0, missing.ExitCode);
        Assert.StartsWith("error: no KOSPI (1001) close is stored on or before 2024-03-04", missing.Stderr, StringComparison.Ordinal);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("benchmark KOSPI (1001)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("information ratio", run.Stdout, StringComparison.Ordinal);
        AssertBruteForce(JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement, ReferenceIndex.Kospi, "1001", "KOSPI");
    }

    /// <summary>
    /// Recomputes every benchmark figure from the document's own equity curve and the reference index file, the plain way:
    /// closes looked up by date, returns in loops, the drawdown as the worst of all pairs.
    /// </summary>
    private static void AssertBruteForce(JsonElement document, string referenceFile, string code, string name)
    {
        var reference = ReferenceIndex.Read(referenceFile).ToDictionary(kv => kv.Key, kv => ReferenceIndex.Number(kv.Value[3])!.Value);
        var equity = document.GetProperty("equity").EnumerateArray()
            .Select(p => (Date: DateOnly.Parse(p.GetProperty("date").GetString()!, CultureInfo.InvariantCulture), Equity: p.GetProperty("equity").GetDecimal())).ToList();
        var metrics = document.GetProperty("metrics");
        var cash = metrics.GetProperty("initialCash").GetDecimal();
        var b = document.GetProperty("benchmark");
        var n = equity.Count;
        Assert.True(n > 20, $"{n} sessions");

        var baseDate = reference.Keys.Where(d => d < equity[0].Date).Max();
        var levels = equity.Select(p => reference[p.Date]).ToArray();
        var baseLevel = reference[baseDate];
        var s = new double[n];
        var r = new double[n];
        for (var k = 0; k < n; k++)
        {
            s[k] = (double)equity[k].Equity / (double)(k == 0 ? cash : equity[k - 1].Equity) - 1;
            r[k] = (double)levels[k] / (double)(k == 0 ? baseLevel : levels[k - 1]) - 1;
        }

        var worst = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                worst = Math.Max(worst, 1 - (double)(levels[j] / levels[i]));
            }
        }

        double Mean(IEnumerable<double> x) => x.Average();
        var ms = Mean(s);
        var mb = Mean(r);
        var beta = Enumerable.Range(0, n).Sum(k => (s[k] - ms) * (r[k] - mb)) / Enumerable.Range(0, n).Sum(k => (r[k] - mb) * (r[k] - mb));
        var alpha = ms - (beta * mb);
        var active = Enumerable.Range(0, n).Select(k => s[k] - r[k]).ToArray();
        var ma = Mean(active);
        var trackingError = Math.Sqrt(active.Sum(a => (a - ma) * (a - ma)) / (n - 1)) * Math.Sqrt(252);
        var days = equity[^1].Date.DayNumber - equity[0].Date.DayNumber;

        Assert.Equal(code, b.GetProperty("index").GetString());
        Assert.Equal(name, b.GetProperty("name").GetString());
        Assert.Equal(baseDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), b.GetProperty("baseDate").GetString());
        Assert.Equal(baseLevel, b.GetProperty("baseLevel").GetDecimal());
        Assert.Equal(levels[^1], b.GetProperty("finalLevel").GetDecimal());
        Assert.Equal(n, b.GetProperty("sessions").GetInt32());
        Assert.Equal(0, b.GetProperty("sessionsWithoutLevel").GetInt32());
        Close((double)levels[^1] / (double)baseLevel - 1, b, "totalReturn");
        Close(Math.Pow((double)levels[^1] / (double)baseLevel, 365.25 / days) - 1, b, "cagr");
        Close(worst, b, "maxDrawdown");
        Close(beta, b, "beta");
        Close(alpha, b, "alphaDaily");
        Close(alpha * 252, b, "alphaAnnualised");
        Close(trackingError, b, "trackingError");
        Close(ma * 252 / trackingError, b, "informationRatio");
    }

    private static void Close(double expected, JsonElement benchmark, string property)
    {
        var actual = benchmark.GetProperty(property).GetDouble();
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{property}: expected {expected:R}, got {actual:R}");
    }

    private static async Task<JsonElement> RunAsync(HubServer hub, object body)
    {
        using var post = await hub.Client.PostAsJsonAsync(new Uri("/api/backtests", UriKind.Relative), body);
        var started = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(HttpStatusCode.Accepted == post.StatusCode, started.ToString());
        var location = started.GetProperty("location").GetString()!;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = await hub.Client.GetFromJsonAsync<JsonElement>(new Uri(location, UriKind.Relative));
            if (status.GetProperty("status").GetString() == "completed")
            {
                return status.GetProperty("result");
            }

            Assert.True(status.GetProperty("status").GetString() is "queued" or "running", status.ToString());
            Assert.True(DateTime.UtcNow < deadline, "the backtest did not finish in 2 minutes");
            await Task.Delay(50);
        }
    }
}
