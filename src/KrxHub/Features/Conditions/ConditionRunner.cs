using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Features.Live;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>What one evaluation of one condition did.</summary>
public sealed record ConditionRunDto(long ConditionId, string Name, DateOnly Session, string? Live, int Matched, int Entries, int Exits, int NotEnoughHistory, string? Error);

/// <summary>
/// Evaluates saved conditions together over one universe (one load, sub-expressions shared), compares each matching set
/// with the stored one and writes the entries, exits and their alerts in one transaction per condition.
/// </summary>
public sealed class ConditionRunner(MarketStore store, KrxCalendar calendar, TimeProvider time, LiveBus bus, AlertSettings alerts, ConditionHistoryCache histories,
    AlertSender sender, ILogger<ConditionRunner> logger, Observability.HubMetrics? metrics = null)
{
    /// <summary>
    /// Runs <paramref name="conditions"/> on today's live bars when a live source is up and <paramref name="date"/> is null,
    /// else on the stored session <paramref name="date"/> (default: the newest broad session).
    /// </summary>
    /// <param name="traded">On-tick: only these stocks, on live bars (nothing when no live source is up); the other stocks
    /// keep their state.</param>
    public async Task<IReadOnlyList<ConditionRunDto>> RunAsync(IReadOnlyList<StoredCondition> conditions, DateOnly? date, CancellationToken ct,
        IReadOnlySet<StockCode>? traded = null)
    {
        var started = time.GetTimestamp();
        var succeeded = false;
        try
        {
            var results = await EvaluateAsync(conditions, date, traded, ct);
            succeeded = results.All(r => r.Error is null);
            return results;
        }
        finally
        {
            metrics?.Job("conditions", succeeded, time.GetElapsedTime(started));
        }
    }

    private async Task<IReadOnlyList<ConditionRunDto>> EvaluateAsync(IReadOnlyList<StoredCondition> conditions, DateOnly? date, IReadOnlySet<StockCode>? traded,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var parsed = new List<(StoredCondition Condition, ConditionNode Node)>();
        var results = new List<ConditionRunDto>();
        foreach (var c in conditions)
        {
            try
            {
                parsed.Add((c, ConditionParser.Parse(c.Expression)));
            }
            catch (ConditionException e)
            {
                results.Add(new ConditionRunDto(c.Id, c.Name, default, null, 0, 0, 0, 0, e.Message));
            }
        }

        if (parsed.Count == 0)
        {
            return results;
        }

        // One load for all: the combined condition asks for the deepest window and every investor type any of them uses.
        var combined = ConditionParser.Parse(string.Join(" and ", parsed.Select(p => $"({p.Condition.Expression})")));
        var today = KrxCalendar.KstDate(time.GetUtcNow());
        var (evaluator, live) = await EvaluatorAsync(combined, date, today, traded, ct);
        if (evaluator is null)
        {
            return results;
        }

        foreach (var (condition, node) in parsed)
        {
            results.Add(await ApplyAsync(condition, node, evaluator, live, ct));
        }

        if (results.Any(r => r.Entries + r.Exits > 0))
        {
            sender.Wake();
        }

        return results;
    }

    /// <summary>Live: today's bars on the day's shared history (no bars read from the store); else one stored session.</summary>
    private async Task<(ConditionEvaluator? Evaluator, string? Live)> EvaluatorAsync(ConditionNode combined, DateOnly? date, DateOnly today,
        IReadOnlySet<StockCode>? traded, CancellationToken ct)
    {
        var (basis, newest) = await BasisAsync(date, today, ct);
        if (date is null && bus.SourceStatus is { Up: true, Source: { } source })
        {
            var live = new LiveBars(today, source, traded is null ? bus.LastTick : c => traded.Contains(c) ? bus.LastTick(c) : null, histories);
            var history = await histories.GetAsync(combined, today, basis, ct);
            var universe = Screening.TodayUniverse(history, live.Today, live.LastTick, null).Universe;
            if (universe.Count > 0 || traded is not null)
            {
                return (universe.Count > 0 ? new ConditionEvaluator(universe, history) : null, source);
            }
        }

        if (traded is not null)
        {
            return (null, null);
        }

        var day = date ?? newest ?? throw new ScreenException("no stored session with bars for half the listed stocks");
        return (new ConditionEvaluator((await Screening.LoadAsync(store, calendar, combined, null, day, basis, ct)).Universe), null);
    }

    private sealed record LiveBasis(DateOnly Today, long At, PriceBasis Basis, DateOnly? Newest);

    private LiveBasis? _liveBasis;
    private int _refreshingBasis;

    /// <summary>
    /// The basis to evaluate on. Finding the newest broad session groups the bar table (a few hundred ms on the bundled
    /// store), and on-tick passes run several times a second: a live pass uses the day's answer and, once it is a minute
    /// old, has it looked up again in the background instead of waiting for it.
    /// </summary>
    private async Task<(PriceBasis Basis, DateOnly? Newest)> BasisAsync(DateOnly? date, DateOnly today, CancellationToken ct)
    {
        if (date is null && _liveBasis is { } cached && cached.Today == today)
        {
            if (time.GetElapsedTime(cached.At) >= TimeSpan.FromMinutes(1) && Interlocked.Exchange(ref _refreshingBasis, 1) == 0)
            {
                _ = Task.Run(async () =>
                {
                    try
                    {
                        var (basis, newest) = await Screening.BroadestBasisAsync(store, today, CancellationToken.None);
                        _liveBasis = new LiveBasis(today, time.GetTimestamp(), basis, newest);
                    }
                    catch (Exception e)
                    {
                        logger.LogWarning("conditions: looking up the basis failed: {Error}", e.Message);
                    }
                    finally
                    {
                        Volatile.Write(ref _refreshingBasis, 0);
                    }
                }, CancellationToken.None);
            }

            return (cached.Basis, cached.Newest);
        }

        var found = await Screening.BroadestBasisAsync(store, date ?? today, ct);
        if (date is null)
        {
            _liveBasis = new LiveBasis(today, time.GetTimestamp(), found.Basis, found.Newest);
        }

        return found;
    }

    /// <summary>How stale a condition's stored last run may get while its passes find nothing to write (see <see cref="ApplyAsync"/>).</summary>
    private static readonly TimeSpan RunStampInterval = TimeSpan.FromSeconds(1);

    private async Task<ConditionRunDto> ApplyAsync(StoredCondition condition, ConditionNode node, ConditionEvaluator evaluator, string? live, CancellationToken ct)
    {
        var universe = evaluator.Universe;
        var outcome = evaluator.Evaluate(node);
        var previous = await store.GetConditionMatchesAsync(condition.Id, ct);
        var events = new List<(StockCode, string, string, string, string)>();
        var matched = 0;
        for (var i = 0; i < universe.Count; i++)
        {
            var stock = universe.Stocks[i];
            // A stock of another market is out of this condition; an unknown truth keeps the stock's previous state.
            var truth = condition.Market is { } m && stock.Market != m ? false : outcome.Truth[i];
            if (truth is null)
            {
                continue;
            }

            matched += truth.Value ? 1 : 0;
            var was = previous.Contains(stock.Code);
            if (truth.Value == was)
            {
                continue;
            }

            var kind = truth.Value ? "entry" : "exit";
            var values = Screening.ValuesOf(evaluator, outcome, i);
            var bars = universe.Bars[i];
            var close = bars.CloseAt(bars.Count - 1);
            decimal? changePct = evaluator.PreviousClose(i) is { } before && before != 0m ? (close - before) / before * 100m : null;
            events.Add(Event(condition, stock, kind, universe.Date, live, close, changePct, values));
        }

        var channels = condition.Channels.Count == 0 ? ["log"] : condition.Channels;
        var now = time.GetUtcNow();
        if (events.Count == 0 && condition.LastSession == universe.Date && condition.LastRunAt is { } lastRun && now - lastRun < RunStampInterval)
        {
            // Nothing to write but the run's time, which on-tick passes (many a second) would otherwise write every time.
            return new ConditionRunDto(condition.Id, condition.Name, universe.Date, live, matched, 0, 0, outcome.NotEnoughHistory, null);
        }

        var written = await store.ApplyConditionOutcomeAsync(new ConditionOutcome(condition.Id, universe.Date, live, events), channels, alerts.DedupeWindow, now, ct);
        if (written.Count > 0)
        {
            logger.LogInformation("Condition {Name}: {Entries} entries, {Exits} exits on {Session}", condition.Name,
                written.Count(e => e.Event == "entry"), written.Count(e => e.Event == "exit"), universe.Date);
        }

        return new ConditionRunDto(condition.Id, condition.Name, universe.Date, live, matched, written.Count(e => e.Event == "entry"),
            written.Count(e => e.Event == "exit"), outcome.NotEnoughHistory, null);
    }

    /// <summary>One entry or exit as the store's outcome takes it: the deciding values, the alert text and the alert payload (JSON).</summary>
    public static (StockCode Code, string Event, string Values, string Message, string Payload) Event(StoredCondition condition, Stock stock, string kind,
        DateOnly session, string? live, decimal price, decimal? changePct, IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(stock);
        var message = Message(condition, stock, kind, price, changePct, values);
        var payload = JsonSerializer.Serialize(new
        {
            condition = new { id = condition.Id, name = condition.Name, expression = condition.Expression, origin = condition.Origin },
            @event = kind,
            code = stock.Code.Value,
            name = stock.Name,
            market = stock.Market.Name(),
            session,
            live,
            price,
            changePct = changePct is { } p ? Math.Round(p, 2) : (decimal?)null,
            values,
            message,
        });
        return (stock.Code, kind, JsonSerializer.Serialize(values), message, payload);
    }

    /// <summary>The alert text, Korean by default: condition, stock, market, price, change and the deciding values.</summary>
    public static string Message(StoredCondition condition, Stock stock, string kind, decimal price, decimal? changePct, IReadOnlyDictionary<string, object?> values)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(stock);
        ArgumentNullException.ThrowIfNull(values);
        var head = kind == "entry" ? "[조건 편입]" : "[조건 이탈]";
        var change = changePct is { } c ? string.Create(CultureInfo.InvariantCulture, $" ({c:+0.00;-0.00;0.00}%)") : string.Empty;
        var deciding = string.Join(", ", values.Select(v => $"{v.Key}={Format(v.Value)}"));
        return string.Create(CultureInfo.InvariantCulture, $"{head} {condition.Name}\n{stock.Name}({stock.Code}) {stock.Market.Name()} {price:N0}원{change}\n{deciding}");
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        decimal d => Math.Round(d, 2).ToString("#,0.##", CultureInfo.InvariantCulture),
        bool b => b ? "참" : "거짓",
        _ => value.ToString() ?? "-",
    };
}
