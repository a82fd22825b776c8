using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Core.Tests;

public class KrxCalendarTests
{
    private static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    [Fact]
    public void The_bundled_file_covers_1986_to_2026_with_every_session()
    {
        Assert.Equal(new DateOnly(1986, 1, 4), Calendar.FirstSession);
        Assert.Equal(new DateOnly(2026, 12, 30), Calendar.LastSession);
        Assert.Equal(10712, Calendar.Count);
    }

    [Theory]
    [InlineData("2024-04-10")] // 22nd National Assembly election
    [InlineData("2025-06-03")] // presidential election
    [InlineData("2024-10-01")] // Armed Forces Day, temporary holiday
    [InlineData("2025-01-27")] // temporary holiday before Seollal
    [InlineData("2024-12-31")] // year-end closure
    [InlineData("2024-01-06")] // Saturday
    public void Holidays_and_ad_hoc_closures_are_not_sessions(string date)
    {
        Assert.False(Calendar.IsSession(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Saturday_sessions_of_the_1990s_are_sessions()
    {
        Assert.True(Calendar.IsSession(new DateOnly(1986, 1, 4)));
    }

    [Fact]
    public void The_first_session_of_2024_opens_late_at_ten()
    {
        var hours = Calendar.Hours(new DateOnly(2024, 1, 2))!.Value;
        Assert.Equal(new TimeOnly(10, 0), hours.OpenKst);
        Assert.Equal(new TimeOnly(15, 30), hours.CloseKst);
        Assert.Equal(TimeSpan.FromHours(9), hours.Open.Offset);
    }

    [Fact]
    public void A_normal_day_runs_from_nine_to_half_past_three()
    {
        var hours = Calendar.Hours(new DateOnly(2024, 1, 3))!.Value;
        Assert.Equal(new TimeOnly(9, 0), hours.OpenKst);
        Assert.Equal(new TimeOnly(15, 30), hours.CloseKst);
    }

    [Fact]
    public void The_CSAT_day_opens_at_ten_and_closes_at_half_past_four()
    {
        var hours = Calendar.Hours(new DateOnly(2024, 11, 14))!.Value;
        Assert.Equal(new TimeOnly(10, 0), hours.OpenKst);
        Assert.Equal(new TimeOnly(16, 30), hours.CloseKst);
    }

    [Fact]
    public void Next_and_previous_sessions_skip_the_election_day()
    {
        Assert.Equal(new DateOnly(2024, 4, 11), Calendar.NextSession(new DateOnly(2024, 4, 9)));
        Assert.Equal(new DateOnly(2024, 4, 9), Calendar.PreviousSession(new DateOnly(2024, 4, 11)));
        Assert.Equal(new DateOnly(2024, 4, 11), Calendar.NextSession(new DateOnly(2024, 4, 10)));
        Assert.Equal(new DateOnly(2024, 1, 2), Calendar.NextSession(new DateOnly(2023, 12, 28)));
        Assert.Null(Calendar.NextSession(new DateOnly(2026, 12, 30)));
        Assert.Null(Calendar.PreviousSession(new DateOnly(1986, 1, 4)));
    }

    [Fact]
    public void Sessions_per_year_match_the_exchange_calendar()
    {
        Assert.Equal(244, Calendar.Sessions(new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)).Length);
        Assert.Equal(242, Calendar.Sessions(new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31)).Length);
    }

    [Fact]
    public void Kst_date_of_an_instant_is_nine_hours_ahead_of_utc()
    {
        Assert.Equal(new DateOnly(2024, 1, 3), KrxCalendar.KstDate(new DateTimeOffset(2024, 1, 2, 15, 0, 0, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(2024, 1, 2), KrxCalendar.KstDate(new DateTimeOffset(2024, 1, 2, 14, 59, 59, TimeSpan.Zero)));
    }
}
