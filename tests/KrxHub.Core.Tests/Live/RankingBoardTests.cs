using System.Globalization;
using System.IO.Compression;
using KrxHub.Core.Live;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Live;

public class RankingBoardTests
{
    /// <summary>Every real raw bar of the bundled window (2024-01-02..02-13) as a quote: market from the file, change % as KRX reports it.</summary>
    private static readonly Lazy<List<RankingQuote>> RealQuotes = new(() =>
    {
        var quotes = new List<RankingQuote>();
        using var gz = new GZipStream(File.OpenRead(TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz")), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var header = reader.ReadLine()!.Split(',').Select(h => h.Trim('"')).ToList();
        int I(string name) => header.IndexOf(name);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',').Select(x => x.Trim('"')).ToArray();
            if (!Markets.TryParse(f[I("Market")], out var market))
            {
                continue;
            }

            var date = DateOnly.Parse(f[I("Date")], CultureInfo.InvariantCulture);
            decimal D(string name) => decimal.Parse(f[I(name)], CultureInfo.InvariantCulture);
            quotes.Add(new RankingQuote(StockCode.Parse(f[I("Code")]), f[I("Name")], market, D("Close"), D("ChagesRatio"),
                (long)D("Volume"), D("Amount"), new DateTimeOffset(date.ToDateTime(new TimeOnly(15, 30)), KrxCalendar.KstOffset)));
        }

        return quotes;
    });

    private static readonly Market?[] Scopes = [null, Market.Kospi, Market.Kosdaq, Market.Konex];

    private static string Show(IEnumerable<RankingRow> rows) => string.Join("\n", rows.Select(r =>
        FormattableString.Invariant($"{r.Rank} {r.Code} {r.Market} {r.Price} {r.ChangePct} {r.Volume} {r.Value}")));

    [Fact]
    public void Incremental_rankings_equal_a_brute_force_sort_after_every_batch_of_real_updates()
    {
        // The real bars of 29 sessions, shuffled: each quote replaces the stock's previous one, as live ticks do.
        var quotes = RealQuotes.Value.ToList();
        Assert.True(quotes.Count > 80_000);
        new Random(20240102).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(quotes));
        var board = new RankingBoard();
        var latest = new Dictionary<StockCode, RankingQuote>();
        var checks = 0;
        for (var i = 0; i < quotes.Count; i++)
        {
            board.Update(quotes[i]);
            latest[quotes[i].Code] = quotes[i];
            if (i % 7_919 != 0 && i != quotes.Count - 1)
            {
                continue;
            }

            foreach (var market in Scopes)
            {
                foreach (var metric in Enum.GetValues<RankingMetric>())
                {
                    foreach (var n in new[] { 1, 20, 100 })
                    {
                        Assert.Equal(Show(RankingBoard.Rank(latest.Values, market, metric, n)), Show(board.Top(market, metric, n)));
                        checks++;
                    }
                }
            }
        }

        Assert.Equal(latest.Count, board.Count);
        Assert.True(checks >= 11 * 36, $"only {checks} comparisons");
    }

    [Fact]
    public void Every_list_equals_the_brute_force_sort_after_every_single_update_even_when_members_fall_out()
    {
        // 400 real stocks of 2024-01-02 (KOSPI, KOSDAQ, KONEX), then 3,000 updates: change % walks up and down by
        // a tick's worth, volume and value mostly grow but sometimes drop (a correction), a stock sometimes changes market.
        var random = new Random(7);
        var start = RealQuotes.Value.Where(q => q.Time.Date == new DateTime(2024, 1, 2)).OrderBy(_ => random.Next()).Take(400).ToList();
        var board = new RankingBoard();
        var latest = new Dictionary<StockCode, RankingQuote>();
        foreach (var q in start)
        {
            board.Update(q);
            latest[q.Code] = q;
        }

        for (var i = 0; i < 3_000; i++)
        {
            var old = start[random.Next(start.Count)];
            var current = latest[old.Code];
            var volume = Math.Max(0, current.Volume + (random.Next(10) == 0 ? -random.Next(1_000_000) : random.Next(100_000)));
            var next = current with
            {
                ChangePct = random.Next(20) == 0 ? null : (current.ChangePct ?? 0m) + random.Next(-3, 4) * 0.05m,
                Volume = volume,
                Value = random.Next(20) == 0 ? null : volume * current.Price,
                Market = random.Next(500) == 0 ? (Market)random.Next(3) : current.Market,
                Time = current.Time.AddSeconds(1),
            };
            board.Update(next);
            latest[next.Code] = next;
            foreach (var market in Scopes)
            {
                foreach (var metric in Enum.GetValues<RankingMetric>())
                {
                    var n = i % 2 == 0 ? 100 : RankingBoard.Depth;
                    Assert.Equal(Show(RankingBoard.Rank(latest.Values, market, metric, n)), Show(board.Top(market, metric, n)));
                }
            }
        }
    }

    [Fact]
    public void Ties_are_broken_by_code_ascending_and_stocks_without_the_metric_are_left_out()
    {
        var at = new DateTimeOffset(2024, 1, 2, 10, 0, 0, KrxCalendar.KstOffset);
        var board = new RankingBoard();
        board.Update(new RankingQuote(StockCode.Parse("000660"), "SK하이닉스", Market.Kospi, 142_400m, 0.64m, 100, 1_000m, at));
        board.Update(new RankingQuote(StockCode.Parse("005930"), "삼성전자", Market.Kospi, 79_600m, 0.64m, 100, null, at));
        board.Update(new RankingQuote(StockCode.Parse("000020"), "동화약품", Market.Kospi, 10_000m, null, 100, 5_000m, at));

        Assert.Equal(["000020", "000660", "005930"], board.Top(null, RankingMetric.Volume, 10).Select(r => r.Code.Value));
        Assert.Equal(["000660", "005930"], board.Top(null, RankingMetric.Change, 10).Select(r => r.Code.Value));
        Assert.Equal(["000020", "000660"], board.Top(Market.Kospi, RankingMetric.Value, 10).Select(r => r.Code.Value));
        Assert.Empty(board.Top(Market.Kosdaq, RankingMetric.Volume, 10));
    }

    [Fact]
    public void A_stock_that_moves_down_the_ranking_leaves_its_old_place()
    {
        var at = new DateTimeOffset(2024, 1, 2, 10, 0, 0, KrxCalendar.KstOffset);
        var board = new RankingBoard();
        var a = StockCode.Parse("005930");
        var b = StockCode.Parse("000660");
        board.Update(new RankingQuote(a, "a", Market.Kospi, 1m, 5m, 10, 10m, at));
        board.Update(new RankingQuote(b, "b", Market.Kospi, 1m, 1m, 20, 20m, at));
        Assert.Equal("005930", board.Top(null, RankingMetric.Change, 1)[0].Code.Value);

        board.Update(new RankingQuote(a, "a", Market.Kospi, 1m, -3m, 30, 30m, at.AddSeconds(1)));
        Assert.Equal(["000660", "005930"], board.Top(null, RankingMetric.Change, 5).Select(r => r.Code.Value));
        Assert.Equal(["005930", "000660"], board.Top(null, RankingMetric.Volume, 5).Select(r => r.Code.Value));
        Assert.Equal(2, board.Count);
        Assert.Equal(at.AddSeconds(1), board.LatestTime);
    }
}
