using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.Extensions.Options;

namespace KrxHub.Features.Backtests;

/// <summary>
/// A whole-market run that `serve` makes once, right after it starts, before anyone asks: the dashboard's sma-cross 5/20
/// over every stock on the adjusted basis, over the newest stored sessions. Without it the first run from the page pays for
/// compiling the engine (tiered JIT: its first simulation runs in unoptimised, then instrumented code, 1.7 s instead of
/// 0.35 s; docs/benchmarks.md), for the first serialization of a result, and after a load for rebuilding the bar-series
/// cache. It holds the node's run gate, so a run asked for meanwhile waits for it instead of sharing the cores with it.
/// </summary>
public static class BacktestWarmup
{
    /// <summary>Sessions simulated: enough for sma-cross 5/20 to cross and trade on most stocks, few enough to take about a second.</summary>
    private const int Sessions = 60;

    /// <summary>Sessions loaded before the first simulated one, for the moving averages (as the runner loads them).</summary>
    private const int WarmupSessions = 60;

    public static async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BacktestWarmup));
        var jobs = services.GetRequiredService<BacktestJobs>();
        try
        {
            await jobs.RunGate.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            await WarmUpAsync(services, logger, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "backtest warm-up failed (the first run will be slower): {Error}", e.Message);
        }
        catch (Exception)
        {
            // The hub is stopping: whatever the warm-up was doing was cut short on purpose.
        }
        finally
        {
            jobs.RunGate.Release();
        }
    }

    private static async Task WarmUpAsync(IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        var store = services.GetRequiredService<MarketStore>();
        var calendar = services.GetRequiredService<KrxCalendar>();
        var time = services.GetRequiredService<TimeProvider>();
        var started = time.GetTimestamp();

        // The whole history of every stock, as a whole-market run reads it (and the read that rebuilds a stale cache).
        var master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        var series = (await store.GetBarSeriesAsync(PriceBasis.Adjusted, calendar.FirstSession, calendar.CoveredThrough, null, ct))
            .Where(s => master.ContainsKey(s.Code)).ToList();
        if (series.Count == 0)
        {
            logger.LogInformation("backtest warm-up: no adjusted bars stored, nothing to run");
            return;
        }

        var sessions = calendar.Sessions(calendar.FirstSession, series.Max(s => s.LastDate)).ToArray();
        if (sessions.Length < Sessions + WarmupSessions)
        {
            return;
        }

        var (load, from, to) = (sessions[^(Sessions + WarmupSessions)], sessions[^Sessions], sessions[^1]);
        var request = new BacktestRequest("sma-cross", new Dictionary<string, string> { ["fast"] = "5", ["slow"] = "20" }, ["ALL"],
            from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var plan = BacktestPlan.TryCreate(request, calendar, out var problem) ?? throw new InvalidOperationException(problem!.ToString());
        var recent = series.Select(s => s.Slice(load, to)).Where(s => s.Count > 0).ToList();
        var outcome = new BacktestRunner(store, calendar, time).Simulate(plan, recent, master, TimeSpan.Zero, null, ct);

        // The result as the dashboard asks for it (GET /api/backtests/{id}?trades=none&runs=returns), through the API's JSON options.
        var document = BacktestDocument.From(outcome);
        var json = services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var (shown, returns) = BacktestsApi.Shape(document, withTrades: false, onlyReturns: true);
        var status = new BacktestStatusDto("warm-up", "completed", 1, time.GetUtcNow(), time.GetUtcNow(), null, shown, document.Trades.Count, returns);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(status, json).Length;
        logger.LogInformation("backtest warm-up: sma-cross 5/20 over {Stocks} stocks, {From:yyyy-MM-dd}..{To:yyyy-MM-dd}, in {Seconds:0.00} s ({Bytes:N0} bytes of result)",
            recent.Count, from, to, time.GetElapsedTime(started).TotalSeconds, bytes);
    }
}
