using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Features.Replay;

namespace KrxHub.Tests.Replay;

/// <summary>
/// A recorded day made from real bars: every stock that traded on 2024-02-13 (the last session of the bundled raw window)
/// trades four times, at its real open (09:00), high and low (10:00 and 11:30, in either order by stock) and close (15:20),
/// with the day's accumulated volume and value growing to the real totals; the session phases around them.
/// </summary>
internal static class RecordedDay
{
    public static readonly DateOnly Date = new(2024, 2, 13);

    public static DateTimeOffset At(int hour, int minute, int second) => new(Date.ToDateTime(new TimeOnly(hour, minute, second)), KrxCalendar.KstOffset);

    /// <summary>The trades in time order, source kiwoom (as the hub would have recorded them).</summary>
    public static IReadOnlyList<LiveTick> Ticks { get; } = MakeTicks();

    public static SessionState Regular { get; } = new(SessionPhase.Regular, At(9, 0, 0), new PhaseTransition(SessionPhase.ClosingAuction, At(15, 20, 0)));

    public static SessionState ClosingAuction { get; } = new(SessionPhase.ClosingAuction, At(15, 20, 0), new PhaseTransition(SessionPhase.AfterHours, At(15, 30, 0)));

    /// <summary>Writes the day into <paramref name="dataDirectory"/>'s recordings as the recorder would; returns the file.</summary>
    public static string Write(string dataDirectory)
    {
        var directory = RecordingFiles.DirectoryFor(dataDirectory);
        Directory.CreateDirectory(directory);
        var path = RecordingFiles.NextPart(directory, Date);
        using var writer = RecordingWriter.Create(path, Date, LiveSources.Kiwoom, "test", At(8, 59, 0));
        foreach (var entry in Entries())
        {
            writer.Write(entry);
        }

        return path;
    }

    /// <summary>The session phases and trades in the order the recorder would have written them.</summary>
    public static IEnumerable<RecordedEntry> Entries()
    {
        yield return new RecordedEntry(null, Regular);
        var auction = false;
        foreach (var tick in Ticks)
        {
            if (!auction && tick.Time >= ClosingAuction.At)
            {
                auction = true;
                yield return new RecordedEntry(null, ClosingAuction);
            }

            yield return new RecordedEntry(tick, null);
        }
    }

    private static List<LiveTick> MakeTicks()
    {
        var ticks = new List<LiveTick>();
        var i = 0;
        foreach (var bar in LiveTestData.On(Date).Where(b => b.Volume > 0 && b.Open > 0).OrderBy(b => b.Code.Value, StringComparer.Ordinal))
        {
            var previousClose = bar.Close - bar.Changes;
            var highFirst = i % 2 == 0;
            (DateTimeOffset At, decimal Price, decimal Share)[] path =
            [
                (At(9, 0, i % 50), bar.Open, 0.1m),
                (At(10, 0, 0).AddSeconds(i % 300), highFirst ? bar.High : bar.Low, 0.4m),
                (At(11, 30, 0).AddSeconds(i % 300), highFirst ? bar.Low : bar.High, 0.7m),
                (At(15, 20, 0).AddSeconds(i % 300), bar.Close, 1m),
            ];
            var (high, low) = (0m, decimal.MaxValue);
            foreach (var (at, price, share) in path)
            {
                (high, low) = (Math.Max(high, price), Math.Min(low, price));
                var change = price - previousClose;
                ticks.Add(new LiveTick(bar.Code, at, LiveSources.Kiwoom, price, change, previousClose == 0 ? 0 : Math.Round(change / previousClose * 100m, 2),
                    (long)(bar.Volume * share) / 10, (long)(bar.Volume * share), Math.Round(bar.Amount * share), bar.Open, high, low));
            }

            i++;
        }

        return [.. ticks.OrderBy(t => t.Time).ThenBy(t => t.Code.Value, StringComparer.Ordinal)];
    }
}
