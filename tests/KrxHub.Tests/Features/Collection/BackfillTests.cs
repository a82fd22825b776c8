using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Tests.Collection;

/// <summary>`krxhub backfill` as a user runs it: killed mid-way, run again, run once more.</summary>
public sealed class BackfillTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_backfill_killed_midway_resumes_without_duplicates_and_a_finished_range_fetches_nothing(string backend)
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var codes = KiwoomMarket.TradedEverySession(40);
        var sessions = TestData.Calendar.Sessions(KiwoomMarket.First, KiwoomMarket.Last).Length;
        var environment = market.Environment(requestsPerSecond: 10);
        string[] args = ["backfill", "daily", "--from", "2024-01-02", "--to", "2024-02-13", "--codes", string.Join(',', codes), "--batch", "10", .. test.CliArgs];

        // Kill (SIGKILL) as soon as the first batch of ten stocks has been promoted.
        using (var process = Process.Start(CliProcess.StartInfo(environment, args))!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var killed = false;
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Contains("promoted as run", StringComparison.Ordinal))
                {
                    process.Kill();
                    killed = true;
                    break;
                }
            }

            await process.WaitForExitAsync();
            Assert.True(killed, "the backfill ended before it could be killed: " + await stderr);
        }

        IReadOnlyList<string> complete;
        await using (var store = await test.OpenAsync())
        {
            complete = [.. (await store.GetCompletedUnitsAsync("daily", "raw", KiwoomMarket.First, KiwoomMarket.Last, Ct)).Select(u => u.Key)];
            Assert.InRange(complete.Count, 10, 30);
            Assert.Equal(0, complete.Count % 10);
            foreach (var code in complete)
            {
                Assert.Equal(sessions, (await store.GetBarsAsync(StockCode.Parse(code), KiwoomMarket.First, KiwoomMarket.Last, PriceBasis.Raw, Ct)).Count);
            }
        }

        // The rerun asks only for the stocks whose units were not recorded, each once.
        market.Server.Arrivals.Clear();
        var rerun = await CliProcess.RunAsync(environment, args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr + rerun.Stdout);
        var asked = market.Requests("ka10081");
        Assert.Equal(codes.Except(complete).Order(StringComparer.Ordinal), asked.Select(r => r.Code).Order(StringComparer.Ordinal));
        Assert.All(asked, r => Assert.Equal("20240213", r.Date));

        await using (var store = await test.OpenAsync())
        {
            foreach (var code in codes)
            {
                var bars = await store.GetBarsAsync(StockCode.Parse(code), KiwoomMarket.First, KiwoomMarket.Last, PriceBasis.Raw, Ct);
                var real = KiwoomMarket.Real(code, KiwoomMarket.First, KiwoomMarket.Last);
                Assert.Equal(real.Select(b => (b.Date, b.Open, b.High, b.Low, b.Close, b.Volume)), bars.Select(b => (b.Date, b.Open, b.High, b.Low, b.Close, b.Volume)));
            }

            Assert.Equal(codes.Count * sessions, await store.CountDailyBarsAsync(Ct));
            Assert.Equal(codes.Count, (await store.GetCompletedUnitsAsync("daily", "raw", KiwoomMarket.First, KiwoomMarket.Last, Ct)).Count);
        }

        // A finished range: nothing is fetched.
        market.Server.Arrivals.Clear();
        var third = await CliProcess.RunAsync(environment, args);
        Assert.True(third.ExitCode == 0, third.Stderr);
        Assert.Contains("nothing to fetch", third.Stdout, StringComparison.Ordinal);
        Assert.Empty(market.Server.Arrivals);
    }

    [Fact]
    public async Task A_backfill_of_a_wider_range_fetches_only_the_sessions_not_yet_complete()
    {
        await using var market = await KiwoomMarket.StartAsync();
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var code = KiwoomMarket.TradedEverySession(1)[0];
        var environment = market.Environment();
        var january = await CliProcess.RunAsync(environment, ["backfill", "daily", "--from", "2024-01-10", "--to", "2024-01-31", "--codes", code, .. test.CliArgs]);
        Assert.True(january.ExitCode == 0, january.Stderr);
        market.Server.Arrivals.Clear();

        var wider = await CliProcess.RunAsync(environment, ["backfill", "daily", "--from", "2024-01-02", "--to", "2024-02-13", "--codes", code, .. test.CliArgs]);
        Assert.True(wider.ExitCode == 0, wider.Stderr);

        // Two gaps, each fetched from its own last session: 01-09 back to 01-02, and 02-13 back to 02-01.
        Assert.Equal([(code, "20240109"), (code, "20240213")], market.Requests("ka10081"));
        await using var check = await test.OpenAsync();
        Assert.Equal(TestData.Calendar.Sessions(KiwoomMarket.First, KiwoomMarket.Last).Length,
            (await check.GetBarsAsync(StockCode.Parse(code), KiwoomMarket.First, KiwoomMarket.Last, PriceBasis.Raw, Ct)).Count);
    }
}
