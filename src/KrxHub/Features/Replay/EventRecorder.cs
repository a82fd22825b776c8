using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Shared;

namespace KrxHub.Features.Replay;

/// <summary>What the recorder is doing: the file it writes (null when it is not recording), entries written and dropped since start.</summary>
public sealed record RecordingStatusDto(bool Active, string? File, long Recorded, long Dropped);

/// <summary>
/// Records the live source's events and the session phases to the day's file (<see cref="RecordingFiles"/>), on the node
/// that runs the source, while it runs. The live path only offers each event to a bounded channel and never waits: when the
/// background writer falls behind (a slow disk) the events that do not fit are dropped and counted, logged at most every
/// 10 s and exported as krxhub.live.recording.dropped. The writer flushes at least every second (a sync flush of the gzip
/// stream: a kill loses about the last second), and rolls to the next day's file at KST midnight on the clock.
/// </summary>
public sealed class EventRecorder(LiveBus bus, TimeProvider time, HubOptions hub, ILogger<EventRecorder> logger)
{
    /// <summary>Entries the channel holds for the writer (about 5 s of a busy Kiwoom feed) before new ones are dropped.</summary>
    public const int Capacity = 100_000;

    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    private volatile Channel<RecordedEntry>? _channel;
    private volatile string? _file;
    private long _recorded;
    private long _dropped;

    /// <summary>Where the recordings of this hub's data directory are.</summary>
    public string Directory { get; } = RecordingFiles.DirectoryFor(hub.Store.DataDirectory);

    public RecordingStatusDto Status => new(_channel is not null, _file, Interlocked.Read(ref _recorded), Interlocked.Read(ref _dropped));

    /// <summary>Whether a feed named <paramref name="source"/> is recorded under <paramref name="options"/>.</summary>
    public static bool Records(LiveOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.RecordEvents && source != LiveSources.Replay && (source != LiveSources.Simulated || options.RecordSimulated);
    }

    /// <summary>Offers one event to the writer without waiting; a no-op while nothing is recorded.</summary>
    public void Record(LiveEvent e) => Offer(new RecordedEntry(e, null));

    /// <summary>Offers a session phase change (every node's broadcaster calls it; only the recording node keeps it).</summary>
    public void Record(SessionState session) => Offer(new RecordedEntry(null, session));

    private void Offer(RecordedEntry entry)
    {
        if (_channel is { } channel && !channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Writes until cancelled, then writes what is still queued and closes the file. A disk error stops the recording, never the feed.</summary>
    public async Task RunAsync(string source, CancellationToken ct)
    {
        var channel = Channel.CreateBounded<RecordedEntry>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // with Wait, TryWrite refuses instead of blocking: the drop is counted
        });
        RecordingWriter? writer = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            _channel = channel;
            logger.LogInformation("recording the {Source} feed to {Directory} (kept {Days} days)", source, Directory, hub.Live.RecordRetentionDays);
            using var flushing = new CancellationTokenSource();
            var ticker = FlushTickerAsync(channel.Writer, flushing.Token);
            var lastFlush = time.GetTimestamp();
            // The first drops are reported at once, later ones at most every DropReportInterval.
            var lastDropReport = time.GetTimestamp() - (long)(DropReportInterval.TotalSeconds * time.TimestampFrequency);
            var droppedReported = Interlocked.Read(ref _dropped);
            try
            {
                await foreach (var entry in channel.Reader.ReadAllAsync(ct))
                {
                    writer = Write(writer, entry, source);
                    if (time.GetElapsedTime(lastFlush) >= FlushInterval || entry is { Event: null, Session: null })
                    {
                        writer?.Flush();
                        lastFlush = time.GetTimestamp();
                        if (time.GetElapsedTime(lastDropReport) >= DropReportInterval && Interlocked.Read(ref _dropped) is var dropped && dropped > droppedReported)
                        {
                            logger.LogWarning("recording fell behind: {Dropped} events dropped ({Total} since start); the live path goes on without them",
                                dropped - droppedReported, dropped);
                            (droppedReported, lastDropReport) = (dropped, time.GetTimestamp());
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            finally
            {
                _channel = null;
                await flushing.CancelAsync();
                await ticker;
            }

            // The feed has stopped: what it published before is still queued and belongs in the file.
            while (channel.Reader.TryRead(out var entry))
            {
                writer = Write(writer, entry, source);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A full disk or a denied directory stops the recording, never the live source.
            _channel = null;
            logger.LogError(e, "recording stopped: the file in {Directory} cannot be written", Directory);
        }
        finally
        {
            writer?.Dispose();
            _file = null;
        }
    }

    /// <summary>Writes one entry to the file of today (KST, on the clock), rolling over and applying the retention at a new day.</summary>
    private RecordingWriter? Write(RecordingWriter? writer, RecordedEntry entry, string source)
    {
        if (entry is { Event: null, Session: null })
        {
            return writer; // a flush marker
        }

        var now = time.GetUtcNow();
        var today = KrxCalendar.KstDate(now);
        if (writer is null || writer.Date != today)
        {
            writer?.Dispose();
            foreach (var old in RecordingFiles.DeleteBefore(Directory, today.AddDays(1 - hub.Live.RecordRetentionDays)))
            {
                logger.LogInformation("recording {File} deleted (older than {Days} days)", old, hub.Live.RecordRetentionDays);
            }

            writer = RecordingWriter.Create(RecordingFiles.NextPart(Directory, today), today, source, bus.Node, now);
            _file = writer.Path;
            if (entry.Session is null && bus.Session is { } session)
            {
                // Each file starts with the phase in force, so that a replay of it alone shows the right session.
                writer.Write(new RecordedEntry(null, session));
            }
        }

        writer.Write(entry);
        Interlocked.Increment(ref _recorded);
        return writer;
    }

    /// <summary>A flush marker every second, so that a quiet feed's last events reach the file within a second too.</summary>
    private async Task FlushTickerAsync(ChannelWriter<RecordedEntry> writer, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                writer.TryWrite(default);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
