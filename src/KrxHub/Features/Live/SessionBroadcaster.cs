using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Shared;

namespace KrxHub.Features.Live;

/// <summary>
/// Keeps the bus's session phase current: computes the phase now from the KRX calendar, then sleeps (on the injected
/// clock) until the next transition and pushes the new phase to every session subscriber.
/// </summary>
/// <remarks>
/// Like GET /api/session, the phase is always the calendar's; when the simulator runs its always-open demo session
/// (trading whatever the calendar says) every message says <c>"alwaysOpen": true</c>. Each phase also goes to the day's
/// recording (on the node that records).
/// </remarks>
public sealed class SessionBroadcaster(LiveBus bus, KrxSessionClock clock, TimeProvider time, HubOptions options, Replay.EventRecorder recorder,
    ILogger<SessionBroadcaster> logger) : BackgroundService
{
    private readonly KrxSessionClock _clock = clock;
    private readonly KrxCalendar _calendar = clock.Calendar;

    /// <summary>The phase at <paramref name="now"/>, when it started (walking back over earlier days) and the next transition.</summary>
    public SessionState StateAt(DateTimeOffset now)
    {
        var phase = _clock.PhaseAt(now);
        var kst = now.ToOffset(KrxCalendar.KstOffset);
        var day = DateOnly.FromDateTime(kst.DateTime);
        var started = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), KrxCalendar.KstOffset);
        for (var back = 0; back <= 31 && _calendar.Covers(day.AddDays(-back)); back++)
        {
            var timeline = _clock.Timeline(day.AddDays(-back));
            var found = false;
            for (var i = timeline.Count - 1; i >= 0; i--)
            {
                if (timeline[i].At > kst)
                {
                    continue;
                }

                if (timeline[i].Phase != phase)
                {
                    found = true;
                    break;
                }

                started = timeline[i].At;
            }

            if (found)
            {
                break;
            }
        }

        PhaseTransition? next = null;
        try
        {
            next = _clock.NextTransition(now);
        }
        catch (CalendarCoverageException)
        {
            // The last day of the calendar: no transition is known beyond it.
        }

        return new SessionState(phase, started, next, LiveSetup.IsAlwaysOpenDemo(options));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Replay is not null)
        {
            // `serve --replay`: the recorded phases are the session (the replay sets them as it plays).
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            SessionState state;
            try
            {
                state = StateAt(time.GetUtcNow());
            }
            catch (CalendarCoverageException e)
            {
                logger.LogWarning("session phases unavailable: {Message}", e.Message);
                return;
            }

            bus.SetSession(state);
            recorder.Record(state);
            if (state.Next is not { } next)
            {
                return;
            }

            // Sleep to the transition, re-reading the clock at least every minute (a clock that jumps: tests, suspend).
            while (time.GetUtcNow() < next.At && !stoppingToken.IsCancellationRequested)
            {
                var left = next.At - time.GetUtcNow();
                try
                {
                    await Task.Delay(left < TimeSpan.FromMinutes(1) ? left : TimeSpan.FromMinutes(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
