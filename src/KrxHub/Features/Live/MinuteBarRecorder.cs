using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Live;

/// <summary>
/// Builds minute bars from the live source's trades (on the node that runs it) and stores each minute when it ends:
/// a later trade of the same stock ends it, and so does the clock — every second, minutes that ended more than
/// <see cref="Grace"/> before the latest trade time are completed, and all open bars when no trade came for
/// <see cref="IdleAfter"/>. Bars are validated (prices on the tick grid of the stock's market, OHLC consistent, volume not
/// negative) before <see cref="MarketStore.UpsertMinuteBarsAsync"/>; bad ones are quarantined with their reasons under
/// the collection run of the source's tenure, never stored.
/// </summary>
public sealed class MinuteBarRecorder(MarketStore store, LiveBus bus, TimeProvider time, ILogger<MinuteBarRecorder> logger)
{
    public const string Job = "live:minute-bars";
    public const string Dataset = "minute_bars";

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(5);

    // Bars waiting for the store while it is unreachable; beyond this the oldest are dropped (and logged).
    private const int MaxWaiting = 500_000;

    private readonly Lock _gate = new();
    private readonly MinuteBarBuilder _builder = new();
    private readonly List<MinuteBar> _ready = [];
    private DateTimeOffset _latestTradeTime = DateTimeOffset.MinValue;
    private long _lastTradeTimestamp = time.GetTimestamp();

    /// <summary>Adds one trade of the live source.</summary>
    public void Add(LiveTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        lock (_gate)
        {
            if (_builder.Add(tick, time.GetUtcNow()) is { } done)
            {
                _ready.Add(done);
            }

            if (tick.Time > _latestTradeTime)
            {
                _latestTradeTime = tick.Time;
            }

            _lastTradeTimestamp = time.GetTimestamp();
        }
    }

    /// <summary>Stores completed minutes every second until cancelled, then completes and stores the open ones.</summary>
    public async Task RunAsync(string source, CancellationToken ct)
    {
        var runId = await store.StartRunAsync(Job, JsonSerializer.Serialize(new { source, node = bus.Node }), time.GetUtcNow(), CancellationToken.None);
        var totals = new Totals();
        string? error = null;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            while (await timer.WaitForNextTickAsync(ct))
            {
                await StoreAsync(runId, TakeCompleted(all: false), totals, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            error = e.Message;
            throw;
        }
        finally
        {
            // The feed stopped: its open minutes end here and are stored, so nothing built is lost.
            try
            {
                await StoreAsync(runId, TakeCompleted(all: true), totals, CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error ??= e.Message;
                logger.LogError(e, "storing the last minute bars failed");
            }

            await store.FinishRunAsync(runId, new RunOutcome(error is null ? RunStatus.Succeeded : RunStatus.Failed,
                totals.Read, totals.Accepted, totals.Quarantined, totals.Changed, time.GetUtcNow(), error), CancellationToken.None);
        }
    }

    private List<MinuteBar> TakeCompleted(bool all)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var idle = time.GetElapsedTime(_lastTradeTimestamp) >= IdleAfter;
            if (all || idle)
            {
                _ready.AddRange(_builder.CompleteAll(now));
            }
            else if (_latestTradeTime > DateTimeOffset.MinValue)
            {
                _ready.AddRange(_builder.CompleteBefore(MinuteBarBuilder.MinuteOf(_latestTradeTime - Grace), now));
            }

            if (_ready.Count > MaxWaiting)
            {
                logger.LogError("{Count} minute bars could not be stored in time; dropping the oldest {Dropped}", _ready.Count, _ready.Count - MaxWaiting);
                _ready.RemoveRange(0, _ready.Count - MaxWaiting);
            }

            var batch = _ready.ToList();
            _ready.Clear();
            return batch;
        }
    }

    private async Task StoreAsync(long runId, List<MinuteBar> bars, Totals totals, CancellationToken ct)
    {
        if (bars.Count == 0)
        {
            return;
        }

        var good = new List<MinuteBar>(bars.Count);
        var bad = new List<QuarantineEntry>();
        var now = time.GetUtcNow();
        foreach (var bar in bars)
        {
            var reasons = bus.FindStock(bar.Code) is { } stock ? MinuteBarBuilder.Check(bar, stock.Market) : [Core.Validation.ReasonCodes.UnknownCode];
            if (reasons.Count == 0)
            {
                good.Add(bar);
            }
            else
            {
                bad.Add(new QuarantineEntry(runId, Dataset, bar.Source, bar.Code.Value, KrxCalendar.KstDate(bar.Start), reasons,
                    JsonSerializer.Serialize(new { code = bar.Code.Value, start = bar.Start, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume, value = bar.TradingValue }),
                    0, now));
            }
        }

        try
        {
            var result = await store.UpsertMinuteBarsAsync(good, ct);
            if (bad.Count > 0)
            {
                await store.QuarantineAsync(bad, ct);
                logger.LogWarning("{Count} minute bars quarantined, e.g. {Code} {Start:HH:mm}: {Reasons}", bad.Count, bad[0].Code,
                    bars.First(b => b.Code.Value == bad[0].Code).Start, string.Join(",", bad[0].Reasons));
            }

            totals.Read += bars.Count;
            totals.Accepted += good.Count;
            totals.Quarantined += bad.Count;
            totals.Changed += result.Changed;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Put them back: the next round retries, so a store hiccup loses nothing.
            logger.LogError(e, "storing {Count} minute bars failed; retrying", bars.Count);
            lock (_gate)
            {
                _ready.InsertRange(0, bars);
            }
        }
    }

    private sealed class Totals
    {
        public long Read;
        public long Accepted;
        public long Quarantined;
        public long Changed;
    }
}
