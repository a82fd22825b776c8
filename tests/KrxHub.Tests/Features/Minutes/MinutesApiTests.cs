using System.Net;
using KrxHub.Core;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/stocks/{code}/minutes through the real HTTP pipeline, on both backends.</summary>
public class MinutesApiTests
{
    private static readonly StockCode Hynix = StockCode.Parse("000660");

    /// <summary>
    /// Three minutes of 000660 on two sessions, at the real raw opens and closes of 2024-01-02 and
    /// 01-03 (the bundled marcap window; the per-minute volumes are test values).
    /// </summary>
    private static async Task<IReadOnlyList<MinuteBar>> StoreMinutesAsync(string backend)
    {
        var hub = await HubServer.ForAsync(backend);
        var daily = await hub.Store.GetBarsAsync(Hynix, new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 3), PriceBasis.Raw, CancellationToken.None);
        Assert.Equal(2, daily.Count);
        var fetched = new DateTimeOffset(2024, 1, 3, 9, 0, 0, TimeSpan.Zero);
        MinuteBar Bar(DailyBar day, int hour, int minute, decimal price, long volume) =>
            new(Hynix, new DateTimeOffset(day.Date.ToDateTime(new TimeOnly(hour, minute)), KrxCalendar.KstOffset), price, price, price, price, volume, null, "kiwoom", fetched);
        MinuteBar[] bars = [Bar(daily[0], 9, 0, daily[0].Open, 1_000), Bar(daily[0], 15, 30, daily[0].Close, 2_000), Bar(daily[1], 9, 0, daily[1].Open, 3_000)];
        await hub.Store.UpsertMinuteBarsAsync(bars, CancellationToken.None);
        return bars;
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Minute_bars_of_a_day_are_its_korean_day_with_source_and_a_range_joins_days(string backend)
    {
        var bars = await StoreMinutesAsync(backend);

        var day = (await GetJsonAsync(backend, "/api/stocks/000660/minutes?date=2024-01-02")).EnumerateArray().ToList();
        Assert.Equal(["2024-01-02T09:00:00+09:00", "2024-01-02T15:30:00+09:00"], day.Select(b => b.GetProperty("time").GetString()));
        Assert.Equal([bars[0].Close, bars[1].Close], day.Select(b => b.GetProperty("close").GetDecimal()));
        Assert.All(day, b => Assert.Equal("kiwoom", b.GetProperty("source").GetString()));
        Assert.All(day, b => Assert.Equal("000660", b.GetProperty("code").GetString()));

        var range = (await GetJsonAsync(backend, "/api/stocks/000660/minutes?from=2024-01-02&to=2024-01-03")).EnumerateArray();
        Assert.Equal([1_000L, 2_000L, 3_000L], range.Select(b => b.GetProperty("volume").GetInt64()));
        Assert.Empty((await GetJsonAsync(backend, "/api/stocks/000660/minutes?date=2024-01-04")).EnumerateArray());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_minute_requests_are_400_problems_naming_the_parameter(string backend)
    {
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?date=2024-13-01", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?date=2024-01-02&from=2024-01-02", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?from=2024-01-02", HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?to=2024-01-02", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?from=2024-01-03&to=2024-01-02", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/stocks/000660/minutes?from=2024-01-01&to=2024-02-01", HttpStatusCode.BadRequest, "to");
        await AssertProblemAsync(backend, "/api/stocks/00066!/minutes?date=2024-01-02", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/stocks/999999/minutes?date=2024-01-02", HttpStatusCode.NotFound, null);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Thirty_one_days_are_allowed(string backend)
    {
        await StoreMinutesAsync(backend);
        Assert.Equal(3, (await GetJsonAsync(backend, "/api/stocks/000660/minutes?from=2024-01-01&to=2024-01-31")).GetArrayLength());
    }
}
