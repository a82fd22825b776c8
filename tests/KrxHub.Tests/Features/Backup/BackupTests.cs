using System.Data.Common;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Features.Backup;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace KrxHub.Tests;

/// <summary>`krxhub backup` / `krxhub restore` and the daily backup, on real stores and the real binary (and real pg_dump / pg_restore).</summary>
public class BackupTests
{
    [Theory]
    [MemberData(nameof(Backends.Loads), MemberType = typeof(Backends))]
    public async Task A_backup_taken_during_an_import_restores_every_table_row_for_row_as_the_source_was_at_the_backup_point(string backend, bool firstLoad)
    {
        await using var source = await TestStore.CreateAsync(backend);
        await using var store = await source.OpenAsync();
        await TestData.LoadMasterAsync(store);
        if (!firstLoad)
        {
            await TestData.SeedBasisAsync(store, source.DataDirectory, PriceBasis.Raw);
        }
        // The import pauses part-way through its rows until the backup is done, so the point is inside the import however
        // fast staging and promotion are on the machine. (Resumed at the point, it could promote while pg_dump still ran; the
        // backup then starts again at a new snapshot, which a free-running import could leave after its promotion.)
        using var backupDone = new ManualResetEventSlim();
        using var paused = new ManualResetEventSlim();
        var file = ImportReader.Open(BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
        var pipeline = new Pipeline.DailyBarPipeline(store, TestData.Calendar, FixedTime.Default);
        var import = Task.Run(() => pipeline.RunAsync("import:marcap-csv", new { file = file.Path }, PausedAfter(file.ReadDailyRows(), 3 * Pipeline.DailyBarPipeline.StagingBatchSize, paused, backupDone),
            file.Basis!.Value, file.Source, null, CancellationToken.None));
        SortedDictionary<string, (long Rows, string Sha256)>? atBackupPoint = null;
        long runningAtBackupPoint = 0;
        BackupReport report;
        try
        {
            // A first load's bars are in its open transaction by then; a staged run's first batches are staged.
            await WaitForAsync(paused, import);
            if (!firstLoad)
            {
                await WaitForStagedRowsAsync(source, import);
            }

            report = await StoreBackup.BackupAsync(new StoreLocation(source.DataDirectory, source.Database), Path.Combine(source.DataDirectory, "backups"),
                null, TimeProvider.System, new Progress<string>(), async (connection, ct) =>
                {
                    atBackupPoint = await TableChecksums.OfAsync(connection);
                    await using var running = connection.CreateCommand();
                    running.CommandText = "SELECT count(*) FROM collection_runs WHERE status = 'running'";
                    runningAtBackupPoint = Convert.ToInt64(await running.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
                }, CancellationToken.None);
        }
        finally
        {
            backupDone.Set(); // also when the backup failed: never leave the import paused
        }

        await import;

        Assert.NotNull(atBackupPoint);
        Assert.True(runningAtBackupPoint == 1, "the backup's point is not inside the import: no run was running");
        if (backend == "postgresql")
        {
            // SQLite stages in a file of its own, outside the backup; PostgreSQL's staging table is in the dump.
            Assert.True(atBackupPoint["staging_daily_bars"].Rows > 0, "the backup's point is not inside the import: nothing was staged");
        }

        // The seed's 4 bars; nothing of the import, whose bars were staged or in its uncommitted transaction.
        Assert.Equal(firstLoad ? 0 : 4, atBackupPoint["daily_bars"].Rows);

        Assert.True(atBackupPoint["stocks"].Rows > 5_000);
        var afterImport = await TableChecksums.OfStoreAsync(source);
        Assert.NotEqual(atBackupPoint["daily_bars"], afterImport["daily_bars"]); // the source moved on after the backup's point
        Assert.True(afterImport["daily_bars"].Rows > 80_000);

        await using var target = await TestStore.CreateAsync(backend);
        var restore = await CliProcess.RunAsync(["restore", report.Path, .. target.CliArgs]);
        Assert.True(restore.ExitCode == 0, restore.Stderr + restore.Stdout);
        Assert.Contains("restored and verified", restore.Stdout, StringComparison.Ordinal);
        Assert.Equal(atBackupPoint, await TableChecksums.OfStoreAsync(target));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Restore_refuses_a_store_that_holds_data_unless_forced_and_then_returns_it_to_the_backup(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var before = await TableChecksums.OfStoreAsync(test);
        var directory = Path.Combine(test.DataDirectory, "elsewhere");
        var backup = await CliProcess.RunAsync(["backup", "--to", directory, .. test.CliArgs]);
        Assert.True(backup.ExitCode == 0, backup.Stderr + backup.Stdout);
        Assert.Contains("verified", backup.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"stocks\s+5,\d{3}", backup.Stdout);
        var file = Assert.Single(BackupFiles.Find(directory));

        await using (var store = await test.OpenAsync())
        {
            await store.RecordOccurrenceAsync("after-the-backup", "2026-03-02", null, FixedTime.Default.GetUtcNow(), CancellationToken.None);
        }

        var changed = await TableChecksums.OfStoreAsync(test);
        var refused = await CliProcess.RunAsync(["restore", file, .. test.CliArgs]);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("error: the store", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("is not empty", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
        Assert.Equal(changed, await TableChecksums.OfStoreAsync(test)); // refused: nothing touched

        var forced = await CliProcess.RunAsync(["restore", file, "--force", .. test.CliArgs]);
        Assert.True(forced.ExitCode == 0, forced.Stderr + forced.Stdout);
        Assert.Equal(before, await TableChecksums.OfStoreAsync(test));
    }

    [Fact]
    public async Task A_postgresql_backup_without_pg_dump_on_the_path_fails_with_one_clear_line_and_writes_nothing()
    {
        var empty = Directory.CreateTempSubdirectory("krxhub-nopath-");
        try
        {
            var directory = Path.Combine(empty.FullName, "backups");
            var run = await CliProcess.RunAsync(new Dictionary<string, string?> { ["PATH"] = empty.FullName },
                "backup", "--database", "Host=127.0.0.1;Port=1;Username=nobody;Database=none", "--to", directory);
            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("error: pg_dump was not found on PATH", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("KRXHUB_BACKUP__PGBINDIRECTORY", run.Stderr, StringComparison.Ordinal);
            Assert.Single(run.Stderr.Trim().Split('\n'));
            Assert.False(Directory.Exists(directory));
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Two_nodes_take_one_verified_backup_a_day_and_retention_keeps_the_newest_ones()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var directory = Path.Combine(test.DataDirectory, "daily");
        Directory.CreateDirectory(directory);
        var foreign = Path.Combine(directory, "krxhub-notes.sqlite");
        await File.WriteAllTextAsync(foreign, "not a backup of the schedule");
        var plan = new BackupPlan(new StoreLocation(test.DataDirectory, null), new BackupSettings { Enabled = true, Directory = directory, Retention = 2, Time = new(3, 30, 0) });
        var clock = new MovableTime(new DateTimeOffset(2026, 3, 2, 3, 0, 0, KrxCalendar.KstOffset));
        await using var storeA = await test.OpenAsync();
        await using var storeB = await test.OpenAsync();
        var nodeA = new BackupScheduler(plan, storeA, clock, NullLogger<BackupScheduler>.Instance);
        var nodeB = new BackupScheduler(plan, storeB, clock, NullLogger<BackupScheduler>.Instance);

        Assert.All(await Task.WhenAll(nodeA.RunDueAsync(CancellationToken.None), nodeB.RunDueAsync(CancellationToken.None)), Assert.Null); // before 03:30 KST

        var taken = new List<BackupReport>();
        for (var day = 0; day < 4; day++)
        {
            clock.Now = new DateTimeOffset(2026, 3, 2 + day, 4, 0, 0, KrxCalendar.KstOffset);
            var reports = await Task.WhenAll(nodeA.RunDueAsync(CancellationToken.None), nodeB.RunDueAsync(CancellationToken.None));
            taken.Add(Assert.Single(reports.OfType<BackupReport>()));
            clock.Now = clock.Now.AddHours(12);
            Assert.All(await Task.WhenAll(nodeA.RunDueAsync(CancellationToken.None), nodeB.RunDueAsync(CancellationToken.None)), Assert.Null); // taken today
        }

        Assert.Equal([taken[2].Path, taken[3].Path], BackupFiles.Find(directory));
        Assert.True(File.Exists(foreign));
        Assert.All(taken, r => Assert.True(r.Tables.Single(t => t.Table == "stocks").Rows > 5_000));
    }

    [Fact]
    public async Task A_hub_with_the_daily_backup_enabled_takes_the_due_backup_when_it_starts()
    {
        var directory = Directory.CreateTempSubdirectory("krxhub-daily-").FullName;
        try
        {
            // The tests' clock reads 18:00 KST: a 00:00 backup is due at once.
            var settings = HubSettings.None with { Backup = new BackupSettings { Enabled = true, Directory = directory, Time = TimeSpan.Zero } };
            await using var hub = await HubServer.StartAsync("sqlite", (_, _) => Task.CompletedTask, settings);
            using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // a guard against a hang, not a timing
            while (BackupFiles.Find(directory).Count == 0)
            {
                await Task.Delay(100, hang.Token);
            }

            Assert.True(await hub.Store.IsOccurrenceDoneAsync(BackupScheduler.Job, "2025-06-30", CancellationToken.None));
            Assert.Single(BackupFiles.Find(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_bad_backup_setting_stops_the_verb_with_one_line_naming_it()
    {
        var run = await CliProcess.RunAsync(new Dictionary<string, string?> { ["KRXHUB_BACKUP__RETENTION"] = "0" }, "backup", "--data-dir", Path.GetTempPath());
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: KRXHUB_BACKUP__RETENTION must be at least 1", run.Stderr.Trim());
    }

    [PostgresFact]
    public async Task A_postgresql_backup_does_not_hang_when_a_writer_queues_for_an_exclusive_lock_behind_its_snapshot()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        Task? writer = null;
        var progress = new LineProgress();
        var report = await StoreBackup.BackupAsync(new StoreLocation(test.DataDirectory, test.Database), Path.Combine(test.DataDirectory, "backups"), null,
            TimeProvider.System, progress, async (_, ct) =>
            {
                if (writer is not null)
                {
                    return;
                }

                // As an import's promotion clearing its staging table: an exclusive lock, queued behind the snapshot's shared ones.
                writer = Task.Run(async () =>
                {
                    await using var connection = new NpgsqlConnection(test.Database);
                    await connection.OpenAsync(ct);
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await using var exclusive = new NpgsqlCommand("LOCK TABLE stocks IN ACCESS EXCLUSIVE MODE", connection, tx);
                    await exclusive.ExecuteNonQueryAsync(ct);
                    await tx.CommitAsync(ct);
                }, ct);
                await using var watch = new NpgsqlConnection(test.Database);
                await watch.OpenAsync(ct);
                await using var waiting = new NpgsqlCommand("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'stocks'::regclass", watch);
                while ((long)(await waiting.ExecuteScalarAsync(ct))! == 0)
                {
                    await Task.Delay(20, ct);
                }
            }, CancellationToken.None);
        await writer!;

        Assert.Contains(progress.Lines, l => l.Contains("starting again at a new snapshot", StringComparison.Ordinal));
        Assert.True(report.Tables.Single(t => t.Table == "stocks").Rows > 5_000);
        Assert.Single(BackupFiles.Find(Path.Combine(test.DataDirectory, "backups")));
    }

    /// <summary>Returns once the import's rows have reached the pause.</summary>
    private static async Task WaitForAsync(ManualResetEventSlim paused, Task import)
    {
        while (!paused.IsSet)
        {
            if (import.IsCompleted)
            {
                await import;
                Assert.Fail("the import ended before its rows reached the pause");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Returns once the import has staged its first chunk (and has not promoted it yet).</summary>
    private static async Task WaitForStagedRowsAsync(TestStore store, Task import)
    {
        while (!import.IsCompleted)
        {
            if (store.Database is null && !File.Exists(Path.Combine(store.DataDirectory, MarketStore.SqliteFileName + MarketStore.SqliteStagingSuffix)))
            {
                await Task.Delay(5);
                continue;
            }

            await using DbConnection connection = store.Database is { } database ? new NpgsqlConnection(database) : await store.OpenSqliteAsync();
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync();
            }

            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM staging_daily_bars";
            if (Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return;
            }

            await Task.Delay(5);
        }

        await import;
        Assert.Fail("the import ended before anything staged was seen");
    }

    /// <summary>The rows, stopping after <paramref name="count"/> of them until <paramref name="resume"/> is set.</summary>
    private static IEnumerable<RawDailyRow> PausedAfter(IEnumerable<RawDailyRow> rows, int count, ManualResetEventSlim paused, ManualResetEventSlim resume)
    {
        var read = 0;
        foreach (var row in rows)
        {
            if (read++ == count)
            {
                paused.Set();
                resume.Wait(TimeSpan.FromMinutes(2));
            }

            yield return row;
        }
    }

    /// <summary>Progress lines as they are reported (Progress&lt;T&gt; would post them later).</summary>
    private sealed class LineProgress : IProgress<string>
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public void Report(string value) => Lines.Enqueue(value);
    }

    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
