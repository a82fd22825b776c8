using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.Extensions.Options;

namespace KrxHub.Features.Backtests;

/// <summary>
/// A whole-market run that `serve` makes right after it starts, before anyone asks: the dashboard's sma-cross 5/20 over
/// every stock on the adjusted basis, over the newest stored sessions, simulated a few times until the tiered JIT has
/// compiled the engine's optimised code. Without it the first runs from the page pay for compiling the engine (their
/// simulations run in unoptimised, then instrumented code: 1.9-2.5 s instead of 0.35-0.45 s; docs/benchmarks.md), for the
/// first serialization of a result, and after a load for rebuilding the bar-series cache. It holds the node's run gate, so a run asked for meanwhile waits for it instead of sharing the cores with it.
/// </summary>
public static class BacktestWarmup
{
    /// <summary>Sessions simulated: enough for sma-cross 5/20 to cross and trade on most stocks, few enough to take about a second.</summary>
    private const int Sessions = 60;

    /// <summary>Sessions loaded before the first simulated one, for the moving averages (as the runner loads them).</summary>
    private const int WarmupSessions = 60;

    /// <summary>Simulations at least and at most: in between, the warm-up stops after a pass that compiled nothing.</summary>
    private const int MinPasses = 3;

    private const int MaxPasses = 8;

    /// <summary>Time for the tiered JIT's background compiler between passes.</summary>
    private static readonly TimeSpan PauseBetweenPasses = TimeSpan.FromMilliseconds(300);

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
        var runner = new BacktestRunner(store, calendar, time);
        var passes = new List<double>();
        BacktestOutcome outcome;
        while (true)
        {
            // Tiered JIT promotes a method only after it has been called a while, and compiles the faster code in the
            // background once no new method has been compiled for a moment: one pass left the engine in unoptimised or
            // instrumented code, and a hub's first two real runs (six times the sessions of a pass) simulated in 1.9-2.5 s
            // instead of 0.35-0.45 s. Passes, with a pause for the background compiler, until one compiled nothing (a
            // pass's time said too little on a busy machine; passes reach their optimised 0.1 s after 4-6, and with the
            // live feed compiling beside them a hub makes all 8, about 5 s). Compiling the engine optimised from the start
            // (AggressiveOptimization) loses the profile-guided code: simulations took 0.35-0.43 CPU s instead of 0.29.
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            outcome = runner.Simulate(plan, recent, master, TimeSpan.Zero, null, ct);
            passes.Add(outcome.RunTime.TotalSeconds);
            await Task.Delay(PauseBetweenPasses, time, ct);
            if (passes.Count >= MaxPasses || (passes.Count >= MinPasses && System.Runtime.JitInfo.GetCompiledMethodCount() == compiled))
            {
                break;
            }
        }

        // The result as the dashboard asks for it (GET /api/backtests/{id}?trades=none&runs=returns), through the API's JSON options.
        var document = BacktestDocument.From(outcome);
        var json = services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var (shown, returns) = BacktestsApi.Shape(document, withTrades: false, onlyReturns: true);
        var status = new BacktestStatusDto("warm-up", "completed", 1, time.GetUtcNow(), time.GetUtcNow(), null, shown, document.Trades.Count, returns);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(status, json).Length;
        logger.LogInformation("backtest warm-up: sma-cross 5/20 over {Stocks} stocks, {From:yyyy-MM-dd}..{To:yyyy-MM-dd}, in {Seconds:0.00} s ({Bytes:N0} bytes of result; simulations of {Passes} s)",
            recent.Count, from, to, time.GetElapsedTime(started).TotalSeconds, bytes, string.Join(", ", passes.Select(p => p.ToString("0.00", CultureInfo.InvariantCulture))));
    }
}
