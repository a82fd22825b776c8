using System.Data.Common;
using System.Globalization;
using KrxHub.Shared;
using Microsoft.Data.Sqlite;

namespace KrxHub.Features.Backup;

/// <summary>
/// Backup and restore of the SQLite store with SQLite's online backup API (<see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>).
/// The backup API rather than VACUUM INTO: it copies through a connection that already holds an open read transaction,
/// so the row counts taken in that transaction are exactly the snapshot the copy holds, while the hub keeps writing
/// (WAL: readers do not block writers). VACUUM INTO refuses to run inside a transaction, so counts taken around it
/// could belong to another moment.
/// </summary>
internal static class SqliteBackup
{
    /// <summary>Copies the store at <paramref name="databasePath"/> to <paramref name="target"/>; returns its row counts at the copy's snapshot.</summary>
    public static async Task<IReadOnlyList<TableCount>> BackupAsync(string databasePath, string target, IProgress<string> progress,
        Func<DbConnection, CancellationToken, Task>? atSnapshot, CancellationToken ct)
    {
        if (!File.Exists(databasePath))
        {
            throw new CliException($"there is no SQLite store at {databasePath}");
        }

        await using var source = await OpenAsync(databasePath, SqliteOpenMode.ReadWrite, ct);
        // A plain BEGIN (not a SqliteTransaction): the snapshot starts with the first read and lasts to the ROLLBACK.
        await ExecuteAsync(source, "BEGIN", ct);
        try
        {
            var counts = await CountAsync(source, ct);
            if (atSnapshot is not null)
            {
                await atSnapshot(source, ct);
            }

            progress.Report($"copying {Megabytes(databasePath)} at the snapshot ({counts.Sum(t => t.Rows):N0} rows in {counts.Count} tables)");
            await using (var destination = await OpenAsync(target, SqliteOpenMode.ReadWriteCreate, ct))
            {
                // One step of all pages under the open read transaction: the copy is that snapshot, whatever is written meanwhile.
                await Task.Run(() => source.BackupDatabase(destination), ct);
                // A backup is one self-contained file: no -wal beside it.
                await ExecuteAsync(destination, "PRAGMA journal_mode = DELETE", ct);
            }

            return counts;
        }
        finally
        {
            await ExecuteAsync(source, "ROLLBACK", CancellationToken.None);
        }
    }

    /// <summary>Opens a backup read-only, checks its pages (quick_check) and reads its counts and schema version.</summary>
    public static async Task<BackupContent> ReadAsync(string path, CancellationToken ct)
    {
        await using var backup = await OpenAsync(path, SqliteOpenMode.ReadOnly, ct);
        await using (var check = Command(backup, "PRAGMA quick_check"))
        {
            var result = Convert.ToString(await check.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
            {
                throw new CliException($"{path} is damaged: {result}");
            }
        }

        var counts = await CountAsync(backup, ct);
        if (!counts.Any(t => t.Table == "schema_migrations"))
        {
            throw new CliException($"{path} is not a KrxHub store (it has no schema_migrations table)");
        }

        await using var version = Command(backup, "SELECT coalesce(max(version), 0) FROM schema_migrations");
        return new BackupContent(counts, Convert.ToInt32(await version.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture));
    }

    /// <summary>The row counts of the store at <paramref name="databasePath"/>; empty when there is no file.</summary>
    public static async Task<IReadOnlyList<TableCount>> CountStoreAsync(string databasePath, CancellationToken ct)
    {
        if (!File.Exists(databasePath))
        {
            return [];
        }

        await using var store = await OpenAsync(databasePath, SqliteOpenMode.ReadWrite, ct);
        return await CountAsync(store, ct);
    }

    /// <summary>Replaces the content of the store at <paramref name="databasePath"/> with the backup (the backup API again, page by page under the store's write lock).</summary>
    public static async Task RestoreAsync(string backupPath, string databasePath, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        await using var backup = await OpenAsync(backupPath, SqliteOpenMode.ReadOnly, ct);
        await using var store = await OpenAsync(databasePath, SqliteOpenMode.ReadWriteCreate, ct);
        await Task.Run(() => backup.BackupDatabase(store), ct);
        await ExecuteAsync(store, "PRAGMA journal_mode = WAL", ct);
    }

    private static async Task<IReadOnlyList<TableCount>> CountAsync(SqliteConnection connection, CancellationToken ct)
    {
        var tables = new List<string>();
        await using (var list = Command(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var counts = new List<TableCount>(tables.Count);
        foreach (var table in tables)
        {
            await using var count = Command(connection, $"SELECT count(*) FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
            counts.Add(new TableCount(table, Convert.ToInt64(await count.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture)));
        }

        return counts;
    }

    /// <summary>Unpooled, so that the file is closed when the connection is (a backup is moved right after it is written).</summary>
    private static async Task<SqliteConnection> OpenAsync(string path, SqliteOpenMode mode, CancellationToken ct)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = 300 }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            await ExecuteAsync(connection, "PRAGMA busy_timeout = 30000", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static string Megabytes(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length / 1048576.0:N1} MB");
}
