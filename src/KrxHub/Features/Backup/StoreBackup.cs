using System.Data.Common;
using KrxHub.Shared;
using KrxHub.Storage;

namespace KrxHub.Features.Backup;

/// <summary>
/// `krxhub backup` and `krxhub restore`, and the scheduled backup: a backup is written beside its final name, verified
/// (opened, and its row counts compared with the source's at the backup's point), and only then given its name.
/// </summary>
public static class StoreBackup
{
    /// <summary>Writes and verifies a backup of <paramref name="store"/> into <paramref name="directory"/>.</summary>
    public static Task<BackupReport> BackupAsync(StoreLocation store, string directory, string? pgBinDirectory, TimeProvider time, IProgress<string> progress,
        CancellationToken ct) => BackupAsync(store, directory, pgBinDirectory, time, progress, null, ct);

    /// <summary>
    /// As above; <paramref name="atSnapshot"/> runs on the source connection inside the backup's snapshot (tests read the
    /// source there to compare a restore with it row by row).
    /// </summary>
    internal static async Task<BackupReport> BackupAsync(StoreLocation store, string directory, string? pgBinDirectory, TimeProvider time,
        IProgress<string> progress, Func<DbConnection, CancellationToken, Task>? atSnapshot, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(progress);
        // The tools first: a missing pg_dump is one clear line before anything is touched.
        (string Dump, string Restore)? pgTools = store.Database is null ? null : (PgTools.Locate("pg_dump", pgBinDirectory), PgTools.Locate("pg_restore", pgBinDirectory));
        if (store.Database is null && !File.Exists(SqlitePath(store)))
        {
            throw new CliException($"there is no SQLite store at {SqlitePath(store)}");
        }

        Directory.CreateDirectory(directory);
        var path = BackupFiles.NewPath(directory, store.Database is null ? BackupFiles.SqliteExtension : BackupFiles.PostgresExtension, time.GetUtcNow());
        var partial = path + ".partial";
        try
        {
            IReadOnlyList<TableCount> source;
            BackupContent written;
            if (pgTools is { } tools)
            {
                source = await PostgresBackup.BackupAsync(store.Database!, tools.Dump, partial, progress, atSnapshot, ct);
                progress.Report("verifying the archive with pg_restore");
                written = await PostgresBackup.ReadAsync(tools.Restore, partial, store.Database!, progress, ct);
            }
            else
            {
                source = await SqliteBackup.BackupAsync(SqlitePath(store), partial, progress, atSnapshot, ct);
                progress.Report("verifying the copy");
                written = await SqliteBackup.ReadAsync(partial, ct);
            }

            if (BackupFiles.Difference(source, written.Tables, "the source", "the backup") is { } difference)
            {
                throw new CliException($"the backup does not match the source at its point: {difference}");
            }

            File.Move(partial, path);
            return new BackupReport(path, store.Database is null ? "sqlite" : "postgresql", source, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// Restores <paramref name="file"/> into <paramref name="store"/>, which must hold no rows unless <paramref name="force"/>;
    /// then applies the migrations the backup predates and checks that every table has the backup's rows.
    /// </summary>
    public static async Task<IReadOnlyList<TableCount>> RestoreAsync(string file, StoreLocation store, bool force, string? pgBinDirectory,
        IProgress<string> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(progress);
        var fileBackend = BackupFiles.BackendOf(file);
        var storeBackend = store.Database is null ? "sqlite" : "postgresql";
        if (fileBackend != storeBackend)
        {
            throw new CliException($"{file} is a {fileBackend} backup; the store ({store.Describe()}) is {storeBackend}");
        }

        var pgRestore = store.Database is null ? null : PgTools.Locate("pg_restore", pgBinDirectory);
        progress.Report($"reading {Path.GetFileName(file)}");
        var content = pgRestore is null ? await SqliteBackup.ReadAsync(file, ct) : await PostgresBackup.ReadAsync(pgRestore, file, store.Database!, progress, ct);
        if (content.SchemaVersion > MarketStore.LatestSchemaVersion)
        {
            throw new CliException($"{file} has schema version {content.SchemaVersion}; this krxhub knows up to {MarketStore.LatestSchemaVersion}: restore it with a newer krxhub");
        }

        var existing = pgRestore is null ? await SqliteBackup.CountStoreAsync(SqlitePath(store), ct) : await PostgresBackup.CountStoreAsync(store.Database!, ct);
        var rows = existing.Where(t => t.Table != "schema_migrations").Sum(t => t.Rows);
        if (rows > 0 && !force)
        {
            throw new CliException($"the store ({store.Describe()}) is not empty ({rows:N0} rows); restoring replaces all of it: add --force to do so");
        }

        progress.Report($"restoring {content.Tables.Sum(t => t.Rows):N0} rows (schema version {content.SchemaVersion})");
        if (pgRestore is null)
        {
            await SqliteBackup.RestoreAsync(file, SqlitePath(store), ct);
        }
        else
        {
            await PostgresBackup.RestoreAsync(pgRestore, file, store.Database!, ct);
        }

        // The store's normal open applies the migrations a backup from an older krxhub lacks.
        await using (var opened = MarketStore.Open(store.Database, store.DataDirectory))
        {
            await opened.MigrateAsync(ct);
        }

        var restored = pgRestore is null ? await SqliteBackup.CountStoreAsync(SqlitePath(store), ct) : await PostgresBackup.CountStoreAsync(store.Database!, ct);
        var comparable = restored.Where(t => t.Table != "schema_migrations" || content.SchemaVersion == MarketStore.LatestSchemaVersion).ToList();
        // Since migration 13 SQLite stages in a file of its own: the staged rows of an older backup (a run that cannot
        // resume after a restore anyway) are left behind with the table the migration drops.
        var expected = content.Tables.Where(t => (t.Table != "schema_migrations" || content.SchemaVersion == MarketStore.LatestSchemaVersion)
            && !(pgRestore is null && t.Table == "staging_daily_bars")).ToList();
        if (BackupFiles.Difference(expected, comparable, "the backup", "the restored store") is { } difference)
        {
            throw new CliException($"the restored store does not match the backup: {difference}");
        }

        return restored;
    }

    private static string SqlitePath(StoreLocation store) => Path.GetFullPath(Path.Combine(store.DataDirectory, MarketStore.SqliteFileName));
}
