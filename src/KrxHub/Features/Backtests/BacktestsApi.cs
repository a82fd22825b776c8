using KrxHub.Features.Access;
using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Backtests;

/// <summary>A backtest started through the API. Runs live in this process's memory (ask the node that started it).</summary>
public sealed class BacktestJob(string id, BacktestPlan plan, DateTimeOffset createdAt)
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public BacktestPlan Plan { get; } = plan;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public volatile string Status = "queued";

    public double Progress;

    public string? Error { get; set; }

    public BacktestDocument? Result { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Completes when the run has completed or failed (after <see cref="FinishedAt"/> is set): what a waiting GET waits for.</summary>
    public Task Finished => _finished.Task;

    internal void MarkFinished() => _finished.TrySetResult();
}

/// <summary>Background runs: at most one at a time per node (a whole-market run uses every core), the last 100 kept.</summary>
public sealed class BacktestJobs(MarketStore store, KrxCalendar calendar, TimeProvider time, Access.AccessSettings access, ILogger<BacktestJobs> logger,
    Observability.HubMetrics? metrics = null) : IDisposable
{
    private const int Kept = 100;
    private readonly ConcurrentDictionary<string, BacktestJob> _jobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();

    private int _pending;

    /// <summary>Test hook: while it is held, queued runs stay queued.</summary>
    internal SemaphoreSlim RunGate => _gate;

    /// <summary>Runs queued or running at once on this node.</summary>
    public int Capacity => access.BacktestQueue;

    /// <summary>Queues a run, or null when <see cref="Capacity"/> runs are already queued or running.</summary>
    public BacktestJob? Start(BacktestPlan plan)
    {
        if (Interlocked.Increment(ref _pending) > Capacity)
        {
            Interlocked.Decrement(ref _pending);
            return null;
        }

        var job = new BacktestJob(Guid.NewGuid().ToString("n"), plan, time.GetUtcNow());
        _jobs[job.Id] = job;
        Trim();
        _ = Task.Run(() => RunAsync(job, _stopping.Token));
        return job;
    }

    public BacktestJob? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>The runs this node keeps, newest first.</summary>
    public IReadOnlyList<BacktestJob> List() => [.. _jobs.Values.OrderByDescending(j => j.CreatedAt)];

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task RunAsync(BacktestJob job, CancellationToken ct)
    {
        try
        {
            await _gate.WaitAsync(ct);
            try
            {
                job.Status = "running";
                var outcome = await new BacktestRunner(store, calendar, time).RunAsync(job.Plan, p => Volatile.Write(ref job.Progress, p), ct);
                job.Result = BacktestDocument.From(outcome);
                logger.LogInformation("backtest {Id}: {Bars:N0} bars loaded in {Load:F3} s, simulated in {Run:F3} s", job.Id, outcome.BarsLoaded,
                    outcome.LoadTime.TotalSeconds, outcome.RunTime.TotalSeconds);
                job.Progress = 1;
                job.Status = "completed";
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (BacktestDataException e)
        {
            job.Error = e.Message;
            job.Status = "failed";
        }
        catch (OperationCanceledException)
        {
            job.Error = "the hub stopped before the run finished";
            job.Status = "failed";
        }
        catch (Exception e)
        {
            // The message of an unexpected exception is infrastructure's (a path, a connection string part): the log has it.
            logger.LogError(e, "backtest {Id} failed", job.Id);
            job.Error = $"the run failed on an internal error (the hub's log has it under backtest {job.Id})";
            job.Status = "failed";
        }
        finally
        {
            Interlocked.Decrement(ref _pending); // first: a caller that sees FinishedAt finds the slot free
            job.FinishedAt = time.GetUtcNow();
            metrics?.Job("backtest", job.Status == "completed", job.FinishedAt.Value - job.CreatedAt);
            job.MarkFinished();
        }
    }

    private void Trim()
    {
        foreach (var old in _jobs.Values.Where(j => j.Status is "completed" or "failed").OrderByDescending(j => j.CreatedAt).Skip(Kept))
        {
            _jobs.TryRemove(old.Id, out _);
        }
    }
}

/// <summary>
/// Status of a run; <see cref="Result"/> is the same document the CLI writes with --out (with <c>?trades=none</c> its trades
/// are left out: page through them with GET /api/backtests/{id}/trades). <see cref="TradeCount"/> is the number of trades.
/// With <c>?runs=returns</c> a distribution's <c>runs</c> are left out of the result and <see cref="RunReturns"/> lists each
/// stock's total return instead (a tenth of the bytes of a whole-market run: what the dashboard's histogram needs).
/// </summary>
public sealed record BacktestStatusDto(string Id, string Status, double Progress, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error,
    BacktestDocument? Result, int? TradeCount = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<StockReturnDto>? RunReturns = null);

/// <summary>One stock's run of a distribution reduced to its total return (<c>?runs=returns</c>), in the order of <c>runs</c>.</summary>
public sealed record StockReturnDto(string Code, string Name, string Market, double TotalReturn);

/// <summary>One page of a run's trades, in the document's order.</summary>
public sealed record BacktestTradesDto(int Total, int Offset, IReadOnlyList<TradeDto> Trades);

/// <summary>A run in the list of this node's runs (GET /api/backtests): what was asked and how it went, without the result.</summary>
public sealed record BacktestSummaryDto(string Id, string Status, double Progress, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? Error,
    string Strategy, IReadOnlyDictionary<string, string> Params, IReadOnlyList<string> Codes, string? Market, DateOnly From, DateOnly To, string Basis);

public sealed record BacktestStartedDto(string Id, string Status, string Location);

public static class BacktestsApi
{
    public static IEndpointRouteBuilder MapBacktests(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/backtests").WithTags("Backtests");
        group.MapPost("/", StartAsync).RequireAccess(Access.AccessSetup.BacktestsAndConditionsPolicy)
            .WithSummary("Start a run; 429 with Retry-After while this node's queue is full (KRXHUB_ACCESS__BACKTESTQUEUE)");
        group.MapGet("/", List).WithCsv();
        group.MapGet("/strategies", () => TypedResults.Ok(Core.Backtesting.StrategyCatalog.All));
        group.MapGet("/{id}", GetAsync)
            .WithSummary("A run's status and, once completed, its result; ?trades=none leaves the trades out (a whole-market run has tens of thousands); " +
                "?runs=returns replaces a distribution's per-stock runs with runReturns (code, name, market, totalReturn); " +
                "?waitMs=250 answers as soon as the run finishes, or after that many milliseconds (at most 30000) with its progress");
        group.MapGet("/{id}/trades", GetTrades).WithCsv<BacktestTradesDto>(x => x.Trades).WithSummary("One page of a completed run's trades (?offset=0&limit=50, at most 1000)");
        return app;
    }

    private static async Task<Results<Accepted<BacktestStartedDto>, ValidationProblem, ProblemHttpResult>> StartAsync(
        BacktestRequest? request, BacktestJobs jobs, MarketStore store, KrxCalendar calendar, TimeProvider time, HttpContext context, CancellationToken ct)
    {
        if (request is null)
        {
            return ApiErrors.BadParameter("body", "a JSON body is required, e.g. {\"strategy\":\"sma-cross\",\"params\":{\"fast\":\"5\",\"slow\":\"20\"},\"codes\":[\"005930\"],\"from\":\"2024-01-02\",\"to\":\"2025-06-16\"}");
        }

        if (BacktestPlan.TryCreate(request, calendar, out var problem) is not { } plan)
        {
            return ApiErrors.BadParameter(problem!.Field, problem.Message);
        }

        if (await new BacktestRunner(store, calendar, time).FindUnknownCodeAsync(plan, ct) is { } unknown)
        {
            return ApiErrors.NotFound("Unknown stock", $"stock {unknown} is not in the stock master");
        }

        if (jobs.Start(plan) is not { } job)
        {
            return TooBusy(context, jobs);
        }

        var location = $"/api/backtests/{job.Id}";
        return TypedResults.Accepted(location, new BacktestStartedDto(job.Id, job.Status, location));
    }

    private static ProblemHttpResult TooBusy(HttpContext context, BacktestJobs jobs)
    {
        context.Response.Headers.RetryAfter = "30";
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Backtest queue full",
            detail: $"{jobs.Capacity} backtests are queued or running on this node; retry later (KRXHUB_ACCESS__BACKTESTQUEUE)");
    }

    private static Ok<BacktestSummaryDto[]> List(BacktestJobs jobs) => TypedResults.Ok(jobs.List().Select(j => new BacktestSummaryDto(
        j.Id, j.Status, Volatile.Read(ref j.Progress), j.CreatedAt, j.FinishedAt, j.Error, j.Plan.Strategy.Name, j.Plan.Params,
        j.Plan.Codes?.Select(c => c.Value).ToArray() ?? ["ALL"], j.Plan.Market?.ToString().ToUpperInvariant(), j.Plan.Settings.From, j.Plan.Settings.To,
        j.Plan.Settings.Basis.ToString().ToLowerInvariant())).ToArray());

    private static async Task<Results<Ok<BacktestStatusDto>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string id, BacktestJobs jobs, string? trades, string? runs, string? waitMs, TimeProvider time, CancellationToken ct)
    {
        if (IsAlternative(trades, "none") is not { } withoutTrades)
        {
            return ApiErrors.BadParameter("trades", $"'{trades}' is not a trades option; use all (the default) or none");
        }

        if (IsAlternative(runs, "returns") is not { } onlyReturns)
        {
            return ApiErrors.BadParameter("runs", $"'{runs}' is not a runs option; use all (the default) or returns");
        }

        if (!ApiErrors.TryRange(waitMs, "waitMs", 0, 0, 30_000, out var wait, out var problem))
        {
            return problem!;
        }

        if (jobs.Find(id) is not { } job)
        {
            return ApiErrors.NotFound("Unknown backtest", $"no backtest {id} on this node (runs are kept in memory, the last 100)");
        }

        // A waiting poll: the page sees the result the moment the run finishes instead of up to a poll interval later.
        if (wait > 0 && !job.Finished.IsCompleted)
        {
            try
            {
                await job.Finished.WaitAsync(TimeSpan.FromMilliseconds(wait), time, ct);
            }
            catch (TimeoutException)
            {
                // Still running: answer with its progress.
            }
        }

        var (shown, returns) = Shape(job.Result, !withoutTrades, onlyReturns);
        return TypedResults.Ok(new BacktestStatusDto(job.Id, job.Status, Volatile.Read(ref job.Progress), job.CreatedAt, job.FinishedAt, job.Error,
            shown, job.Result?.Trades.Count, returns));
    }

    /// <summary>False for "all" (or nothing), true for <paramref name="alternative"/>, null for anything else.</summary>
    private static bool? IsAlternative(string? option, string alternative) => option?.Trim().ToLowerInvariant() switch
    {
        null or "" or "all" => false,
        var value when value == alternative => true,
        _ => null,
    };

    /// <summary>The result as a status request asks for it: without its trades (<c>trades=none</c>), with its runs as returns (<c>runs=returns</c>).</summary>
    internal static (BacktestDocument? Result, IReadOnlyList<StockReturnDto>? RunReturns) Shape(BacktestDocument? result, bool withTrades, bool onlyReturns)
    {
        var shown = result is not null && !withTrades ? result with { Trades = [] } : result;
        if (!onlyReturns || shown?.Runs is not { } perStock)
        {
            return (shown, null);
        }

        return (shown with { Runs = null }, [.. perStock.Select(r => new StockReturnDto(r.Code, r.Name, r.Market, r.Metrics.TotalReturn))]);
    }

    private static Results<Ok<BacktestTradesDto>, ValidationProblem, ProblemHttpResult> GetTrades(string id, BacktestJobs jobs, string? offset, string? limit)
    {
        if (!ApiErrors.TryRange(offset, "offset", 0, 0, int.MaxValue, out var skip, out var problem) ||
            !ApiErrors.TryRange(limit, "limit", 50, 1, 1000, out var take, out problem))
        {
            return problem!;
        }

        if (jobs.Find(id) is not { } job)
        {
            return ApiErrors.NotFound("Unknown backtest", $"no backtest {id} on this node (runs are kept in memory, the last 100)");
        }

        if (job.Result is not { } result)
        {
            return ApiErrors.NotFound("No result yet", $"backtest {id} is {job.Status}; its trades come with its result");
        }

        return TypedResults.Ok(new BacktestTradesDto(result.Trades.Count, skip, [.. result.Trades.Skip(skip).Take(take)]));
    }
}
