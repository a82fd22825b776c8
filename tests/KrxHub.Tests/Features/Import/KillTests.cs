using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Shared;
using Microsoft.Data.Sqlite;
using Npgsql;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>
/// Crash safety: SIGKILL in the middle of an import (while staging, or inside the promotion transaction), then a re-run,
/// equals one clean import. On SQLite both for a first load (straight into daily_bars inside one transaction) and for a
/// later, staged one.
/// </summary>
public class KillTests
{
    [Theory]
    [MemberData(nameof(Backends.Loads), MemberType = typeof(Backends))]
    public async Task Killing_an_import_midway_and_rerunning_it_leaves_exactly_the_rows_of_one_clean_import(string backend, bool firstLoad)
    {
        // 986,298 real rows: the kill at the first progress line (50,000 rows) comes seconds before the import could finish,
        // however slowly the test host reacts (with the 80k-row window, a loaded host once saw the import promote first).
        string[] import = ["import", BundledData.AdjustedHistory, "--basis", "adjusted"];

        await using var clean = await WithMasterAsync(backend, firstLoad, PriceBasis.Adjusted);
        var cleanRun = await CliProcess.RunAsync([.. import, .. clean.CliArgs]);
        Assert.True(cleanRun.ExitCode == 0, cleanRun.Stderr);

        await using var killed = await WithMasterAsync(backend, firstLoad, PriceBasis.Adjusted);
        var before = await BarsAsync(killed);

        // Start the import and kill it as soon as it reports its first rows.
        using (var p = Process.Start(CliProcess.StartInfo([.. import, .. killed.CliArgs]))!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            string? line;
            var sawProgress = false;
            while ((line = await p.StandardOutput.ReadLineAsync()) is not null)
            {
                if (line.Contains("50,000 rows", StringComparison.Ordinal))
                {
                    sawProgress = true;
                    p.Kill(); // SIGKILL
                    break;
                }
            }

            await p.WaitForExitAsync();
            Assert.True(sawProgress, "the import ended before it could be killed: " + await stderr);
        }

        await using (var store = await killed.OpenAsync())
        {
            Assert.Equal(before, await TestData.AllBarsAsync(store)); // nothing half-promoted
            var runs = await store.GetRunsAsync(10, 0, CancellationToken.None);
            Assert.Equal("running", runs.First(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Status);
        }

        var rerun = await CliProcess.RunAsync([.. import, .. killed.CliArgs]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);

        await using var a = await clean.OpenAsync();
        await using var b = await killed.OpenAsync();
        var expected = await TestData.AllBarsAsync(a);
        Assert.Equal(984_871, expected.Count); // 986,298 read, 1,427 quarantined (the seed's 4 keys are in the file)
        Assert.Equal(expected, await TestData.AllBarsAsync(b));
        var statuses = (await b.GetRunsAsync(10, 0, CancellationToken.None)).Where(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Select(r => r.Status).ToList();
        Assert.Equal(firstLoad ? ["succeeded", "abandoned"] : ["succeeded", "abandoned", "succeeded"], statuses); // newest first; the seed last
        Assert.Equal((await a.GetQuarantineAsync(null, null, 10_000, 0, CancellationToken.None)).Count,
            (await b.GetQuarantineAsync(null, null, 10_000, 0, CancellationToken.None)).Count);
    }

    [Theory]
    [MemberData(nameof(Backends.Loads), MemberType = typeof(Backends))]
    public async Task Killing_an_import_inside_its_promotion_transaction_promotes_nothing_and_a_rerun_equals_one_clean_import(string backend, bool firstLoad)
    {
        var file = BundledData.RawWindow;
        await using var clean = await WithMasterAsync(backend, firstLoad, PriceBasis.Raw);
        var cleanRun = await CliProcess.RunAsync(["import", file, .. clean.CliArgs]);
        Assert.True(cleanRun.ExitCode == 0, cleanRun.Stderr);

        await using var killed = await WithMasterAsync(backend, firstLoad, PriceBasis.Raw);
        var before = await BarsAsync(killed);

        // PostgreSQL: this test's own transaction holds daily_bars in SHARE mode from before the import starts (reads go on,
        // writes wait), so the promotion's first write to daily_bars waits for it inside the promotion transaction, for as long
        // as the test needs: the process is killed while it is seen waiting there, then the test's lock is released.
        // SQLite: after the "promoting" line every row is staged, so the next write transaction the process holds is the
        // promotion's; it is killed as soon as that write lock is seen from outside. A first load holds its one
        // transaction from its first bar on, so there it is the same transaction that is seen.
        await using var holder = killed.Database is null ? null : await DailyBarsWritesHeld.TakeAsync(killed.Database);
        int? promotingBackend = null;
        using (var p = Process.Start(CliProcess.StartInfo(["import", file, .. killed.CliArgs]))!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var killedInside = false;
            while (await p.StandardOutput.ReadLineAsync() is { } line)
            {
                if (!line.Contains(firstLoad ? "promoting the first load" : "promoting the staged bars", StringComparison.Ordinal))
                {
                    continue;
                }

                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (!p.HasExited && DateTime.UtcNow < deadline)
                {
                    if (holder is null ? SqliteWriteLockHeld(killed) : (promotingBackend = await holder.PromotionWaitingAsync()) is not null)
                    {
                        p.Kill(); // SIGKILL
                        killedInside = true;
                        break;
                    }
                }

                break;
            }

            await p.WaitForExitAsync();
            Assert.True(killedInside, "the promotion transaction was never seen open: " + await stderr);
        }

        if (holder is not null)
        {
            // The killed client's server session finishes the statement it was waiting in, finds its client gone and rolls
            // back; nothing can commit it. Checked once that session has ended.
            await holder.ReleaseAsync();
            Assert.True(await holder.EndedAsync(promotingBackend!.Value, TimeSpan.FromSeconds(60)), "the killed import's server session never ended");
        }

        await using (var store = await killed.OpenAsync())
        {
            Assert.Equal(before, await TestData.AllBarsAsync(store)); // the transaction rolled back as a whole
            // A first load staged nothing: its bars were in the transaction that rolled back.
            Assert.Equal(firstLoad ? 0 : 80_712, await ScalarAsync(killed, "SELECT count(*) FROM staging_daily_bars"));
            Assert.Equal("running", (await store.GetRunsAsync(10, 0, CancellationToken.None)).First(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Status);
            if (backend == "sqlite")
            {
                // The promotion (a first load: the load) drops and rebuilds the by-date index inside its transaction: the index is back.
                Assert.Equal(1, await ScalarAsync(killed, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'daily_bars_by_date'"));
            }
        }

        var rerun = await CliProcess.RunAsync(["import", file, .. killed.CliArgs]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        await using var a = await clean.OpenAsync();
        await using var b = await killed.OpenAsync();
        Assert.Equal(await TestData.AllBarsAsync(a), await TestData.AllBarsAsync(b));
        Assert.Equal(0, await ScalarAsync(killed, "SELECT count(*) FROM staging_daily_bars"));
        var statuses = (await b.GetRunsAsync(10, 0, CancellationToken.None)).Where(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Select(r => r.Status).ToList();
        Assert.Equal(firstLoad ? ["succeeded", "abandoned"] : ["succeeded", "abandoned", "succeeded"], statuses); // newest first; the seed last
    }

    /// <summary>A fresh store of <paramref name="backend"/> holding the bundled master, and unless <paramref name="firstLoad"/> a few bars on <paramref name="basis"/>.</summary>
    private static async Task<TestStore> WithMasterAsync(string backend, bool firstLoad, PriceBasis basis)
    {
        var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        if (!firstLoad)
        {
            await TestData.SeedBasisAsync(store, test.DataDirectory, basis);
        }

        return test;
    }

    private static async Task<List<string>> BarsAsync(TestStore test)
    {
        await using var store = await test.OpenAsync();
        return await TestData.AllBarsAsync(store);
    }

    /// <summary>True while some connection holds the SQLite store's write lock (checked from outside the process).</summary>
    private static bool SqliteWriteLockHeld(TestStore test)
    {
        // BEGIN IMMEDIATE fails at once while another connection holds SQLite's write lock. Called through SQLitePCL
        // directly: Microsoft.Data.Sqlite retries a busy statement for its whole command timeout (a second at least).
        var path = Path.Combine(test.DataDirectory, "krxhub.db");
        SQLitePCL.Batteries_V2.Init();
        if (SQLitePCL.raw.sqlite3_open_v2(path, out var db, SQLitePCL.raw.SQLITE_OPEN_READWRITE, null) != SQLitePCL.raw.SQLITE_OK)
        {
            db.Dispose();
            return false;
        }

        using (db)
        {
            SQLitePCL.raw.sqlite3_busy_timeout(db, 0);
            var rc = SQLitePCL.raw.sqlite3_exec(db, "BEGIN IMMEDIATE");
            if (rc == SQLitePCL.raw.SQLITE_OK)
            {
                SQLitePCL.raw.sqlite3_exec(db, "ROLLBACK");
                return false;
            }

            return rc is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED;
        }
    }

    private static async Task<long> ScalarAsync(TestStore test, string sql)
    {
        if (test.Database is null)
        {
            await using var connection = await test.OpenSqliteAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var pg = new NpgsqlConnection(test.Database);
        await pg.OpenAsync();
        await using var pgCommand = new NpgsqlCommand(sql, pg);
        return Convert.ToInt64(await pgCommand.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
