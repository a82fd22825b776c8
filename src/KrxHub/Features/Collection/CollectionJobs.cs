using KrxHub.Core;
using KrxHub.Shared;
using KrxHub.Pipeline;
using KrxHub.Sources.Kiwoom;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>One collection: a dataset over [From, To]. <see cref="Codes"/> null means every stock listed in the range.</summary>
public sealed record CollectionRequest(CollectDataset Dataset, DateOnly From, DateOnly To)
{
    public PriceBasis Basis { get; init; } = PriceBasis.Raw;

    public IReadOnlyList<StockCode>? Codes { get; init; }

    /// <summary>Leave out what earlier runs recorded as complete (backfill, scheduled jobs); `collect` fetches everything.</summary>
    public bool SkipCompleted { get; init; }

    /// <summary>Units per pipeline run; the default promotes the whole collection as one run.</summary>
    public int BatchUnits { get; init; } = int.MaxValue;

    /// <summary>collect, backfill or schedule: names the job ("backfill:daily") and goes into the run's parameters.</summary>
    public string Trigger { get; init; } = "collect";

    public string Job => $"{(Trigger == "backfill" ? "backfill" : "collect")}:{Dataset.Name()}";
}

/// <summary>
/// The collection jobs behind `krxhub collect`, `krxhub backfill` and the scheduler. Every job goes through the pipeline
/// (validate → stage → promote) and writes a collection run; a dataset whose source is not configured is a one-line error.
/// </summary>
public sealed class CollectionJobs(MarketStore store, KrxCalendar calendar, TimeProvider time, HubSettings settings, KiwoomClient? kiwoom,
    KrxOpenApiClient? krx = null, Observability.HubMetrics? metrics = null)
{
    public HubSettings Settings => settings;

    public KiwoomClient? Kiwoom => kiwoom;

    public KrxOpenApiClient? Krx => krx;

    /// <summary>ka10099 for every market into the master.</summary>
    public Task<ImportSummary> MasterAsync(string trigger, CancellationToken ct) => MeasuredAsync("collect:master",
        () => new MasterCollector(Require(CollectDataset.Master), store, time).RunAsync("collect:master", new { dataset = "master", trigger }, ct), run => [run]);

    /// <summary>The units <paramref name="request"/> would fetch now (fewer when earlier runs completed some).</summary>
    public async Task<IReadOnlyList<BackfillUnit>> PlanAsync(CollectionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var basis = ProgressBasis(request);
        var keys = request.Dataset.FromKrx() ? [KrxDailyCollector.AllMarkets]
            : request.Codes?.Select(c => c.Value).ToList()
            ?? [.. (await CollectionPlan.ListedStocksAsync(store, request.From, request.To, ct)).Select(c => c.Value)];
        var completed = request.SkipCompleted
            ? await store.GetCompletedUnitsAsync(request.Dataset.Name(), basis, request.From, request.To, ct)
            : [];
        var units = CollectionPlan.MissingUnits(request.Dataset.Name(), basis, keys, request.From, request.To, completed, calendar);

        // A KRX day is three requests for every stock: one unit per session, so progress is kept day by day.
        return !request.Dataset.FromKrx() ? units
            : [.. units.SelectMany(u => calendar.Covers(u.From) && calendar.Covers(u.To)
                ? calendar.Sessions(u.From, u.To).ToArray().Select(d => u with { From = d, To = d })
                : [u])];
    }

    /// <summary>Fetches the planned units and promotes them in batches; see <see cref="CollectionRunner"/>.</summary>
    public async Task<CollectionOutcome> RunAsync(CollectionRequest request, IReadOnlyList<BackfillUnit> units, IProgress<CollectionProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(units);
        var parameters = new
        {
            dataset = request.Dataset.Name(),
            basis = ProgressBasis(request),
            from = request.From,
            to = request.To,
            stocks = request.Dataset.FromKrx() ? "all markets" : request.Codes is { Count: <= 20 } few ? string.Join(',', few.Select(c => c.Value)) : request.Codes is null ? "listed" : $"{request.Codes.Count} codes",
            units = units.Count,
            trigger = request.Trigger,
        };
        var final = FinalSessions.LastFinal(calendar, time.GetUtcNow());
        var runner = new CollectionRunner(store, time);
        return await MeasuredAsync(request.Job, RunUnitsAsync, outcome => outcome.Runs);

        async Task<CollectionOutcome> RunUnitsAsync() => request.Dataset switch
        {
            CollectDataset.Daily => await runner.RunAsync(Daily(request), request.Job, parameters, units, request.BatchUnits, final, progress, ct),
            CollectDataset.Investors => await runner.RunAsync(Investors(), request.Job, parameters, units, request.BatchUnits, final, progress, ct),
            CollectDataset.Minute => await runner.RunAsync(Minute(), request.Job, parameters, units, request.BatchUnits, final, progress, ct),
            CollectDataset.KrxDaily => await runner.RunAsync(KrxDaily(), request.Job, parameters, units, request.BatchUnits, final, progress, ct),
            CollectDataset.KrxIndices => await runner.RunAsync(KrxIndices(), request.Job, parameters, units, request.BatchUnits, final, progress, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Dataset, "not a per-stock dataset"),
        };
    }

    /// <summary>Runs one job, recording its duration, outcome and rows (a failed job's earlier promoted batches are in its runs, not in the metrics).</summary>
    private async Task<T> MeasuredAsync<T>(string job, Func<Task<T>> run, Func<T, IEnumerable<ImportSummary>> runsOf)
    {
        var started = time.GetTimestamp();
        try
        {
            var result = await run();
            metrics?.PipelineRuns(job, runsOf(result));
            metrics?.Job(job, succeeded: true, time.GetElapsedTime(started));
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            metrics?.Job(job, succeeded: false, time.GetElapsedTime(started));
            throw;
        }
    }

    private string ProgressBasis(CollectionRequest request) => request.Dataset switch
    {
        CollectDataset.Daily => Daily(request).ProgressBasis,
        CollectDataset.Investors => Investors().ProgressBasis,
        CollectDataset.Minute => Minute().ProgressBasis,
        CollectDataset.KrxDaily => "raw",
        _ => "-",
    };

    /// <summary>Adjusted bars are asked for as of the last final session (or the range's end when that is later).</summary>
    private DailyBarsCollector Daily(CollectionRequest request)
    {
        var asOf = FinalSessions.LastFinal(calendar, time.GetUtcNow()) is { } final && final > request.To ? final : request.To;
        return new DailyBarsCollector(Require(CollectDataset.Daily), store, calendar, time, request.Basis, asOf);
    }

    private InvestorFlowsCollector Investors() =>
        new(Require(CollectDataset.Investors), store, calendar, time, settings.Collection.InvestorVolume ? KiwoomFlowMeasure.Volume : KiwoomFlowMeasure.Value);

    private MinuteBarsCollector Minute() =>
        new(Require(CollectDataset.Minute), store, calendar, time, settings.Collection.MinuteLabelIsEnd);

    private KrxDailyCollector KrxDaily() =>
        new(krx ?? throw new CliException("`krx-daily` needs a KRX Open API key: set KRXHUB_KRX__AUTHKEY (see .env.example)", 2), store, calendar, time);

    private KrxIndexCollector KrxIndices() =>
        new(krx ?? throw new CliException("`krx-indices` needs a KRX Open API key: set KRXHUB_KRX__AUTHKEY (see .env.example)", 2), store, calendar, time);

    private KiwoomClient Require(CollectDataset dataset) =>
        kiwoom ?? (settings.Kiwoom is not null
            ? throw new InvalidOperationException("Kiwoom is configured but no client was created")
            : throw new CliException($"`{dataset.Name()}` needs Kiwoom REST keys: set KRXHUB_KIWOOM__APPKEY and KRXHUB_KIWOOM__SECRETKEY (see .env.example)", 2));
}
