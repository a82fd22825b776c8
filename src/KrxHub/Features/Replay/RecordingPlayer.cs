using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;

namespace KrxHub.Features.Replay;

/// <summary>`serve --replay`: the recording to play and how much faster than recorded (10: ten recorded seconds per second).</summary>
public sealed record ReplayOptions(IReadOnlyList<string> Files, double Speed = 1)
{
    public const double MaxSpeed = 1_000_000;

    /// <summary>
    /// `--replay` names a recording file, or a date (yyyy-MM-dd: every part of that day in the data directory's recordings);
    /// a one-line <see cref="Shared.CliException"/> when it names nothing or the speed is out of range.
    /// </summary>
    public static ReplayOptions Resolve(string value, double speed, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!(speed > 0 && speed <= MaxSpeed))
        {
            throw new Shared.CliException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--speed must be above 0 and at most {MaxSpeed:0}, not {speed}"));
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
        {
            var directory = RecordingFiles.DirectoryFor(dataDirectory);
            var parts = RecordingFiles.PartsOf(directory, date);
            return parts.Count > 0 ? new ReplayOptions(parts, speed)
                : throw new Shared.CliException($"--replay {value}: no recording of that day in {directory}");
        }

        return File.Exists(value) ? new ReplayOptions([Path.GetFullPath(value)], speed)
            : throw new Shared.CliException($"--replay {value}: no such file (give a recording file or a date yyyy-MM-dd)");
    }
}

/// <summary>
/// The live source of `serve --replay`: plays a recording through the same path as Kiwoom or the simulator (bus, /ws,
/// rankings, indices, conditions), every event relabelled <see cref="LiveSources.Replay"/> and kept at its recorded time,
/// paced by the recorded gaps divided by the speed. The recorded session phases are set on the bus as they come (the
/// session broadcaster leaves the phase to the replay). At the end the last state stays up until the hub stops.
/// </summary>
public sealed class RecordingPlayer(ReplayOptions replay, LiveBus bus, TimeProvider time, ILogger<RecordingPlayer> logger) : ILiveFeed
{
    // Ahead of the schedule by less than this, an event goes out at once: no timer per event at high speeds.
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(2);

    public string Source => LiveSources.Replay;

    /// <summary>Every recorded code is played, whoever follows it (like the simulator).</summary>
    public Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct) => Task.CompletedTask;

    public async Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
        logger.LogInformation("replaying {Files} at {Speed}x", string.Join(", ", replay.Files), replay.Speed);
        var started = time.GetTimestamp();
        DateTimeOffset? first = null;
        long played = 0;
        foreach (var entry in replay.Files.SelectMany(f => RecordingFormat.Read(f)))
        {
            ct.ThrowIfCancellationRequested();
            if (entry.Event is not { } e)
            {
                // A phase goes out where it was recorded, between the events around it (its own time is when it began).
                bus.SetSession(entry.Session!);
                played++;
                continue;
            }

            first ??= e.Time;
            var due = (e.Time - first.Value) / replay.Speed - time.GetElapsedTime(started);
            if (due > Slack)
            {
                await Task.Delay(due, time, ct);
            }

            publish(e with { Source = LiveSources.Replay });

            played++;
        }

        logger.LogInformation("replay finished: {Played} entries in {Seconds:0.0} s; the last state stays until the hub stops",
            played, time.GetElapsedTime(started).TotalSeconds);
        await Task.Delay(Timeout.InfiniteTimeSpan, time, ct);
    }
}
