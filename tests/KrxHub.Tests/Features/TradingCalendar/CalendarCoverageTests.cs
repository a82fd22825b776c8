using System.Net;
using System.Text.Json;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>The layers of the calendar (bundled, the operator's override file, the rules), through the real HTTP pipeline and binary.</summary>
public sealed class CalendarCoverageTests
{
    // TEST data: invented closed days that exercise the extension, NOT KRX's list for 2027.
    private static readonly string[] Test2027 =
    [
        "# TEST calendar extension: invented closed days, NOT KRX's 2027 list",
        "year,2027",
        "holiday,2027-01-01,TEST",
        "holiday,2027-02-09,TEST weekday holiday",
        "special,2027-01-04,10:00,15:30,TEST late first open",
        "holiday,2027-12-31,TEST",
    ];

    [Fact]
    public async Task With_an_override_file_its_year_is_published_and_health_shows_how_far_each_layer_reaches()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var file = TestData.TempFile(test.DataDirectory, "krx-closed-days-2027-TEST.csv", Test2027);
        var (app, client) = await CalendarHub.StartAsync(test, CalendarFiles.Load(file), new FixedTime(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero)));
        await using (app)
        using (client)
        {
            var (status, holiday) = await CalendarHub.GetAsync(client, "/api/session?at=2027-02-09T10:00:00%2B09:00");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("holiday", holiday.GetProperty("phase").GetString());
            Assert.Equal("TEST weekday holiday", holiday.GetProperty("reason").GetString());
            Assert.False(holiday.GetProperty("provisional").GetBoolean());
            Assert.Equal("2027-02-10T00:00:00+09:00", holiday.GetProperty("next").GetProperty("at").GetString());

            var (_, lateOpen) = await CalendarHub.GetAsync(client, "/api/session?at=2027-01-04T09:45:00%2B09:00");
            Assert.Equal("pre-open", lateOpen.GetProperty("phase").GetString());
            Assert.Equal("2027-01-04T10:00:00+09:00", lateOpen.GetProperty("open").GetString());

            // The override file lists only four days: the rules' 삼일절 is a session in its published 2027.
            var (_, regular) = await CalendarHub.GetAsync(client, "/api/session?at=2027-03-01T10:00:00%2B09:00");
            Assert.Equal("regular", regular.GetProperty("phase").GetString());
            Assert.Equal("override:krx-closed-days-2027-TEST.csv", regular.GetProperty("source").GetString());

            // The bundled calendar's last evening leads into the 2026 year-end closure.
            var (_, yearEnd) = await CalendarHub.GetAsync(client, "/api/session?at=2026-12-30T20:00:00%2B09:00");
            Assert.Equal("2026-12-31T00:00:00+09:00", yearEnd.GetProperty("next").GetProperty("at").GetString());

            var (readyStatus, ready) = await CalendarHub.GetAsync(client, "/health/ready");
            Assert.Equal(HttpStatusCode.OK, readyStatus);
            Assert.Equal("healthy", CalendarComponent(ready).GetProperty("status").GetString());
            Assert.Equal("2050-12-31", ready.GetProperty("calendarEndsOn").GetString());
            Assert.Equal("2027-12-31", ready.GetProperty("calendarPublishedThrough").GetString());
            Assert.Equal(JsonValueKind.Null, ready.GetProperty("calendarNotice").ValueKind);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Without_an_override_file_the_hub_runs_on_into_2027_and_health_gives_notice_in_December()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var time = new MovableTime(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var (app, client) = await CalendarHub.StartAsync(test, CalendarFiles.Load((string?)null), time);
        await using (app)
        using (client)
        {
            var (status, provisional) = await CalendarHub.GetAsync(client, "/api/session?at=2027-01-04T10:00:00%2B09:00");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("regular", provisional.GetProperty("phase").GetString());
            Assert.Equal("2027-01-04T10:00:00+09:00", provisional.GetProperty("open").GetString());
            Assert.True(provisional.GetProperty("provisional").GetBoolean());

            // 2026-11-22: 2026 is published and it is not December yet.
            var (_, early) = await CalendarHub.GetAsync(client, "/health/ready");
            Assert.Equal("2050-12-31", early.GetProperty("calendarEndsOn").GetString());
            Assert.Equal("2026-12-31", early.GetProperty("calendarPublishedThrough").GetString());
            Assert.Equal(JsonValueKind.Null, early.GetProperty("calendarNotice").ValueKind);

            // 2026-12-05 09:00 KST: KRX publishes 2027 this month.
            time.Now = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
            var (readyStatus, soon) = await CalendarHub.GetAsync(client, "/health/ready");
            // A provisional year ahead degrades the calendar component (and so the hub's status); the hub stays ready (200).
            Assert.Equal(HttpStatusCode.OK, readyStatus);
            Assert.Equal("degraded", soon.GetProperty("status").GetString());
            Assert.Equal(("degraded", soon.GetProperty("calendarNotice").GetString()),
                (CalendarComponent(soon).GetProperty("status").GetString(), CalendarComponent(soon).GetProperty("description").GetString()));
            Assert.Equal("the KRX calendar of 2027 is provisional (derived from the holiday rules) until KRX publishes it this month; "
                + "add KRX's published closed days to the file named by KRXHUB_CALENDAR__EXTENSIONFILE (or --calendar-file); see docs/calendar.md",
                soon.GetProperty("calendarNotice").GetString());

            // 2027-01-04 10:00 KST: the hub runs on, in a provisional year.
            time.Now = new DateTimeOffset(2027, 1, 4, 1, 0, 0, TimeSpan.Zero);
            var (_, past) = await CalendarHub.GetAsync(client, "/health/ready");
            Assert.StartsWith("the KRX calendar of 2027 is provisional: derived from the holiday rules, so election days, temporary holidays and the CSAT day are not in it; ",
                past.GetProperty("calendarNotice").GetString(), StringComparison.Ordinal);
            var (nowStatus, now) = await CalendarHub.GetAsync(client, "/api/session");
            Assert.Equal(HttpStatusCode.OK, nowStatus);
            Assert.Equal("regular", now.GetProperty("phase").GetString());
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task The_calendar_verb_prints_each_part_with_its_source_from_the_option_or_the_setting()
    {
        var dir = Directory.CreateTempSubdirectory("krxhub-calendar-").FullName;
        try
        {
            var file = TestData.TempFile(dir, "krx-closed-days-2027-TEST.csv", Test2027);

            var (exit, bundled, _) = await CliProcess.RunAsync(["calendar"]);
            Assert.Equal(0, exit);
            Assert.Contains("KRX calendar: covers 1986-01-01..2050-12-31, 16,601 sessions", bundled, StringComparison.Ordinal);
            Assert.Contains("published through 2026-12-31; provisional (holiday rules) 2027-01-01..2050-12-31", bundled, StringComparison.Ordinal);
            Assert.Contains("1986-01-01..2026-12-31  10,712 sessions  bundled xkrx-sessions-1986-2026.csv (published)", bundled, StringComparison.Ordinal);
            Assert.Contains("2027-01-01..2050-12-31   5,889 sessions  holiday rules (provisional until KRX publishes each year)", bundled, StringComparison.Ordinal);
            Assert.DoesNotContain("override file /", bundled, StringComparison.Ordinal);

            // 261 weekdays in 2027, less the three TEST weekday holidays.
            var expected = $"2027-01-01..2027-12-31     258 sessions  override file {file} (published)";
            var (optionExit, fromOption, _) = await CliProcess.RunAsync(["calendar", "--calendar-file", file]);
            Assert.Equal(0, optionExit);
            Assert.Contains("published through 2027-12-31; provisional (holiday rules) 2028-01-01..2050-12-31", fromOption, StringComparison.Ordinal);
            Assert.Contains(expected, fromOption, StringComparison.Ordinal);

            var (settingExit, fromSetting, _) = await CliProcess.RunAsync(new Dictionary<string, string?> { ["KRXHUB_CALENDAR__EXTENSIONFILE"] = file }, ["calendar"]);
            Assert.Equal(0, settingExit);
            Assert.Contains(expected, fromSetting, StringComparison.Ordinal);

            var amend = TestData.TempFile(dir, "krx-election-2028-TEST.csv", ["holiday,2028-04-12,선거일"]);
            var (amendExit, amended, _) = await CliProcess.RunAsync(["calendar", "--calendar-file", amend]);
            Assert.Equal(0, amendExit);
            Assert.Contains($"2028-04-12  closed (선거일)  set by override file {amend}", amended, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_override_file_stops_every_verb_in_one_line_naming_file_and_line_and_writes_nothing()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var bad = TestData.TempFile(test.DataDirectory, "krx-closed-days-TEST-bad.csv",
            ["# TEST: a typo in the second holiday", "year,2027", "holiday,2027-01-01", "holiday,2027-02-31"]);
        var line = $"error: calendar override file {bad}:4: '2027-02-31' is not a date; use yyyy-MM-dd";

        string[][] verbs =
        [
            ["calendar", "--calendar-file", bad],
            ["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", "--calendar-file", bad, .. test.CliArgs],
            ["import", TestPaths.Data("samples", "krx", "MDCSTAT01501-STK-20210122.json"), "--date", "2021-01-22", "--calendar-file", bad, .. test.CliArgs],
        ];
        foreach (var verb in verbs)
        {
            var (exit, _, stderr) = await CliProcess.RunAsync(verb);
            Assert.Equal(2, exit);
            Assert.Equal(line, stderr.Trim());
        }

        var (settingExit, _, settingError) = await CliProcess.RunAsync(new Dictionary<string, string?> { ["KRXHUB_CALENDAR__EXTENSIONFILE"] = bad },
            ["quality-report", "--date", "2024-01-02", .. test.CliArgs]);
        Assert.Equal(2, settingExit);
        Assert.Equal(line, settingError.Trim());

        var (overlapExit, _, overlap) = await CliProcess.RunAsync(["calendar", "--calendar-file",
            TestData.TempFile(test.DataDirectory, "krx-closed-days-TEST-2026.csv", ["year,2026", "holiday,2026-12-31"])]);
        Assert.Equal(2, overlapExit);
        Assert.StartsWith($"error: calendar override file {Path.Combine(test.DataDirectory, "krx-closed-days-TEST-2026.csv")}:1: year 2026 is in the bundled calendar",
            overlap.Trim(), StringComparison.Ordinal);
        Assert.Single(overlap.Trim().Split('\n'));

        var (missingExit, _, missing) = await CliProcess.RunAsync(["calendar", "--calendar-file", Path.Combine(test.DataDirectory, "no-such-file.csv")]);
        Assert.Equal(2, missingExit);
        Assert.StartsWith($"error: calendar override file {Path.Combine(test.DataDirectory, "no-such-file.csv")}: cannot be read: ", missing.Trim(), StringComparison.Ordinal);

        Assert.False(File.Exists(Path.Combine(test.DataDirectory, "krxhub.db")), "nothing may be written");
    }

    private static JsonElement CalendarComponent(JsonElement ready) =>
        ready.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "calendar");

    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
