using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Storage;
using KrxHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace KrxHub.Tests.Collection;

/// <summary>The market-aware schedule, and exactly one runner per occurrence across nodes.</summary>
public sealed class SchedulerTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);
    private static readonly CollectionSettings Defaults = new() { Watchlist = "005930" };
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static IReadOnlyList<string> Due(string job, DateTimeOffset now) =>
        [.. JobSchedule.Due(job, now, TestData.Calendar, Defaults).Select(o => o.Key)];

    [Fact]
    public void Master_is_due_from_08_00_on_a_session_and_never_on_a_holiday()
    {
        Assert.Empty(Due(JobSchedule.Master, new(2024, 1, 15, 7, 59, 59, Kst)));
        Assert.Equal(["2024-01-15"], Due(JobSchedule.Master, new(2024, 1, 15, 8, 0, 0, Kst)));
        Assert.Empty(Due(JobSchedule.Master, new(2024, 1, 13, 9, 0, 0, Kst)));   // Saturday
        Assert.Empty(Due(JobSchedule.Master, new(2024, 2, 12, 9, 0, 0, Kst)));   // Seollal substitute holiday (Monday)
    }

    [Fact]
    public void End_of_day_is_due_at_18_00_and_a_hub_that_was_down_catches_up_the_previous_session()
    {
        Assert.Equal(["2024-01-12"], Due(JobSchedule.Eod, new(2024, 1, 15, 17, 59, 0, Kst)));
        Assert.Equal(["2024-01-12", "2024-01-15"], Due(JobSchedule.Eod, new(2024, 1, 15, 18, 0, 0, Kst)));
        Assert.Equal(["2024-01-12"], Due(JobSchedule.Eod, new(2024, 1, 14, 12, 0, 0, Kst)));     // Sunday: Friday's
        Assert.Equal(["2024-02-08"], Due(JobSchedule.Eod, new(2024, 2, 12, 20, 0, 0, Kst)));     // holiday: the last session's
        Assert.Equal(["2024-01-15"], Due(JobSchedule.KrxDaily, new(2024, 1, 16, 7, 0, 0, Kst)));
    }

    [Fact]
    public void Minute_polls_run_only_in_a_session_and_the_last_one_follows_the_close()
    {
        Assert.Empty(Due(JobSchedule.Minute, new(2024, 1, 15, 8, 59, 0, Kst)));
        Assert.Empty(Due(JobSchedule.Minute, new(2024, 1, 15, 9, 4, 59, Kst)));
        Assert.Equal(["2024-01-15T09:05"], Due(JobSchedule.Minute, new(2024, 1, 15, 9, 7, 0, Kst)));
        Assert.Equal(["2024-01-15T15:30"], Due(JobSchedule.Minute, new(2024, 1, 15, 15, 33, 0, Kst)));
        Assert.Equal(["2024-01-15T15:35"], Due(JobSchedule.Minute, new(2024, 1, 15, 21, 0, 0, Kst)));
        Assert.Empty(Due(JobSchedule.Minute, new(2024, 1, 13, 11, 0, 0, Kst)));
        Assert.Empty(Due(JobSchedule.Minute, new(2024, 1, 2, 10, 3, 0, Kst)));                   // the year's first session opens at 10:00
        Assert.Equal(["2024-01-02T10:05"], Due(JobSchedule.Minute, new(2024, 1, 2, 10, 5, 0, Kst)));
    }

    [PostgresFact]
    public async Task Two_hubs_on_one_PostgreSQL_run_each_scheduled_occurrence_exactly_once()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 1, 15, 18, 5, 0, Kst));
        await using var market = await KiwoomMarket.StartAsync(clock);
        var codes = KiwoomMarket.TradedEverySession(12);
        market.MasterOnly = [.. codes];
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync(KiwoomMarket.MasterOf(codes), Ct);
        }

        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__MINUTE"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        var settings = KiwoomMarket.Settings(environment);
        var logs = new Sources.Tests.Kiwoom.CapturingLoggerProvider();
        var nodes = new List<WebApplication>();
        for (var i = 0; i < 2; i++)
        {
            var options = new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
            {
                Settings = settings,
                Time = clock,
                ShowProgress = false,
                ConfigureLogging = l => l.AddProvider(logs),
            };
            nodes.Add(HubApp.Build(options, await test.OpenAsync(), TestData.Calendar));
        }

        await Task.WhenAll(nodes.Select(n => n.StartAsync()));
        await using var check = await test.OpenAsync();
        string[][] occurrences = [[JobSchedule.Master, "2024-01-15"], [JobSchedule.Eod, "2024-01-12"], [JobSchedule.Eod, "2024-01-15"]];
        await Eventually.TrueAsync(async () =>
        {
            foreach (var o in occurrences)
            {
                if (!await check.IsOccurrenceDoneAsync(o[0], o[1], Ct))
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(60), () => "every occurrence recorded; logs: " + logs.AllText);

        // Give the other node many more polls to (wrongly) run an occurrence again (counted, not slept), then stop both.
        await PollsAsync(clock, 60);
        foreach (var node in nodes)
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        Assert.Equal(3, market.Server.Calls("ka10099").Count);
        var daily = market.Requests("ka10081");
        Assert.Equal(codes.SelectMany(c => new[] { (c, "20240112"), (c, "20240115") }).Order(), daily.Order());
        var investors = market.Requests("ka10059");
        Assert.Equal(codes.SelectMany(c => new[] { (c, "20240112"), (c, "20240115") }).Order(), investors.Order());
        Assert.InRange(market.Server.TokenRequests, 1, nodes.Count); // at most one per node: the store hands it on after that

        var runs = await check.GetRunsAsync(100, 0, Ct);
        Assert.Equal(1, runs.Count(r => r.Job == "collect:master"));
        Assert.Equal(2, runs.Count(r => r.Job == "collect:daily"));
        Assert.Equal(2, runs.Count(r => r.Job == "collect:investors"));
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.Equal(codes.Count * 2, await check.CountDailyBarsAsync(Ct));
    }

    [Fact]
    public void Past_2026_the_jobs_follow_the_rule_derived_calendar()
    {
        Assert.Empty(Due(JobSchedule.Master, new(2027, 5, 3, 9, 0, 0, Kst)));                     // 대체공휴일(노동절), provisional
        Assert.Equal(["2027-04-30"], Due(JobSchedule.Eod, new(2027, 5, 3, 20, 0, 0, Kst)));        // the last session's
        Assert.Equal(["2027-05-04"], Due(JobSchedule.Master, new(2027, 5, 4, 8, 0, 0, Kst)));
        Assert.Equal(["2027-01-04T10:05"], Due(JobSchedule.Minute, new(2027, 1, 4, 10, 5, 0, Kst))); // first session of 2027: 10:00
    }

    [Fact]
    public async Task On_a_provisional_closed_day_the_scheduler_logs_once_that_it_skips_a_day_KRX_has_not_confirmed()
    {
        var clock = new FixedTime(new DateTimeOffset(2027, 5, 3, 9, 0, 0, Kst));
        await using var market = await KiwoomMarket.StartAsync(clock);
        await using var test = await TestStore.CreateAsync("sqlite");
        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__MINUTE"] = "false";
        environment["KRXHUB_COLLECTION__EOD"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        var logs = new Sources.Tests.Kiwoom.CapturingLoggerProvider();
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            Time = clock,
            ShowProgress = false,
            ConfigureLogging = l => l.AddProvider(logs),
        };
        await using var app = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
        await app.StartAsync();

        await Eventually.TrueAsync(() => Task.FromResult(logs.AllText.Contains("scheduled jobs skip the day", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), () => "the provisional-day log line; logs: " + logs.AllText);
        await PollsAsync(clock, 10); // several more polls: still one line
        await app.StopAsync();

        var line = Assert.Single(logs.Entries, e => e.Contains("scheduled jobs skip the day", StringComparison.Ordinal));
        Assert.Contains("2027-05-03 is not a KRX session (대체공휴일(노동절); provisional: 2027-05-03 comes from the holiday rules", line, StringComparison.Ordinal);
        Assert.Empty(market.Server.Calls("ka10099"));
    }

    [PostgresFact]
    public async Task A_node_that_loses_its_lease_mid_run_stops_and_another_node_finishes_the_occurrence()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 1, 15, 18, 5, 0, Kst));
        await using var market = await KiwoomMarket.StartAsync(clock);
        var codes = KiwoomMarket.TradedEverySession(40);
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync(KiwoomMarket.MasterOf(codes), Ct);
        }

        var environment = market.Environment(requestsPerSecond: 10);
        environment["KRXHUB_COLLECTION__MASTER"] = "false";
        environment["KRXHUB_COLLECTION__MINUTE"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        var logs = new Sources.Tests.Kiwoom.CapturingLoggerProvider();
        async Task<WebApplication> StartNodeAsync()
        {
            var options = new HubOptions(new StoreLocation(test.DataDirectory, test.Database), "http://127.0.0.1:0", false)
            {
                Settings = KiwoomMarket.Settings(environment),
                Time = clock,
                ShowProgress = false,
                ConfigureLogging = l => l.AddProvider(logs),
            };
            var node = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
            await node.StartAsync();
            return node;
        }

        var first = await StartNodeAsync();
        await Eventually.TrueAsync(() => Task.FromResult(market.Server.Calls("ka10081").Count >= 10), TimeSpan.FromSeconds(30), "the first node is fetching");
        var second = await StartNodeAsync();

        // Cut the first node's lease connection, as a PostgreSQL restart or a network cut would.
        await using (var admin = new Npgsql.NpgsqlConnection(test.Database))
        {
            await admin.OpenAsync();
            await using var kill = new Npgsql.NpgsqlCommand(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_locks
                WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('krxhub:schedule:eod', 0)
                """, admin);
            Assert.Equal(1L, (long)(await kill.ExecuteScalarAsync())!);
        }

        await using var check = await test.OpenAsync();
        await Eventually.TrueAsync(async () => await check.IsOccurrenceDoneAsync(JobSchedule.Eod, "2024-01-12", Ct) &&
            await check.IsOccurrenceDoneAsync(JobSchedule.Eod, "2024-01-15", Ct), TimeSpan.FromSeconds(60), () => "both occurrences recorded; logs: " + logs.AllText);
        foreach (var node in new[] { first, second })
        {
            await node.StopAsync();
            await node.DisposeAsync();
        }

        Assert.Contains("the lease was lost", logs.AllText, StringComparison.Ordinal);
        Assert.Equal(codes.Count * 2, await check.CountDailyBarsAsync(Ct));
        var asked = market.Requests("ka10081").GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(codes.Count * 2, asked.Count);
        Assert.All(asked.Values, n => Assert.InRange(n, 1, 2)); // the stopped batch is fetched again, nothing more
    }

    [Fact]
    public async Task During_a_session_the_minute_job_polls_the_watchlist_once_per_slot()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 1, 15, 10, 2, 30, Kst));
        await using var market = await KiwoomMarket.StartAsync(clock);
        var code = KiwoomMarket.TradedEverySession(1)[0];
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await store.UpsertStocksAsync(KiwoomMarket.MasterOf([code]), Ct);
        }

        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__WATCHLIST"] = code;
        environment["KRXHUB_COLLECTION__MASTER"] = "false";
        environment["KRXHUB_COLLECTION__EOD"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            Time = clock,
            ShowProgress = false,
        };
        var node = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
        await node.StartAsync();
        await using var check = await test.OpenAsync();
        await Eventually.TrueAsync(() => check.IsOccurrenceDoneAsync(JobSchedule.Minute, "2024-01-15T10:00", Ct), TimeSpan.FromSeconds(30), "the 10:00 poll");
        await PollsAsync(clock, 10); // more polls of the same slot: still one request
        await node.StopAsync();
        await node.DisposeAsync();

        Assert.Equal([(code, "20240115")], market.Requests("ka10080"));
        var bars = await check.GetMinuteBarsAsync(StockCode.Parse(code), new DateTimeOffset(2024, 1, 15, 0, 0, 0, Kst), new DateTimeOffset(2024, 1, 16, 0, 0, 0, Kst), Ct);
        Assert.Equal(63, bars.Count); // 09:00 … 10:02
        Assert.Empty(market.Server.Calls("ka10099"));
        Assert.Empty(market.Server.Calls("ka10081"));
    }

    /// <summary>Waits until the scheduler loops have waited out <paramref name="rounds"/> more poll intervals (50 ms) on <paramref name="clock"/>.</summary>
    private static async Task PollsAsync(FixedTime clock, int rounds)
    {
        var interval = TimeSpan.FromMilliseconds(50);
        var target = clock.TimersOf(interval) + rounds;
        await Eventually.TrueAsync(() => Task.FromResult(clock.TimersOf(interval) >= target), TimeSpan.FromSeconds(60), $"{rounds} more scheduler polls");
    }
}
