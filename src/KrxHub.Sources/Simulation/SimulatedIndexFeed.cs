using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;

namespace KrxHub.Sources.Simulation;

/// <summary>
/// The simulated exchange with index levels: every trade it publishes also moves the cap-weighted indices computed from
/// its own prices (<see cref="CapWeightedIndex"/>: KOSPI over the KOSPI stocks, KOSDAQ over the KOSDAQ stocks, listed shares
/// from the master), and each index that moved is published at most once per <see cref="Interval"/> of event time, labelled
/// <see cref="LiveSources.Simulated"/> like every event of the simulator.
/// </summary>
public sealed class SimulatedIndexFeed(ILiveFeed exchange, IReadOnlyList<CapWeightedIndex> indices) : ILiveFeed
{
    /// <summary>KRX publishes KOSPI every 10 s (MDCSTAT00401 CALC_CYCLE_CONTN is 10초 for KOSPI, 1초 for KOSPI 200); the demo updates every second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, DateTimeOffset> _lastPublished = [];

    public string Source => exchange.Source;

    public IReadOnlyList<CapWeightedIndex> Indices => indices;

    public Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct) => exchange.SetCodesAsync(codes, ct);

    public Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
        return exchange.RunAsync(e =>
        {
            publish(e);
            if (e is LiveTick tick)
            {
                foreach (var level in Apply(tick))
                {
                    publish(level);
                }
            }
        }, ct);
    }

    /// <summary>Moves the indices by one trade; returns the levels due for publishing (an index's first move, then one per interval).</summary>
    public IReadOnlyList<LiveIndexLevel> Apply(LiveTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        List<LiveIndexLevel>? due = null;
        foreach (var index in indices)
        {
            if (!index.Apply(tick))
            {
                continue;
            }

            if (_lastPublished.TryGetValue(index.IndexCode, out var last) && tick.Time - last < Interval)
            {
                continue;
            }

            _lastPublished[index.IndexCode] = tick.Time;
            (due ??= []).Add(index.Snapshot(tick.Time, exchange.Source));
        }

        return due ?? (IReadOnlyList<LiveIndexLevel>)[];
    }

    /// <summary>
    /// KOSPI (1001) and KOSDAQ (2001) over the listed stocks of each market that have listed shares and a base price, each
    /// scaled to its last stored close; an index without a stored close is left out.
    /// </summary>
    public static IReadOnlyList<CapWeightedIndex> MarketIndices(IEnumerable<Stock> stocks, IReadOnlyDictionary<StockCode, decimal> basePrices,
        IReadOnlyDictionary<string, decimal> lastCloses, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(stocks);
        ArgumentNullException.ThrowIfNull(basePrices);
        ArgumentNullException.ThrowIfNull(lastCloses);
        var listed = stocks.Where(s => s.DelistingDate is null && s.ListedShares > 0 && basePrices.ContainsKey(s.Code)).ToList();
        var result = new List<CapWeightedIndex>();
        foreach (var (index, market) in new[] { (KrxIndex.Kospi, Market.Kospi), (KrxIndex.Kosdaq, Market.Kosdaq) })
        {
            var members = listed.Where(s => s.Market == market).Select(s => (s.Code, s.ListedShares!.Value, basePrices[s.Code])).ToList();
            if (members.Count > 0 && lastCloses.TryGetValue(index.Code, out var close))
            {
                result.Add(new CapWeightedIndex(index.Code, close, members, date));
            }
        }

        return result;
    }
}
