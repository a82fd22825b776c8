using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Rankings;

public sealed record RankingRowDto(int Rank, string Code, string Name, string Market, decimal Price, decimal? ChangePct, long Volume, decimal? Value)
{
    public static RankingRowDto From(RankingRow r) => new(r.Rank, r.Code.Value, r.Name, r.Market.Name(), r.Price, r.ChangePct, r.Volume, r.Value);
}

/// <summary>
/// A ranking: <see cref="Live"/> rows come from the live board (as of <see cref="AsOf"/>, the latest tick), the others from
/// stored raw daily bars of <see cref="Date"/>. <see cref="Stale"/> is true when live data was asked for but the live source
/// is down or has sent nothing today, so stored or last-known values are shown instead.
/// </summary>
public sealed record RankingsDto(
    string Market,
    string Metric,
    int N,
    DateOnly Date,
    bool Live,
    bool Stale,
    string? Source,
    DateTimeOffset? AsOf,
    IReadOnlyList<RankingRowDto> Rows);

public static class RankingsApi
{
    /// <summary>How far back a request without a date looks for stored bars when there is no live ranking.</summary>
    private const int FallbackSessions = 10;

    public static IEndpointRouteBuilder MapRankings(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/rankings", GetAsync).WithCsv<RankingsDto>(x => x.Rows).WithTags("Rankings")
            .WithSummary("Top N by volume, trading value or change %, per market or ALL: live during a session, from stored raw daily bars for a past date");
        return app;
    }

    private static async Task<Results<Ok<RankingsDto>, ValidationProblem, ProblemHttpResult>> GetAsync(
        MarketStore store, KrxCalendar calendar, LiveBus bus, TimeProvider time,
        string? market, string? metric, string? n, string? date, CancellationToken ct)
    {
        var today = KrxCalendar.KstDate(time.GetUtcNow());
        if (!ApiErrors.TryMarket(market, "market", out var m, out var problem) ||
            !ApiErrors.TryRange(n, "n", LiveRequest.DefaultRankingRows, 1, LiveRequest.MaxRankingRows, out var take, out problem) ||
            !ApiErrors.TryDate(date, "date", today, out var d, out problem))
        {
            return problem!;
        }

        var k = RankingMetric.Volume;
        if (!string.IsNullOrWhiteSpace(metric) && !RankingMetrics.TryParse(metric, out k))
        {
            return ApiErrors.BadParameter("metric", $"unknown metric '{metric}'; use volume, value or change");
        }

        if (d > today)
        {
            return ApiErrors.BadParameter("date", $"{d:yyyy-MM-dd} is in the future (today is {today:yyyy-MM-dd} in Seoul)");
        }

        var marketName = m?.Name() ?? "ALL";
        if (d == today)
        {
            var (rows, asOf) = bus.ReadBoard(b => (b.Top(m, k, take), b.LatestTime));
            if (asOf is { } at && KrxCalendar.KstDate(at) == today)
            {
                var status = bus.SourceStatus;
                return TypedResults.Ok(new RankingsDto(marketName, k.Name(), take, today, true, !status.Up, status.Source, at,
                    rows.Select(RankingRowDto.From).ToList()));
            }

            if (!string.IsNullOrWhiteSpace(date) && calendar.Covers(d) && !calendar.IsSession(d))
            {
                return NotASession(calendar, d);
            }

            // No live ranking today: the latest stored session instead, marked stale.
            foreach (var session in RecentSessions(calendar, today))
            {
                if (await StoredAsync(store, calendar, session, m, k, take, ct) is { } stored)
                {
                    return TypedResults.Ok(stored with { Stale = true });
                }
            }

            // Older data only (e.g. the bundled raw window): the newest session with a stored raw close of any stock.
            if (await store.GetLatestDateWithBarsAsync(PriceBasis.Raw, today, ct) is { } latest &&
                await StoredAsync(store, calendar, latest, m, k, take, ct) is { } older)
            {
                return TypedResults.Ok(older with { Stale = true });
            }

            return ApiErrors.NotFound("No ranking",
                "the live source has sent nothing today and no raw daily bars are stored; ask for a past date with ?date=yyyy-MM-dd");
        }

        if (calendar.Covers(d) && !calendar.IsSession(d))
        {
            return NotASession(calendar, d);
        }

        return await StoredAsync(store, calendar, d, m, k, take, ct) is { } result
            ? TypedResults.Ok(result)
            : ApiErrors.NotFound("No stored bars", $"no raw daily bars are stored for {d:yyyy-MM-dd}");
    }

    private static ProblemHttpResult NotASession(KrxCalendar calendar, DateOnly d) =>
        ApiErrors.NotFound("Not a session",
            calendar.Day(d).DescribeClosed() + (calendar.PreviousSession(d) is { } p ? $"; the previous session is {p:yyyy-MM-dd}" : string.Empty));

    private static IEnumerable<DateOnly> RecentSessions(KrxCalendar calendar, DateOnly today)
    {
        var day = today.AddDays(1);
        for (var i = 0; i < FallbackSessions && calendar.PreviousSession(day) is { } previous; i++)
        {
            yield return previous;
            day = previous;
        }
    }

    /// <summary>
    /// The ranking of one past session from stored raw bars (no-trade rows left out), markets and names from the master,
    /// change % against the previous session's raw close rounded to two decimals; null when no raw bar is stored that day.
    /// </summary>
    internal static async Task<RankingsDto?> StoredAsync(MarketStore store, KrxCalendar calendar, DateOnly date, Market? market,
        RankingMetric metric, int n, CancellationToken ct)
    {
        var bars = await store.GetBarsOnDateAsync(date, market, PriceBasis.Raw, ct);
        if (bars.Count == 0)
        {
            return null;
        }

        var previous = calendar.PreviousSession(date) is { } p
            ? (await store.GetBarsOnDateAsync(p, market, PriceBasis.Raw, ct)).ToDictionary(b => b.Code, b => b.Close)
            : [];
        var master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        var asOf = (calendar.Hours(date)?.Close ?? new DateTimeOffset(date.ToDateTime(new TimeOnly(15, 30)), KrxCalendar.KstOffset))
            .ToOffset(KrxCalendar.KstOffset);
        var quotes = new List<RankingQuote>(bars.Count);
        foreach (var bar in bars)
        {
            if (bar.NoTrade || !master.TryGetValue(bar.Code, out var stock))
            {
                continue;
            }

            var change = previous.TryGetValue(bar.Code, out var prevClose) ? StoredQuotes.Percent(bar.Close, prevClose) : null;
            quotes.Add(new RankingQuote(bar.Code, stock.Name, stock.Market, bar.Close, change, bar.Volume, bar.TradingValue, asOf));
        }

        var rows = RankingBoard.Rank(quotes, market, metric, n);
        var sources = bars.Select(b => b.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new RankingsDto(market?.Name() ?? "ALL", metric.Name(), n, date, false, false, string.Join("; ", sources), asOf,
            rows.Select(RankingRowDto.From).ToList());
    }
}
