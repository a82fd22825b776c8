using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;
using KrxHub.Features.Live;
using KrxHub.Features.Replay;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests.Replay;

/// <summary>The recording format and the recorder: real files, real gzip, the hub's live path.</summary>
public class RecordingTests
{
    /// <summary>Every field of an entry as text (decimals keep their scale), so that sequences compare exactly and diff readably.</summary>
    internal static string Line(RecordedEntry entry) => entry switch
    {
        { Event: LiveTick t } => FormattableString.Invariant(
            $"T {t.Code} {t.Time:O} {t.Source} {t.Price} {t.Change} {t.ChangePct} {t.Volume} {t.AccVolume} {t.AccValue} {t.Open} {t.High} {t.Low} {t.BestAsk} {t.BestBid} {t.Strength} {t.SessionCode}"),
        { Event: OrderBook b } => FormattableString.Invariant(
            $"B {b.Code} {b.Time:O} {b.Source} a[{string.Join(' ', b.Asks.Select(l => $"{l.Price}x{l.Qty}"))}] b[{string.Join(' ', b.Bids.Select(l => $"{l.Price}x{l.Qty}"))}] {b.TotalAskQty} {b.TotalBidQty}"),
        { Event: LiveIndexLevel i } => FormattableString.Invariant(
            $"I {i.IndexCode} {i.Time:O} {i.Source} {i.Level} {i.Change} {i.ChangePct} {i.Open} {i.High} {i.Low} {i.AccVolume} {i.AccValue}"),
        { Session: { } s } => FormattableString.Invariant($"S {s.Phase} {s.At:O} {s.Next?.Phase} {s.Next?.At:O} {s.AlwaysOpen}"),
        _ => throw new ArgumentOutOfRangeException(nameof(entry)),
    };

    /// <summary>Two minutes of the simulator over the real master from the real 2024-02-13 closes, with index levels and phases.</summary>
    private static List<RecordedEntry> SimulatedMinutes()
    {
        var start = new DateTimeOffset(2024, 2, 14, 9, 0, 0, KrxCalendar.KstOffset);
        var closes = LiveTestData.On(RecordedDay.Date).ToDictionary(b => b.Code, b => b.Close);
        var exchange = new SimulatedExchange(MasterFiles.ReadListed(BundledData.Master).Records, closes, new KrxSessionClock(TestData.Calendar),
            new FixedTime(start), new SimulatorOptions { Seed = 3, TradesPerSecond = 200 });
        var events = new List<LiveEvent>();
        exchange.GenerateUntil(start.AddMinutes(2), events);
        var entries = new List<RecordedEntry> { new(null, new SessionState(SessionPhase.Regular, start, new PhaseTransition(SessionPhase.ClosingAuction, start.AddHours(6).AddMinutes(20)))) };
        entries.AddRange(events.Select(e => new RecordedEntry(e, null)));
        // A real KOSPI level (2024-02-13 close 2,649.64) with a scale-2 change, and one with only a level.
        entries.Add(new(new LiveIndexLevel("1001", start.AddMinutes(2), LiveSources.Simulated, 2649.64m, 29.32m, 1.12m, 2631.29m, 2652.07m, 2628.60m, 381_234_000, 9_512_000_000_000m), null));
        entries.Add(new(new LiveIndexLevel("2001", start.AddMinutes(2), LiveSources.Simulated, 819.30m, null, null, null, null, null, null, null), null));
        entries.Add(new(new LiveTick(StockCode.Parse("005930"), start.AddMinutes(2).AddTicks(1), LiveSources.Kiwoom, 73_000m, -100m, -0.10m, 1, 2, 73_000.50m, 73_100m, 73_200m, 72_900m)
        {
            BestAsk = 73_100m, BestBid = 73_000m, Strength = 101.50m, SessionCode = "2",
        }, null));
        return entries;
    }

    [Fact]
    public void A_recording_of_the_simulator_reads_back_exactly()
    {
        var entries = SimulatedMinutes();
        Assert.True(entries.Count(e => e.Event is LiveTick) > 20_000, "two minutes at 200 trades/s");
        Assert.Contains(entries, e => e.Event is OrderBook);
        var directory = Directory.CreateTempSubdirectory("krxhub-recording-").FullName;
        try
        {
            var path = Path.Combine(directory, RecordingFiles.NameOf(new DateOnly(2024, 2, 14), 1));
            using (var writer = RecordingWriter.Create(path, new DateOnly(2024, 2, 14), LiveSources.Simulated, "test", entries[0].Time))
            {
                foreach (var entry in entries)
                {
                    writer.Write(entry);
                }
            }

            var read = RecordingFormat.Read(path).ToList();
            Assert.Equal(entries.Select(Line), read.Select(Line));
            Assert.Equal(entries.Where(e => e.Event is not OrderBook).Select(Line), RecordingFormat.Read(path, books: false).Select(Line));
            Assert.Contains("-0.10", Line(read[^1]), StringComparison.Ordinal); // the scale survives
            // About 300 bytes a line (a book is 450) before compression.
            var compressed = new FileInfo(path).Length;
            Assert.True(compressed < entries.Count * 100L, $"{compressed} bytes for {entries.Count} entries: not compressed");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_file_being_written_or_cut_by_a_kill_reads_up_to_its_last_complete_line()
    {
        var entries = SimulatedMinutes().Take(5_000).ToList();
        var directory = Directory.CreateTempSubdirectory("krxhub-recording-").FullName;
        try
        {
            var path = Path.Combine(directory, RecordingFiles.NameOf(new DateOnly(2024, 2, 14), 1));
            byte[] flushed;
            using (var writer = RecordingWriter.Create(path, new DateOnly(2024, 2, 14), LiveSources.Simulated, "test", entries[0].Time))
            {
                foreach (var entry in entries.Take(3_000))
                {
                    writer.Write(entry);
                }

                writer.Flush();
                // Open for writing, without a gzip trailer: everything before the flush reads.
                Assert.Equal(entries.Take(3_000).Select(Line), RecordingFormat.Read(path).Select(Line));
                foreach (var entry in entries.Skip(3_000))
                {
                    writer.Write(entry);
                }

                writer.Flush();
                flushed = File.ReadAllBytes(path);
            }

            // A kill leaves any prefix of the bytes: each reads as a prefix of the entries, without an error.
            var expected = entries.Select(Line).ToList();
            var cut = Path.Combine(directory, "cut.jsonl.gz");
            foreach (var length in new[] { 10, 100, flushed.Length / 3, flushed.Length / 2, flushed.Length - 7, flushed.Length })
            {
                File.WriteAllBytes(cut, flushed[..length]);
                var read = RecordingFormat.Read(cut).Select(Line).ToList();
                Assert.Equal(expected.Take(read.Count), read);
                Assert.True(length < flushed.Length || read.Count == entries.Count, $"the whole flushed file reads {read.Count} of {entries.Count}");
            }

            Assert.Equal(expected, RecordingFormat.Read(path).Select(Line));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_live_source_is_recorded_to_the_days_file_while_it_runs_a_restart_writes_a_second_part_and_old_days_are_deleted()
    {
        var live = new LiveOptions { RecordRetentionDays = 7 };
        var feed = new ReplayFeed(LiveSources.Kiwoom);
        await using var first = await LiveHub.StartAsync(live, feed);
        await feed.Running;
        var today = LiveTestData.Today;
        var samsung = LiveTestData.Bar("005930", new DateOnly(2024, 1, 2));
        var hynix = LiveTestData.Bar("000660", new DateOnly(2024, 1, 2));
        LiveEvent[] pushed =
        [
            LiveTestData.TickOf(samsung, LiveTestData.TodayAt(10, 0, 1), LiveSources.Kiwoom),
            new OrderBook(samsung.Code, LiveTestData.TodayAt(10, 0, 1, 500), LiveSources.Kiwoom, [new(samsung.Close + 100, 1_200)], [new(samsung.Close, 3_400)], 1_200, 3_400),
            LiveTestData.TickOf(hynix, LiveTestData.TodayAt(10, 0, 2), LiveSources.Kiwoom, volume: 7),
            new LiveIndexLevel("1001", LiveTestData.TodayAt(10, 0, 3), LiveSources.Kiwoom, 2669.81m, 14.53m, 0.55m, null, null, null, null, null),
        ];
        foreach (var e in pushed)
        {
            await feed.PushAsync(e);
        }

        var recorder = first.Services.GetRequiredService<EventRecorder>();
        var path = Path.Combine(recorder.Directory, RecordingFiles.NameOf(today, 1));
        // Readable while the hub writes it, within about a second of the events.
        await LiveHub.EventuallyAsync(() => Task.FromResult(File.Exists(path) && RecordingFormat.Read(path).Count(e => e.Event is not null) == pushed.Length),
            "the events in the open file");
        var status = (await first.StatusAsync()).GetProperty("recording");
        Assert.True(status.GetProperty("active").GetBoolean());
        Assert.Equal(path, status.GetProperty("file").GetString());
        Assert.Equal(0, status.GetProperty("dropped").GetInt64());

        // The session phase the hub shows (closed: 18:00 KST) comes first, then the events exactly as the feed sent them.
        var session = first.Services.GetRequiredService<LiveBus>().Session!;
        string[] expected = [Line(new(null, session)), .. pushed.Select(e => Line(new(e, null)))];
        Assert.Equal(expected, RecordingFormat.Read(path).Select(Line));
        await first.StopAsync();
        Assert.Equal(expected, RecordingFormat.Read(path).Select(Line)); // closed with its trailer: still the same

        // A day older than the retention is deleted when the next recording starts; the restart writes a second part.
        var old = Path.Combine(recorder.Directory, RecordingFiles.NameOf(today.AddDays(-7), 1));
        var kept = Path.Combine(recorder.Directory, RecordingFiles.NameOf(today.AddDays(-6), 1));
        File.Copy(path, old);
        File.Copy(path, kept);
        var feed2 = new ReplayFeed(LiveSources.Kiwoom);
        var location = new StoreLocation(Path.GetDirectoryName(recorder.Directory)!, null);
        await using var second = await LiveHub.StartAsync(location, live, feed2);
        await feed2.Running;
        await feed2.PushAsync(pushed[0]);
        var part2 = Path.Combine(recorder.Directory, RecordingFiles.NameOf(today, 2));
        await LiveHub.EventuallyAsync(() => Task.FromResult(File.Exists(part2) && RecordingFormat.Read(part2).Any(e => e.Event is not null)), "the second part");
        Assert.Equal([path, part2], RecordingFiles.PartsOf(recorder.Directory, today));
        Assert.False(File.Exists(old), "a day older than 7 days is deleted");
        Assert.True(File.Exists(kept), "the 7th day back is kept");
    }

    [Fact]
    public async Task The_recording_rolls_to_the_next_days_file_at_KST_midnight()
    {
        var clock = new MovableTime(new DateTimeOffset(2025, 6, 30, 23, 59, 59, KrxCalendar.KstOffset));
        var feed = new ReplayFeed(LiveSources.Kiwoom);
        var dir = await LiveHub.CopyTemplateAsync();
        await using var hub = await LiveHub.StartAsync(new StoreLocation(dir, null), null, feed, dir, clock);
        await feed.Running;
        var recordings = hub.Services.GetRequiredService<EventRecorder>().Directory;
        var samsung = LiveTestData.Bar("005930", new DateOnly(2024, 1, 2));
        var late = LiveTestData.TickOf(samsung, clock.Now, LiveSources.Kiwoom);
        await feed.PushAsync(late);
        var june30 = Path.Combine(recordings, RecordingFiles.NameOf(new DateOnly(2025, 6, 30), 1));
        await LiveHub.EventuallyAsync(() => Task.FromResult(File.Exists(june30) && RecordingFormat.Read(june30).Any(e => e.Event is not null)), "the 06-30 file");

        clock.Now = new DateTimeOffset(2025, 7, 1, 0, 0, 1, KrxCalendar.KstOffset);
        var early = LiveTestData.TickOf(samsung, clock.Now, LiveSources.Kiwoom, volume: 5);
        await feed.PushAsync(early);
        var july1 = Path.Combine(recordings, RecordingFiles.NameOf(new DateOnly(2025, 7, 1), 1));
        await LiveHub.EventuallyAsync(() => Task.FromResult(File.Exists(july1) && RecordingFormat.Read(july1).Any(e => e.Event is not null)), "the 07-01 file");

        Assert.Equal([Line(new(late, null))], RecordingFormat.Read(june30).Where(e => e.Event is not null).Select(Line));
        Assert.Equal([Line(new(early, null))], RecordingFormat.Read(july1).Where(e => e.Event is not null).Select(Line));
        // The new day's file starts with the session phase; the old one was closed with its gzip trailer.
        Assert.NotNull(RecordingFormat.Read(july1).First().Session);
        // A closed gzip file ends with its length (ISIZE); a file still open ends with a sync flush's 00 00 FF FF.
        var bytes = await File.ReadAllBytesAsync(june30);
        using var decompressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress))
        {
            await gzip.CopyToAsync(decompressed);
        }

        Assert.Equal(decompressed.Length, BitConverter.ToUInt32(bytes, bytes.Length - 4));
    }

    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task A_writer_that_falls_behind_drops_and_counts_instead_of_holding_up_the_live_path()
    {
        var feed = new ReplayFeed(LiveSources.Kiwoom);
        await using var hub = await LiveHub.StartAsync(new LiveOptions { RecordMinuteBars = false }, feed);
        await feed.Running;
        var recorder = hub.Services.GetRequiredService<EventRecorder>();
        await LiveHub.EventuallyAsync(() => Task.FromResult(recorder.Status.Active), "the recording started");
        var baseline = recorder.Status;

        // 400,000 trades as fast as the feed can publish them: far faster than gzip level 6 writes lines, and four times
        // what the channel holds.
        var tick = LiveTestData.TickOf(LiveTestData.Bar("005930", new DateOnly(2024, 1, 2)), LiveTestData.TodayAt(10, 0, 1), LiveSources.Kiwoom);
        const int Pushed = 400_000;
        for (var i = 0; i < Pushed; i++)
        {
            await feed.PushAsync(tick);
        }

        // Every trade was either written or counted as dropped; the bus got every one of them.
        await LiveHub.EventuallyAsync(() => Task.FromResult(recorder.Status.Recorded - baseline.Recorded + recorder.Status.Dropped >= Pushed),
            "every trade written or dropped");
        var status = recorder.Status;
        Assert.True(status.Dropped > 0, "nothing was dropped: the writer kept up");
        Assert.True(status.Recorded - baseline.Recorded > 0);
        Assert.True(hub.Services.GetRequiredService<LiveBus>().EventCounters.EventsIn >= Pushed);
        var metrics = await hub.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // Exported (its value is not compared: the other hubs of the test process export the same counter into this scrape).
        Assert.NotNull(Observability.PrometheusText.Value(metrics, "krxhub_live_recording_dropped_total"));
        Assert.NotNull(Observability.PrometheusText.Value(metrics, "krxhub_live_recording_recorded_total"));
        Assert.Equal(status.Dropped, (await hub.StatusAsync()).GetProperty("recording").GetProperty("dropped").GetInt64());
        await hub.StopAsync();
        Assert.Equal(Pushed - status.Dropped, RecordingFormat.Read(status.File!).Count(e => e.Event is LiveTick));
    }

    [Fact]
    public void Recording_settings_are_validated_and_the_simulator_is_recorded_only_when_asked()
    {
        Assert.Equal("KRXHUB_LIVE__RECORDRETENTIONDAYS must be at least 1", new LiveOptions { RecordRetentionDays = 0 }.Validate());
        Assert.True(EventRecorder.Records(new LiveOptions(), LiveSources.Kiwoom));
        Assert.False(EventRecorder.Records(new LiveOptions(), LiveSources.Simulated));
        Assert.True(EventRecorder.Records(new LiveOptions { RecordSimulated = true }, LiveSources.Simulated));
        Assert.False(EventRecorder.Records(new LiveOptions { RecordEvents = false }, LiveSources.Kiwoom));
        Assert.False(EventRecorder.Records(new LiveOptions { RecordSimulated = true }, LiveSources.Replay));
        Assert.Equal("events-2026-12-04.jsonl.gz", RecordingFiles.NameOf(new DateOnly(2026, 12, 4), 1));
        Assert.Equal(new DateOnly(2026, 12, 4), RecordingFiles.DateOf("/x/events-2026-12-04.3.jsonl.gz"));
        Assert.Null(RecordingFiles.DateOf("/x/events-2026-12-04.jsonl"));
    }
}
