using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;
using KrxHub.Sources.Simulation;
using KrxHub.Sources.Tests.Kiwoom;

namespace KrxHub.Sources.Tests.Simulation;

/// <summary>The simulator's KOSPI and KOSDAQ: cap-weighted over its own prices and the master's listed shares.</summary>
public class SimulatedIndexTests
{
    // KOSPI and KOSDAQ closes of 2024-02-13 (FinanceDataReader cache): the bases the simulated levels are scaled to.
    private static readonly Dictionary<string, decimal> Closes = new() { ["1001"] = 2649.64m, ["2001"] = 845.15m };

    [Fact]
    public void The_levels_equal_a_brute_force_recomputation_from_the_last_trade_prices()
    {
        var start = RealMarket.Kst(2024, 2, 14, 9, 0);
        var exchange = new SimulatedExchange(RealMarket.Master, RealMarket.LastCloses, RealMarket.Clock, new ManualTimeProvider(start), new SimulatorOptions { Seed = 11, TradesPerSecond = 200 });
        var feed = new SimulatedIndexFeed(exchange, SimulatedIndexFeed.MarketIndices(RealMarket.Master, RealMarket.LastCloses, Closes, new DateOnly(2024, 2, 14)));
        var events = new List<LiveEvent>();
        exchange.GenerateUntil(start.AddMinutes(5), events);

        var published = new List<LiveIndexLevel>();
        var last = new Dictionary<StockCode, decimal>();
        foreach (var tick in events.OfType<LiveTick>())
        {
            published.AddRange(feed.Apply(tick));
            last[tick.Code] = tick.Price;
        }

        foreach (var (code, market) in new[] { ("1001", Market.Kospi), ("2001", Market.Kosdaq) })
        {
            decimal now = 0, then = 0;
            foreach (var stock in RealMarket.Master.Where(s => s.Market == market && s.DelistingDate is null && s.ListedShares > 0 && RealMarket.LastCloses.ContainsKey(s.Code)))
            {
                now += stock.ListedShares!.Value * last.GetValueOrDefault(stock.Code, RealMarket.LastCloses[stock.Code]);
                then += stock.ListedShares!.Value * RealMarket.LastCloses[stock.Code];
            }

            var index = feed.Indices.Single(i => i.IndexCode == code);
            var expected = Math.Round(Closes[code] * now / then, 2, MidpointRounding.AwayFromZero);
            Assert.Equal(expected, index.Level);
            var final = published.Last(p => p.IndexCode == code);
            Assert.Equal(LiveSources.Simulated, final.Source);
            Assert.Equal(final.Level - Closes[code], final.Change);
            // KOSPI and KOSDAQ move by well under 1 % in five simulated minutes, but they do move.
            Assert.InRange(Math.Abs(index.Level / Closes[code] - 1), 0.000001m, 0.01m);
        }
    }

    [Fact]
    public void Each_index_is_published_at_most_once_a_second_of_exchange_time()
    {
        var start = RealMarket.Kst(2024, 2, 14, 9, 0);
        var exchange = new SimulatedExchange(RealMarket.Master, RealMarket.LastCloses, RealMarket.Clock, new ManualTimeProvider(start), new SimulatorOptions { Seed = 3, TradesPerSecond = 100 });
        var feed = new SimulatedIndexFeed(exchange, SimulatedIndexFeed.MarketIndices(RealMarket.Master, RealMarket.LastCloses, Closes, new DateOnly(2024, 2, 14)));
        var events = new List<LiveEvent>();
        exchange.GenerateUntil(start.AddSeconds(30), events);

        var published = events.OfType<LiveTick>().SelectMany(feed.Apply).ToList();

        foreach (var group in published.GroupBy(p => p.IndexCode))
        {
            var times = group.Select(p => p.Time).ToList();
            Assert.InRange(times.Count, 25, 31);
            Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= SimulatedIndexFeed.Interval));
        }
    }

    [Fact]
    public void On_a_new_date_the_last_level_becomes_the_previous_close()
    {
        var samsung = StockCode.Parse("005930");
        var index = new CapWeightedIndex("1001", 2649.64m, [(samsung, 5_846_278_608, 75_200m)], new DateOnly(2024, 2, 14));
        LiveTick Tick(DateTimeOffset at, decimal price) => new(samsung, at, LiveSources.Simulated, price, 0, 0, 1, 1, price, price, price, price);

        index.Apply(Tick(RealMarket.Kst(2024, 2, 14, 15, 29), 76_000m));
        var close = index.Level;
        index.Apply(Tick(RealMarket.Kst(2024, 2, 15, 9, 0), 76_100m));
        var next = index.Snapshot(RealMarket.Kst(2024, 2, 15, 9, 0), LiveSources.Simulated);

        Assert.Equal(Math.Round(2649.64m * 76_000m / 75_200m, 2, MidpointRounding.AwayFromZero), close);
        Assert.Equal(close, index.PreviousClose);
        Assert.Equal(next.Level - close, next.Change);
        Assert.Equal(next.Level, next.Open);
    }
}
