using System.Data.Common;
using System.Globalization;
using KrxHub.Shared;
using Npgsql;

namespace KrxHub.Features.Backup;

/// <summary>
/// Backup and restore of the PostgreSQL store with pg_dump -Fc and pg_restore. The counts and the dump see one snapshot:
/// a repeatable-read transaction exports its snapshot, counts in it, and pg_dump --snapshot dumps that same snapshot
/// while the hub writes on. Counts are per table that holds rows (each partition of daily_bars and minute_bars apart),
/// as pg_restore's data stream names them.
/// </summary>
internal static class PostgresBackup
{
    /// <summary>Attempts of a backup whose pg_dump could not lock its tables in <see cref="LockWait"/>.</summary>
    public const int Attempts = 3;

    /// <summary>
    /// How long pg_dump waits for its table locks. The snapshot's own counts hold shared locks on every table, so a writer
    /// that asks for an exclusive one meanwhile (an import's TRUNCATE of the staging table) queues behind them, and pg_dump's
    /// shared lock queues behind that writer: a wait through this process that PostgreSQL cannot see as a deadlock. pg_dump
    /// gives up after this long, the snapshot ends, the writer goes on, and the backup starts again.
    /// </summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyList<TableCount>> BackupAsync(string connectionString, string pgDump, string target, IProgress<string> progress,
        Func<DbConnection, CancellationToken, Task>? atSnapshot, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BackupOnceAsync(connectionString, pgDump, target, progress, atSnapshot, ct);
            }
            catch (CliException e) when (attempt < Attempts && e.Message.Contains("statement timeout", StringComparison.Ordinal) && e.Message.Contains("LOCK TABLE", StringComparison.Ordinal))
            {
                File.Delete(target);
                progress.Report($"a writer was waiting for a table lock; starting again at a new snapshot (attempt {attempt + 1} of {Attempts})");
            }
        }
    }

    private static async Task<IReadOnlyList<TableCount>> BackupOnceAsync(string connectionString, string pgDump, string target, IProgress<string> progress,
        Func<DbConnection, CancellationToken, Task>? atSnapshot, CancellationToken ct)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        await ExecuteAsync(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", ct);
        await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection);
        var snapshot = (string)(await export.ExecuteScalarAsync(ct))!;
        var counts = await CountAsync(connection, ct);
        if (atSnapshot is not null)
        {
            await atSnapshot(connection, ct);
        }

        var withRows = counts.Where(t => t.Rows > 0).Select(t => t.Table).ToHashSet(StringComparer.Ordinal);
        progress.Report($"pg_dump at the snapshot ({counts.Sum(t => t.Rows):N0} rows in {counts.Count} tables)");
        await PgTools.RunAsync(pgDump, ["--format=custom", "--verbose", "--snapshot=" + snapshot,
            $"--lock-wait-timeout={(int)LockWait.TotalMilliseconds}", "--file=" + target], connectionString, null,
            line =>
            {
                // --verbose names each table as its data is dumped: the progress of a long dump (the many empty partitions left out).
                const string Dumping = "dumping contents of table ";
                if (line.IndexOf(Dumping, StringComparison.Ordinal) is var at and >= 0 && withRows.Contains(TableOfCopy("COPY " + line[(at + Dumping.Length)..] + " ")))
                {
                    progress.Report(line[at..]);
                }
            }, ct);
        await ExecuteAsync(connection, "COMMIT", ct);
        return counts;
    }

    /// <summary>
    /// Checks an archive with pg_restore: its table of contents (--list), then every row of its data stream, counted per
    /// table; the schema version is read from the schema_migrations rows on the way.
    /// </summary>
    public static async Task<BackupContent> ReadAsync(string pgRestore, string path, string connectionString, IProgress<string> progress, CancellationToken ct)
    {
        var entries = 0;
        await PgTools.RunAsync(pgRestore, ["--list", path], connectionString, line => entries += line.StartsWith(';') ? 0 : 1, null, ct);
        progress.Report($"archive lists {entries} entries; reading its data");

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        string? table = null;
        var version = 0;
        await PgTools.RunAsync(pgRestore, ["--data-only", "--file=-", path], connectionString, line =>
        {
            if (table is null)
            {
                if (line.StartsWith("COPY ", StringComparison.Ordinal) && line.EndsWith("FROM stdin;", StringComparison.Ordinal))
                {
                    table = TableOfCopy(line);
                    counts.TryAdd(table, 0);
                }

                return;
            }

            if (line == "\\.")
            {
                table = null;
                return;
            }

            counts[table]++;
            if (table == "schema_migrations" && int.TryParse(line.AsSpan(0, line.IndexOf('\t') is var tab and >= 0 ? tab : line.Length), CultureInfo.InvariantCulture, out var v))
            {
                version = Math.Max(version, v);
            }
        }, null, ct);

        if (!counts.ContainsKey("schema_migrations"))
        {
            throw new CliException($"{path} is not a KrxHub store (it has no schema_migrations table)");
        }

        return new BackupContent([.. counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new TableCount(c.Key, c.Value))], version);
    }

    /// <summary>The row counts of every table of the store's schema that holds rows.</summary>
    public static async Task<IReadOnlyList<TableCount>> CountStoreAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = await OpenAsync(connectionString, ct);
        return await CountAsync(connection, ct);
    }

    /// <summary>Drops every table of the store's schema (their views and sequences go with them), then pg_restore in one transaction.</summary>
    public static async Task RestoreAsync(string pgRestore, string path, string connectionString, CancellationToken ct)
    {
        await using (var connection = await OpenAsync(connectionString, ct))
        {
            var tables = new List<string>();
            await using (var list = new NpgsqlCommand("""
                SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                """, connection))
            await using (var reader = await list.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    tables.Add(reader.GetString(0));
                }
            }

            if (tables.Count > 0)
            {
                await ExecuteAsync(connection, $"DROP TABLE IF EXISTS {string.Join(", ", tables)} CASCADE", ct);
            }
        }

        // Owners and grants name roles of the source server, which this one may not have: the restoring login owns it all.
        await PgTools.RunAsync(pgRestore, ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            "--dbname=" + PgTools.DatabaseName(connectionString), path], connectionString, null, null, ct);
    }

    private static async Task<IReadOnlyList<TableCount>> CountAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname COLLATE "C"
            """, connection))
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
            // ONLY: a table's own rows; each partition is counted as itself, as pg_restore streams it.
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM ONLY \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            counts.Add(new TableCount(table, (long)(await count.ExecuteScalarAsync(ct))!));
        }

        return counts;
    }

    /// <summary>The table of "COPY public.daily_bars_2024 (code, …) FROM stdin;", without its schema.</summary>
    private static string TableOfCopy(string line)
    {
        var name = line["COPY ".Length..line.IndexOf(' ', "COPY ".Length)];
        var dot = name.LastIndexOf('.');
        return (dot >= 0 ? name[(dot + 1)..] : name).Trim('"');
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}
