using System.Net;
using System.Net.Http.Json;

namespace KrxHub.Client;

// Market data: the stock master, bars, minutes, investor flows, indices, rankings, quotes, the session and the calendar.
public sealed partial class KrxHubClient
{
    /// <summary>GET /api/stocks: search by code or Korean/English name; <paramref name="asOf"/> gives the universe listed that day.</summary>
    public Task<IReadOnlyList<Stock>> SearchStocksAsync(string? query = null, string? market = null, DateOnly? asOf = null, int? limit = null,
        int? offset = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Stock>>("/api/stocks", ct, ("q", query), ("market", market), ("asOf", asOf), ("limit", limit), ("offset", offset));

    /// <summary>GET /api/stocks/{code}.</summary>
    public Task<Stock> GetStockAsync(string code, CancellationToken ct = default) =>
        GetAsync<Stock>($"/api/stocks/{Segment(code)}", ct);

    /// <summary>GET /api/stocks/{code}/bars: daily bars ascending, on one basis (<c>adjusted</c> by default, or <c>raw</c>).</summary>
    public Task<IReadOnlyList<DailyBar>> GetBarsAsync(string code, DateOnly? from = null, DateOnly? to = null, string? basis = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<DailyBar>>($"/api/stocks/{Segment(code)}/bars", ct, ("from", from), ("to", to), ("basis", basis));

    /// <summary>GET /api/stocks/{code}/adjustments: the corporate actions found in the raw bars.</summary>
    public Task<Adjustments> GetAdjustmentsAsync(string code, CancellationToken ct = default) =>
        GetAsync<Adjustments>($"/api/stocks/{Segment(code)}/adjustments", ct);

    /// <summary>GET /api/bars/{date}: every stock on one session, optionally of one market and basis.</summary>
    public Task<IReadOnlyList<SessionBar>> GetSessionBarsAsync(DateOnly date, string? market = null, string? basis = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<SessionBar>>($"/api/bars/{date:yyyy-MM-dd}", ct, ("market", market), ("basis", basis));

    /// <summary>GET /api/stocks/{code}/minutes: one day (<paramref name="date"/>) or a range of at most 31 days.</summary>
    public Task<IReadOnlyList<MinuteBar>> GetMinuteBarsAsync(string code, DateOnly? date = null, DateOnly? from = null, DateOnly? to = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<MinuteBar>>($"/api/stocks/{Segment(code)}/minutes", ct, ("date", date), ("from", from), ("to", to));

    /// <summary>GET /api/stocks/{code}/investors: flows by investor type.</summary>
    public Task<IReadOnlyList<InvestorFlow>> GetInvestorFlowsAsync(string code, DateOnly? from = null, DateOnly? to = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<InvestorFlow>>($"/api/stocks/{Segment(code)}/investors", ct, ("from", from), ("to", to));

    /// <summary>GET /api/investors: market-wide flows by investor type.</summary>
    public Task<IReadOnlyList<MarketInvestorFlow>> GetMarketInvestorFlowsAsync(string? market = null, DateOnly? from = null, DateOnly? to = null,
        CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<MarketInvestorFlow>>("/api/investors", ct, ("market", market), ("from", from), ("to", to));

    /// <summary>GET /api/indices: every stored index with its last close and live level.</summary>
    public Task<IReadOnlyList<IndexInfo>> GetIndicesAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<IndexInfo>>("/api/indices", ct);

    /// <summary>GET /api/indices/{code}/bars; <paramref name="index"/> is a KRX code (1001) or KOSPI, KOSDAQ, KOSPI200.</summary>
    public Task<IReadOnlyList<IndexBar>> GetIndexBarsAsync(string index, DateOnly? from = null, DateOnly? to = null, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<IndexBar>>($"/api/indices/{Segment(index)}/bars", ct, ("from", from), ("to", to));

    /// <summary>GET /api/indices/{code}/constituents: the newest stored list dated on or before <paramref name="date"/>.</summary>
    public Task<IndexConstituents> GetIndexConstituentsAsync(string index, DateOnly? date = null, CancellationToken ct = default) =>
        GetAsync<IndexConstituents>($"/api/indices/{Segment(index)}/constituents", ct, ("date", date));

    /// <summary>GET /api/rankings: top <paramref name="n"/> by <c>volume</c>, <c>value</c> or <c>change</c>; live, or stored for <paramref name="date"/>.</summary>
    public Task<Ranking> GetRankingAsync(string? market = null, string? metric = null, int? n = null, DateOnly? date = null, CancellationToken ct = default) =>
        GetAsync<Ranking>("/api/rankings", ct, ("market", market), ("metric", metric), ("n", n), ("date", date));

    /// <summary>GET /api/quotes/{code}: the latest price, live or the last stored one (<c>stale</c>).</summary>
    public Task<Quote> GetQuoteAsync(string code, CancellationToken ct = default) =>
        GetAsync<Quote>($"/api/quotes/{Segment(code)}", ct);

    /// <summary>GET /api/quotes?codes=…: stocks without any price are left out.</summary>
    public Task<IReadOnlyList<Quote>> GetQuotesAsync(IEnumerable<string> codes, CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Quote>>("/api/quotes", ct, ("codes", codes.ToList()));

    /// <summary>GET /api/session: the market phase now (or at <paramref name="at"/>) and the next change.</summary>
    public Task<MarketSession> GetSessionAsync(DateTimeOffset? at = null, CancellationToken ct = default) =>
        GetAsync<MarketSession>("/api/session", ct, ("at", at));

    /// <summary>GET /api/calendar: every date of a range (at most a year) with its hours or closure reason.</summary>
    public Task<CalendarRange> GetCalendarAsync(DateOnly? from = null, DateOnly? to = null, CancellationToken ct = default) =>
        GetAsync<CalendarRange>("/api/calendar", ct, ("from", from), ("to", to));

    /// <summary>GET /api/live/status: the live source and this node's WebSocket counters.</summary>
    public Task<LiveStatus> GetLiveStatusAsync(CancellationToken ct = default) =>
        GetAsync<LiveStatus>("/api/live/status", ct);

    /// <summary>GET /health/live: the process answers.</summary>
    public Task<Health> GetLivenessAsync(CancellationToken ct = default) =>
        GetAsync<Health>("/health/live", ct);

    /// <summary>GET /health/ready: the store, calendar and collection; a hub that is not ready answers 503 with the same body, returned here.</summary>
    public async Task<Health> GetReadinessAsync(CancellationToken ct = default)
    {
        using var response = await SendRawAsync(HttpMethod.Get, "/health/ready", [], null, ct, HttpStatusCode.ServiceUnavailable);
        return (await response.Content.ReadFromJsonAsync<Health>(Json, ct))!;
    }
}
