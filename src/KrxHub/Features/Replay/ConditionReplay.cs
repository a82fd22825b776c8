using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Core.Live;
using KrxHub.Features.Conditions;
using KrxHub.Storage;

namespace KrxHub.Features.Replay;

/// <summary>One entry or exit the condition would have fired: when, which stock, its price then and the values that decided it.</summary>
public sealed record ReplayEventDto(DateTimeOffset Time, string Code, string Name, string Market, string Event, decimal Price, IReadOnlyDictionary<string, object?> Values);

/// <summary>What a condition would have fired over a recorded day, evaluated every <see cref="EverySeconds"/> of recorded time.</summary>
public sealed record ConditionReplayDto(
    long ConditionId,
    string Name,
    string Expression,
    DateOnly Date,
    IReadOnlyList<string> Files,
    int EverySeconds,
    string Basis,
    long Ticks,
    int Evaluations,
    int Entries,
    int Exits,
    IReadOnlyList<string> MatchingAtEnd,
    IReadOnlyList<ReplayEventDto> Events);

/// <summary>
/// "What would this condition have fired that day": the recorded trades of a day are replayed through the same live bars
/// and evaluator as the condition scheduler (<see cref="Screening.TodayUniverse"/> on a <see cref="ConditionHistory"/>, <see cref="ConditionEvaluator"/>), with
/// the stored history loaded once. The condition is evaluated at every multiple of <c>every</c> on the KST clock
/// (09:00:00, 09:00:30, …) over the trades up to and including that instant, skipping instants with no new trade; a stock
/// enters when it starts matching and exits when it stops (an unknown truth keeps its state), against an empty set at the
/// start of the day. Nothing is written: no matches, no history, no alerts.
/// </summary>
public static class ConditionReplay
{
    public static async Task<ConditionReplayDto> RunAsync(MarketStore store, KrxCalendar calendar, StoredCondition condition, IReadOnlyList<string> files,
        TimeSpan every, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(files);
        var node = ConditionParser.Parse(condition.Expression);
        var last = new Dictionary<StockCode, LiveTick>();
        var matching = new HashSet<StockCode>();
        var events = new List<ReplayEventDto>();
        ConditionHistory? history = null;
        var day = default(DateOnly);
        DateTimeOffset? pending = null;
        long ticks = 0;
        var evaluations = 0;

        void Evaluate(DateTimeOffset at)
        {
            var (universe, _) = Screening.TodayUniverse(history!, day, code => last.GetValueOrDefault(code), condition.Market);
            var evaluator = new ConditionEvaluator(universe, history!);
            var outcome = evaluator.Evaluate(node);
            evaluations++;
            for (var i = 0; i < universe.Count; i++)
            {
                var stock = universe.Stocks[i];
                if (outcome.Truth[i] is not { } truth || truth == matching.Contains(stock.Code))
                {
                    continue;
                }

                _ = truth ? matching.Add(stock.Code) : matching.Remove(stock.Code);
                events.Add(new ReplayEventDto(at, stock.Code.Value, stock.Name, stock.Market.Name(), truth ? "entry" : "exit",
                    last[stock.Code].Price, Screening.ValuesOf(evaluator, outcome, i)));
            }
        }

        foreach (var entry in files.SelectMany(f => RecordingFormat.Read(f, books: false)))
        {
            if (entry.Event is not LiveTick tick)
            {
                continue;
            }

            ct.ThrowIfCancellationRequested();
            if (history is null)
            {
                // The day is the file's (its name), else the first trade's (KST); its stored history is loaded once, on the
                // basis the scheduler would use. Trades of another day (a late one across midnight) are left out.
                var date = RecordingFiles.DateOf(files[0]) ?? KrxCalendar.KstDate(tick.Time);
                var basis = (await Screening.BroadestBasisAsync(store, date, ct)).Basis;
                history = await Screening.LoadHistoryAsync(store, calendar, Screening.WindowFor(node), Screening.Investors(node), date, basis, ct);
                day = date;
            }

            if (KrxCalendar.KstDate(tick.Time) != day)
            {
                continue;
            }

            var instant = InstantOf(tick.Time, every);
            if (pending is { } due && instant > due)
            {
                Evaluate(due);
            }

            pending = instant;
            last[tick.Code] = tick;
            ticks++;
        }

        if (history is null)
        {
            throw new ScreenException($"the recording ({string.Join(", ", files.Select(Path.GetFileName))}) holds no trade");
        }

        if (pending is { } final)
        {
            Evaluate(final);
        }

        return new ConditionReplayDto(condition.Id, condition.Name, condition.Expression, day, [.. files.Select(f => Path.GetFileName(f)!)],
            (int)every.TotalSeconds, history.Basis.Name(), ticks, evaluations, events.Count(e => e.Event == "entry"), events.Count(e => e.Event == "exit"),
            [.. matching.Select(c => c.Value).Order(StringComparer.Ordinal)], events);
    }

    /// <summary>The evaluation instant a trade belongs to: the first multiple of <paramref name="every"/> since KST midnight at or after it.</summary>
    public static DateTimeOffset InstantOf(DateTimeOffset time, TimeSpan every)
    {
        var kst = time.ToOffset(KrxCalendar.KstOffset);
        var midnight = new DateTimeOffset(kst.Date, KrxCalendar.KstOffset);
        var steps = ((kst - midnight).Ticks + every.Ticks - 1) / every.Ticks;
        return midnight + TimeSpan.FromTicks(steps * every.Ticks);
    }
}
