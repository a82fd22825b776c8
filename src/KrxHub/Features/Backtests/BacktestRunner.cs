using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Indices;
using KrxHub.Storage;

namespace KrxHub.Features.Backtests;

/// <summary>One stock's run in a --codes ALL (or several-codes) backtest of a single-stock strategy.</summary>
public sealed record StockRun(StockCode Code, string Name, Market Market, BacktestResult Result);

/// <summary>
/// The result of a plan: one result (one stock, or a multi-stock strategy over its universe), or — for a
/// single-stock strategy over several stocks — one independent run per stock, each with its own cash.
/// </summary>
public sealed record BacktestOutcome(BacktestPlan Plan, BacktestResult? Single, IReadOnlyList<StockRun>? Runs, TimeSpan LoadTime, TimeSpan RunTime, int BarsLoaded)
{
    /// <summary>The run's equity curve (a distribution's: the sum of its accounts) measured against the plan's index, if any.</summary>
    public BenchmarkMetrics? Benchmark { get; init; }

    private (decimal InitialCash, IReadOnlyList<EquityPoint> Equity)? _curve;

    /// <summary>
    /// The curve a benchmark is compared with: the single run's, or the sum of a distribution's per-stock accounts.
    /// Computed once (the result document and the benchmark comparison both read it).
    /// </summary>
    public (decimal InitialCash, IReadOnlyList<EquityPoint> Equity) Curve() =>
        _curve ??= Single is { } single ? (single.Metrics.InitialCash, single.Equity) : Sum(Runs!);

    /// <summary>
    /// Adds the accounts up per session. A whole-market run has about a million points over a few hundred sessions, all
    /// inside the plan's dates: one slot per calendar day of their span, indexed by day number (a hash per point cost
    /// about 30 ms; a sorted tree two tree searches per point).
    /// </summary>
    private static (decimal InitialCash, IReadOnlyList<EquityPoint> Equity) Sum(IReadOnlyList<StockRun> runs)
    {
        var curves = runs.Select(r => r.Result.Equity).Where(e => e.Count > 0).ToList();
        if (curves.Count == 0)
        {
            return (runs.Sum(r => r.Result.Metrics.InitialCash), []);
        }

        var first = curves.Min(e => e[0].Date.DayNumber);
        var sums = new (bool Seen, decimal Equity, decimal Cash)[curves.Max(e => e[^1].Date.DayNumber) - first + 1];
        foreach (var curve in curves)
        {
            foreach (var point in curve)
            {
                ref var sum = ref sums[point.Date.DayNumber - first];
                sum = (true, sum.Equity + point.Equity, sum.Cash + point.Cash);
            }
        }

        var equity = new List<EquityPoint>();
        for (var day = 0; day < sums.Length; day++)
        {
            if (sums[day].Seen)
            {
                equity.Add(new EquityPoint(DateOnly.FromDayNumber(first + day), sums[day].Equity, sums[day].Cash));
            }
        }

        return (runs.Sum(r => r.Result.Metrics.InitialCash), equity);
    }
}

/// <summary>A backtest that cannot run on the stored data (unknown stock, no bars): a one-line reason.</summary>
public sealed class BacktestDataException(string message) : Exception(message);

/// <summary>Loads bars through the store seam and runs the Core engine.</summary>
public sealed class BacktestRunner(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    /// <summary>Checks that explicitly named stocks exist in the master; returns the first unknown code.</summary>
    public async Task<StockCode?> FindUnknownCodeAsync(BacktestPlan plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var code in plan.Codes ?? [])
        {
            if (await store.GetStockAsync(code, ct) is null)
            {
                return code;
            }
        }

        return null;
    }

    public async Task<BacktestOutcome> RunAsync(BacktestPlan plan, Action<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var started = time.GetTimestamp();
        Dictionary<StockCode, Stock> master;
        if (plan.Codes is { } named)
        {
            master = [];
            foreach (var code in named)
            {
                master[code] = await store.GetStockAsync(code, ct) ?? throw new BacktestDataException($"stock {code} is not in the stock master");
            }
        }
        else
        {
            master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        }

        var probe = plan.Factory(plan.Codes?.FirstOrDefault() ?? default);
        var loadFrom = WarmupStart(plan.Settings.From, probe.WarmupBars);
        var series = await store.GetBarSeriesAsync(plan.Settings.Basis, loadFrom, plan.Settings.To, plan.Codes, ct);
        series = [.. series.Where(s => master.TryGetValue(s.Code, out var stock) && (plan.Market is null || stock.Market == plan.Market))];
        if (plan.Codes is { } codes && series.Count == 0)
        {
            throw new BacktestDataException($"no {plan.Settings.Basis.Name()} bars for {string.Join(",", codes)}{MarketText(plan)} up to {plan.Settings.To:yyyy-MM-dd}");
        }

        if (series.Count == 0)
        {
            throw new BacktestDataException($"no {plan.Settings.Basis.Name()} bars{MarketText(plan)} in {plan.Settings.From:yyyy-MM-dd}..{plan.Settings.To:yyyy-MM-dd}");
        }

        var loaded = time.GetElapsedTime(started);
        var outcome = Simulate(plan, series, master, loaded, progress, ct);
        return plan.Benchmark is { } index ? outcome with { Benchmark = await CompareAsync(outcome, index, ct) } : outcome;
    }

    /// <summary>The outcome's curve against the index's stored closes; a benchmark without a close on or before the first session is an error.</summary>
    private async Task<BenchmarkMetrics> CompareAsync(BacktestOutcome outcome, KrxIndex index, CancellationToken ct)
    {
        var (cash, equity) = outcome.Curve();
        if (equity.Count == 0)
        {
            throw new BacktestDataException($"no sessions to compare with {index.NameEn}");
        }

        // From a month before the first session: the close before it is the benchmark's base.
        var bars = await store.GetIndexBarsAsync(index.Code, equity[0].Date.AddDays(-31), equity[^1].Date, ct);
        return BenchmarkComparison.Compute(index.Code, index.NameEn, cash, equity, [.. bars.Select(b => (b.Date, b.Close))])
            ?? throw new BacktestDataException($"no {index.NameEn} ({index.Code}) close is stored on or before {equity[0].Date:yyyy-MM-dd}: import the index history first (docs/indices.md)");
    }

    /// <summary>Runs the plan on series already loaded (the simulation half of <see cref="RunAsync"/>).</summary>
    public BacktestOutcome Simulate(BacktestPlan plan, IReadOnlyList<BarSeries> series, IReadOnlyDictionary<StockCode, Stock> master, TimeSpan loaded, Action<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(master);
        var bars = series.Sum(s => s.Count);
        var started = time.GetTimestamp();
        if (!plan.Strategy.SingleStock)
        {
            var universe = series.ToDictionary(s => s.Code, s => master[s.Code]);
            var result = new BacktestEngine(plan.Settings, calendar, series, universe).Run(plan.Factory(default), progress, ct);
            return new BacktestOutcome(plan, result, null, loaded, time.GetElapsedTime(started), bars);
        }

        if (series.Count == 1 && plan.Codes is { Count: 1 })
        {
            var s = series[0];
            var result = new BacktestEngine(plan.Settings, calendar, [s], new Dictionary<StockCode, Stock> { [s.Code] = master[s.Code] })
                .Run(plan.Factory(s.Code), progress, ct);
            return new BacktestOutcome(plan, result, null, loaded, time.GetElapsedTime(started), bars);
        }

        // Independent runs, one per stock, each with its own cash: spread over the cores.
        var runs = new StockRun[series.Count];
        var done = 0;
        Parallel.For(0, series.Count, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var s = series[i];
            var stock = master[s.Code];
            var result = new BacktestEngine(plan.Settings, calendar, [s], new Dictionary<StockCode, Stock> { [s.Code] = stock }).Run(plan.Factory(s.Code));
            runs[i] = new StockRun(s.Code, stock.Name, stock.Market, result);
            var finished = Interlocked.Increment(ref done);
            if (progress is not null && (finished % 50 == 0 || finished == series.Count))
            {
                progress(finished / (double)series.Count);
            }
        });
        return new BacktestOutcome(plan, null, runs, loaded, time.GetElapsedTime(started), bars);
    }

    /// <summary>The first date to load so that <paramref name="warmupBars"/> bars precede --from (with room for halts).</summary>
    private DateOnly WarmupStart(DateOnly from, int warmupBars)
    {
        if (warmupBars == int.MaxValue)
        {
            return DateOnly.MinValue;
        }

        var before = calendar.Sessions(calendar.FirstSession, from.AddDays(-1));
        var sessions = (warmupBars * 2) + 20;
        return before.Length > sessions ? before[^sessions] : DateOnly.MinValue;
    }

    private static string MarketText(BacktestPlan plan) => plan.Market is { } m ? $" on {m.Name()}" : string.Empty;
}
