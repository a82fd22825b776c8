using System.Net;
using System.Text.Json;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>GET /api/calendar and the hub past 2026, through the real HTTP pipeline.</summary>
public sealed class CalendarApiTests
{
    private static Dictionary<string, JsonElement> ByDate(JsonElement body) =>
        body.GetProperty("days").EnumerateArray().ToDictionary(d => d.GetProperty("date").GetString()!);

    [Fact]
    public async Task The_year_2027_comes_from_the_rules_with_every_closure_named_and_provisional()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var (app, client) = await CalendarHub.StartAsync(test, CalendarFiles.Load((string?)null), new FixedTime(new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.Zero)));
        await using (app)
        using (client)
        {
            var (status, body) = await CalendarHub.GetAsync(client, "/api/calendar?from=2027-01-01&to=2027-12-31");
            Assert.Equal(HttpStatusCode.OK, status);
            var days = body.GetProperty("days").EnumerateArray().ToList();
            Assert.Equal(365, days.Count);
            Assert.Equal(246, body.GetProperty("sessions").GetInt32());
            Assert.Equal("2026-12-31", body.GetProperty("publishedThrough").GetString());
            Assert.Equal("2050-12-31", body.GetProperty("coveredThrough").GetString());
            Assert.Contains("CSAT", body.GetProperty("notes")[0].GetString(), StringComparison.Ordinal);
            Assert.All(days, d => Assert.Equal(("rules", true), (d.GetProperty("source").GetString(), d.GetProperty("provisional").GetBoolean())));

            var closedWeekdays = days.Where(d => !d.GetProperty("session").GetBoolean() && d.GetProperty("reason").ValueKind == JsonValueKind.String)
                .Select(d => $"{d.GetProperty("date").GetString()} {d.GetProperty("reason").GetString()}");
            Assert.Equal(
            [
                "2027-01-01 신정", "2027-02-08 설날", "2027-02-09 대체공휴일(설날)", "2027-03-01 삼일절", "2027-05-03 대체공휴일(노동절)",
                "2027-05-05 어린이날", "2027-05-13 부처님오신날", "2027-08-16 대체공휴일(광복절)", "2027-09-14 추석", "2027-09-15 추석",
                "2027-09-16 추석", "2027-10-04 대체공휴일(개천절)", "2027-10-11 대체공휴일(한글날)", "2027-12-27 대체공휴일(성탄절)", "2027-12-31 연말 휴장일",
            ], closedWeekdays);

            var byDate = ByDate(body);
            Assert.Equal(("10:00", "15:30"), (byDate["2027-01-04"].GetProperty("open").GetString(), byDate["2027-01-04"].GetProperty("close").GetString()));
            Assert.Equal(("09:00", "15:30"), (byDate["2027-03-02"].GetProperty("open").GetString(), byDate["2027-03-02"].GetProperty("close").GetString()));
            var saturday = byDate["2027-01-02"];
            Assert.Equal((false, JsonValueKind.Null, JsonValueKind.Null), (saturday.GetProperty("session").GetBoolean(), saturday.GetProperty("open").ValueKind, saturday.GetProperty("reason").ValueKind));
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Bundled_days_are_published_and_name_their_reason()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var (app, client) = await CalendarHub.StartAsync(test, CalendarFiles.Load((string?)null), FixedTime.Default);
        await using (app)
        using (client)
        {
            var (_, body) = await CalendarHub.GetAsync(client, "/api/calendar?from=2024-04-08&to=2024-04-12");
            var byDate = ByDate(body);
            Assert.Equal(5, byDate.Count);
            Assert.Equal(4, body.GetProperty("sessions").GetInt32());
            Assert.Empty(body.GetProperty("notes").EnumerateArray());
            var election = byDate["2024-04-10"];
            Assert.Equal((false, "선거일", false, "bundled"), (election.GetProperty("session").GetBoolean(), election.GetProperty("reason").GetString(),
                election.GetProperty("provisional").GetBoolean(), election.GetProperty("source").GetString()));

            // The CSAT day of 2024: 10:00 to 16:30, from the bundled history.
            var (_, csat) = await CalendarHub.GetAsync(client, "/api/calendar?from=2024-11-14&to=2024-11-14");
            Assert.Equal(("10:00", "16:30"), (csat.GetProperty("days")[0].GetProperty("open").GetString(), csat.GetProperty("days")[0].GetProperty("close").GetString()));

            // 2026-12-31 is the year-end closure of the bundled year, published like the rest of it.
            var (_, yearEnd) = await CalendarHub.GetAsync(client, "/api/calendar?from=2026-12-31&to=2026-12-31");
            Assert.Equal(("연말 휴장일", "bundled"), (yearEnd.GetProperty("days")[0].GetProperty("reason").GetString(), yearEnd.GetProperty("days")[0].GetProperty("source").GetString()));
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task An_override_file_adds_a_closure_and_a_CSAT_day_that_win_over_the_rules()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var file = TestData.TempFile(test.DataDirectory, "krx-2027-TEST.csv",
        [
            "# TEST override: an invented closure and an invented CSAT day in 2027, not KRX's",
            "holiday,2027-06-09,임시공휴일",
            "special,2027-11-18,10:00,16:30,CSAT",
        ]);
        var (app, client) = await CalendarHub.StartAsync(test, CalendarFiles.Load(file), FixedTime.Default);
        await using (app)
        using (client)
        {
            var (_, body) = await CalendarHub.GetAsync(client, "/api/calendar?from=2027-06-08&to=2027-11-19");
            var byDate = ByDate(body);
            var closure = byDate["2027-06-09"];
            Assert.Equal((false, "임시공휴일", false, "override:krx-2027-TEST.csv"), (closure.GetProperty("session").GetBoolean(), closure.GetProperty("reason").GetString(),
                closure.GetProperty("provisional").GetBoolean(), closure.GetProperty("source").GetString()));
            var csat = byDate["2027-11-18"];
            Assert.Equal((true, "10:00", "16:30", false, "override:krx-2027-TEST.csv"), (csat.GetProperty("session").GetBoolean(), csat.GetProperty("open").GetString(),
                csat.GetProperty("close").GetString(), csat.GetProperty("provisional").GetBoolean(), csat.GetProperty("source").GetString()));
            Assert.Equal(("rules", true), (byDate["2027-06-08"].GetProperty("source").GetString(), byDate["2027-06-08"].GetProperty("provisional").GetBoolean()));

            var (_, phase) = await CalendarHub.GetAsync(client, "/api/session?at=2027-11-18T16:25:00%2B09:00");
            Assert.Equal("closing-auction", phase.GetProperty("phase").GetString());
            Assert.Equal("override:krx-2027-TEST.csv", phase.GetProperty("source").GetString());
            await app.StopAsync();
        }
    }

    [Theory]
    [InlineData("from=2027-13-01", 400, "from", "'2027-13-01' is not a date; use yyyy-MM-dd, e.g. 2024-01-02")]
    [InlineData("from=2027-03-01&to=2027-02-01", 400, "to", "to (2027-02-01) is before from (2027-03-01)")]
    [InlineData("from=2027-01-01&to=2028-01-01", 400, "to", "the range 2027-01-01..2028-01-01 is longer than a year; ask for at most a year per request (to before 2028-01-01)")]
    [InlineData("from=1985-12-31&to=1986-01-10", 404, null, "from 1985-12-31 is outside the KRX calendar, which covers 1986-01-01..2050-12-31")]
    [InlineData("from=2050-12-01&to=2051-01-01", 404, null, "to 2051-01-01 is outside the KRX calendar, which covers 1986-01-01..2050-12-31")]
    public async Task Bad_ranges_are_400_naming_the_parameter_and_uncovered_dates_404(string query, int status, string? parameter, string message)
    {
        var hub = await HubServer.ForAsync("sqlite");

        var (code, body) = await CalendarHub.GetAsync(hub.Client, "/api/calendar?" + query);

        Assert.Equal(status, (int)code);
        Assert.Equal(message, parameter is null ? body.GetProperty("detail").GetString() : body.GetProperty("errors").GetProperty(parameter)[0].GetString());
    }

    [Fact]
    public async Task A_year_of_366_days_is_one_request_and_no_range_is_this_KST_year()
    {
        var hub = await HubServer.ForAsync("sqlite");

        var (leapStatus, leap) = await CalendarHub.GetAsync(hub.Client, "/api/calendar?from=2028-01-01&to=2028-12-31");
        Assert.Equal(HttpStatusCode.OK, leapStatus);
        Assert.Equal(366, leap.GetProperty("days").GetArrayLength());

        var (_, thisYear) = await CalendarHub.GetAsync(hub.Client, "/api/calendar");
        var year = Core.KrxCalendar.KstDate(FixedTime.Default.GetUtcNow()).Year;
        Assert.Equal(($"{year}-01-01", $"{year}-12-31"), (thisYear.GetProperty("from").GetString(), thisYear.GetProperty("to").GetString()));
    }

    [Fact]
    public async Task A_hub_whose_clock_reads_2027_03_02_09_05_KST_is_in_regular_trading_and_the_simulator_follows_the_calendar()
    {
        // The real clock moves on from 2027-03-02 09:05 KST, so the simulator's steps come due as they would that morning.
        var start = new DateTimeOffset(2027, 3, 2, 9, 5, 0, Core.KrxCalendar.KstOffset);
        await using var hub = await LiveHub.StartSimulatedAsync(new ShiftedTime(start - DateTimeOffset.UtcNow));

        var (status, session) = await CalendarHub.GetAsync(hub.Client, "/api/session");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("regular", session.GetProperty("phase").GetString());
        Assert.Equal("2027-03-02T09:00:00+09:00", session.GetProperty("open").GetString());
        Assert.Equal((true, "rules", false), (session.GetProperty("provisional").GetBoolean(), session.GetProperty("source").GetString(), session.GetProperty("alwaysOpen").GetBoolean()));

        JsonElement live = default;
        await LiveHub.EventuallyAsync(async () =>
        {
            live = await hub.StatusAsync();
            return live.GetProperty("sourceUp").GetBoolean();
        }, "the simulated exchange is up");
        Assert.Equal("simulated", live.GetProperty("source").GetString());

        await using var ws = await hub.ConnectAsync();
        await ws.SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes = new[] { "005930" } }));
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());
        var tick = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "tick" && !m.TryGetProperty("stale", out _));
        Assert.Equal("simulated", tick.GetProperty("source").GetString());
        Assert.StartsWith("2027-03-02T09:", tick.GetProperty("time").GetString(), StringComparison.Ordinal);

        var (_, ready) = await CalendarHub.GetAsync(hub.Client, "/health/ready");
        Assert.Equal("2026-12-31", ready.GetProperty("calendarPublishedThrough").GetString());
        Assert.StartsWith("the KRX calendar of 2027 is provisional: derived from the holiday rules", ready.GetProperty("calendarNotice").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The real clock, moved by a fixed offset: timers and delays run in real time.</summary>
    private sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
