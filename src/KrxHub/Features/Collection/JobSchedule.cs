using System.Globalization;
using KrxHub.Core;

namespace KrxHub.Features.Collection;

/// <summary>One run of a scheduled job: its key is the same on every node ("2026-04-14", or "2026-04-14T09:05" for minute polls).</summary>
public sealed record ScheduledOccurrence(string Job, string Key, DateOnly Session, DateTimeOffset DueAt);

/// <summary>
/// When the scheduled jobs are due, from the KRX calendar: nothing on holidays, minute polls only during a session (and one
/// final poll after its close), and the end-of-day jobs of the previous session too, so a hub that was down at 18:00
/// catches up when it comes back.
/// </summary>
public static class JobSchedule
{
    public const string Master = "master";
    public const string Eod = "eod";
    public const string Minute = "minute";
    public const string KrxDaily = "krx-daily";

    /// <summary>Occurrences of <paramref name="job"/> due at <paramref name="now"/>, oldest first.</summary>
    public static IReadOnlyList<ScheduledOccurrence> Due(string job, DateTimeOffset now, KrxCalendar calendar, CollectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(settings);
        var today = KrxCalendar.KstDate(now);
        var due = new List<ScheduledOccurrence>();
        switch (job)
        {
            case Master:
                AddIfDue(due, job, today, settings.MasterAt, now, calendar);
                break;
            case Eod or KrxDaily:
                var at = job == Eod ? settings.EodAt : settings.KrxDailyAt;
                if (calendar.PreviousSession(today) is { } previous)
                {
                    AddIfDue(due, job, previous, at, now, calendar);
                }

                AddIfDue(due, job, today, at, now, calendar);
                break;
            case Minute:
                if (calendar.Hours(today) is { } hours && LatestSlot(hours, settings.MinuteEvery, now) is { } slot)
                {
                    due.Add(new ScheduledOccurrence(job, slot.ToOffset(KrxCalendar.KstOffset).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture), today, slot));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(job), job, "not a scheduled job");
        }

        return due;
    }

    /// <summary>The instant <paramref name="timeOfDay"/> (KST) on <paramref name="day"/>.</summary>
    public static DateTimeOffset At(DateOnly day, TimeSpan timeOfDay) =>
        new(day.ToDateTime(TimeOnly.MinValue) + timeOfDay, KrxCalendar.KstOffset);

    private static void AddIfDue(List<ScheduledOccurrence> due, string job, DateOnly day, TimeSpan timeOfDay, DateTimeOffset now, KrxCalendar calendar)
    {
        var at = At(day, timeOfDay);
        if (calendar.IsSession(day) && at <= now)
        {
            due.Add(new ScheduledOccurrence(job, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), day, at));
        }
    }

    /// <summary>
    /// Polls fall every <paramref name="every"/> from the open; the last one is the first strictly after the close (it picks
    /// up the closing auction's bar). Only the latest poll that is due counts: missed polls are covered by it.
    /// </summary>
    private static DateTimeOffset? LatestSlot(SessionHours hours, TimeSpan every, DateTimeOffset now)
    {
        var elapsed = now - hours.Open;
        if (elapsed < every)
        {
            return null;
        }

        var last = hours.Open + (every * (Math.Floor((hours.Close - hours.Open) / every) + 1));
        var slot = hours.Open + (every * Math.Floor(elapsed / every));
        return slot < last ? slot : last;
    }
}
