namespace KrxHub.Client;

// Quality, collection runs, backtests, screening, conditions and alerts.
public sealed partial class KrxHubClient
{
    /// <summary>GET /api/quality?date=: one day's report.</summary>
    public Task<DayQuality> GetDayQualityAsync(DateOnly date, CancellationToken ct = default) =>
        GetAsync<DayQuality>("/api/quality", ct, ("date", date));

    /// <summary>GET /api/quality?from=&amp;to=: a range's report with the sessions missing data.</summary>
    public Task<RangeQuality> GetRangeQualityAsync(DateOnly from, DateOnly to, CancellationToken ct = default) =>
        GetAsync<RangeQuality>("/api/quality", ct, ("from", from), ("to", to));

    /// <summary>GET /api/quarantine: quarantined rows with their payload and reasons, newest first.</summary>
    public Task<IReadOnlyList<QuarantinedRow>> GetQuarantineAsync(DateOnly? date = null, string? reason = null, int? limit = null, int? offset = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<QuarantinedRow>>("/api/quarantine", ct, ("date", date), ("reason", reason), ("limit", limit), ("offset", offset));

    /// <summary>GET /api/collection/runs: collection and import runs, newest first.</summary>
    public Task<IReadOnlyList<CollectionRun>> GetCollectionRunsAsync(int? limit = null, int? offset = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<CollectionRun>>("/api/collection/runs", ct, ("limit", limit), ("offset", offset));

    /// <summary>GET /api/backtests/strategies: every shipped strategy with its parameters' defaults.</summary>
    public Task<IReadOnlyList<Strategy>> GetStrategiesAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Strategy>>("/api/backtests/strategies", ct);

    /// <summary>POST /api/backtests: queue a run (202); follow it with <see cref="GetBacktestAsync"/>.</summary>
    public Task<BacktestStarted> StartBacktestAsync(BacktestRequest request, CancellationToken ct = default) =>
        SendAsync<BacktestStarted>(HttpMethod.Post, "/api/backtests", [], request, ct);

    /// <summary>GET /api/backtests: this node's runs.</summary>
    public Task<IReadOnlyList<BacktestSummary>> GetBacktestsAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<BacktestSummary>>("/api/backtests", ct);

    /// <summary>GET /api/backtests/{id}: status and, once completed, the result; <paramref name="withTrades"/> false leaves the trades out.</summary>
    public Task<BacktestStatus> GetBacktestAsync(string id, bool withTrades = true, CancellationToken ct = default) =>
        GetAsync<BacktestStatus>($"/api/backtests/{Segment(id)}", ct, ("trades", withTrades ? null : "none"));

    /// <summary>GET /api/backtests/{id}/trades: one page of a completed run's trades (at most 1000).</summary>
    public Task<BacktestTrades> GetBacktestTradesAsync(string id, int? offset = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<BacktestTrades>($"/api/backtests/{Segment(id)}/trades", ct, ("offset", offset), ("limit", limit));

    /// <summary>
    /// Polls a run until it is no longer queued or running, every <paramref name="pollInterval"/> (default 250 ms).
    /// A failed run is returned with its <c>error</c>, not thrown.
    /// </summary>
    public async Task<BacktestStatus> WaitForBacktestAsync(string id, TimeSpan? pollInterval = null, bool withTrades = true, CancellationToken ct = default)
    {
        while (true)
        {
            var status = await GetBacktestAsync(id, withTrades, ct);
            if (status.Status is not ("queued" or "running"))
            {
                return status;
            }

            await Task.Delay(pollInterval ?? TimeSpan.FromMilliseconds(250), ct);
        }
    }

    /// <summary>POST /api/screen: the stocks an expression matches now; a bad expression is a 400 whose detail names the column.</summary>
    public Task<ScreenResult> ScreenAsync(ScreenRequest request, CancellationToken ct = default) =>
        SendAsync<ScreenResult>(HttpMethod.Post, "/api/screen", [], request, ct);

    public Task<IReadOnlyList<Condition>> GetConditionsAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Condition>>("/api/conditions", ct);

    public Task<Condition> GetConditionAsync(long id, CancellationToken ct = default) =>
        GetAsync<Condition>($"/api/conditions/{id}", ct);

    public Task<Condition> CreateConditionAsync(ConditionRequest request, CancellationToken ct = default) =>
        SendAsync<Condition>(HttpMethod.Post, "/api/conditions", [], request, ct);

    public Task<Condition> UpdateConditionAsync(long id, ConditionRequest request, CancellationToken ct = default) =>
        SendAsync<Condition>(HttpMethod.Put, $"/api/conditions/{id}", [], request, ct);

    /// <summary>DELETE /api/conditions/{id}: the condition with its matches and history.</summary>
    public Task DeleteConditionAsync(long id, CancellationToken ct = default) =>
        SendNoContentAsync(HttpMethod.Delete, $"/api/conditions/{id}", ct);

    /// <summary>GET /api/conditions/{id}/results: the matching set and the entries and exits in [from, to].</summary>
    public Task<ConditionResults> GetConditionResultsAsync(long id, DateOnly? from = null, DateOnly? to = null, CancellationToken ct = default) =>
        GetAsync<ConditionResults>($"/api/conditions/{id}/results", ct, ("from", from), ("to", to));

    /// <summary>POST /api/conditions/{id}/evaluate: evaluate now (live bars, else the newest stored session or <paramref name="date"/>).</summary>
    public Task<ConditionRun> EvaluateConditionAsync(long id, DateOnly? date = null, CancellationToken ct = default) =>
        SendAsync<ConditionRun>(HttpMethod.Post, $"/api/conditions/{id}/evaluate", [("date", date)], null, ct);

    /// <summary>GET /api/alerts: the alert outbox, newest first; <paramref name="status"/> pending, sent or dead.</summary>
    public Task<IReadOnlyList<Alert>> GetAlertsAsync(string? status = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Alert>>("/api/alerts", ct, ("status", status), ("limit", limit));

    /// <summary>POST /api/alerts/{id}/retry: put a dead-lettered alert back in line.</summary>
    public Task RetryAlertAsync(long id, CancellationToken ct = default) =>
        SendNoContentAsync(HttpMethod.Post, $"/api/alerts/{id}/retry", ct);
}
