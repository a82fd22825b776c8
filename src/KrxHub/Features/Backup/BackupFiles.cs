using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using KrxHub.Shared;

namespace KrxHub.Features.Backup;

/// <summary>The rows of one table, in the source at the backup's point or in a backup.</summary>
public sealed record TableCount(string Table, long Rows);

/// <summary>A written and verified backup: its file, and the row counts of the source at the backup's point (equal to the backup's).</summary>
public sealed record BackupReport(string Path, string Backend, IReadOnlyList<TableCount> Tables, long Bytes);

/// <summary>What a backup holds: row counts per table and the schema version it was taken at.</summary>
internal sealed record BackupContent(IReadOnlyList<TableCount> Tables, int SchemaVersion);

/// <summary>
/// Backup file names (krxhub-20261206T033000.123Z.sqlite / .pgdump: UTC, so that names sort by age), which backend a file
/// belongs to, and retention. Only files with exactly this name shape are ever deleted.
/// </summary>
public static partial class BackupFiles
{
    public const string SqliteExtension = ".sqlite";
    public const string PostgresExtension = ".pgdump";

    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");
    private static readonly byte[] PostgresMagic = Encoding.ASCII.GetBytes("PGDMP");

    /// <summary>A new file name in <paramref name="directory"/> for a backup taken at <paramref name="now"/>, never an existing one.</summary>
    public static string NewPath(string directory, string extension, DateTimeOffset now)
    {
        var at = now.ToUniversalTime();
        while (true)
        {
            var path = Path.Combine(directory, $"krxhub-{at.ToString("yyyyMMdd'T'HHmmss.fff", CultureInfo.InvariantCulture)}Z{extension}");
            if (!File.Exists(path) && !File.Exists(path + ".partial"))
            {
                return path;
            }

            at = at.AddMilliseconds(1);
        }
    }

    /// <summary>The backups in <paramref name="directory"/>, oldest first.</summary>
    public static IReadOnlyList<string> Find(string directory) => !Directory.Exists(directory) ? []
        : [.. Directory.EnumerateFiles(directory).Where(f => BackupName().IsMatch(Path.GetFileName(f))).Order(StringComparer.Ordinal)];

    /// <summary>Deletes the oldest backups beyond the newest <paramref name="keep"/>; returns the deleted files.</summary>
    public static IReadOnlyList<string> ApplyRetention(string directory, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var backups = Find(directory);
        var doomed = backups.Take(Math.Max(0, backups.Count - keep)).ToList();
        foreach (var file in doomed)
        {
            File.Delete(file);
        }

        return doomed;
    }

    /// <summary>"sqlite" or "postgresql" by the file's first bytes, or a one-line error.</summary>
    public static string BackendOf(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{path} does not exist");
        }

        Span<byte> head = stackalloc byte[16];
        using (var file = File.OpenRead(path))
        {
            head = head[..file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        }

        return head.StartsWith(SqliteMagic) ? "sqlite"
            : head.StartsWith(PostgresMagic) ? "postgresql"
            : throw new CliException($"{path} is neither a SQLite database nor a pg_dump custom-format archive");
    }

    /// <summary>The counts as printed lines: every table with rows, then how many tables are empty.</summary>
    public static IEnumerable<string> Describe(IReadOnlyList<TableCount> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var width = tables.Count == 0 ? 0 : tables.Max(t => t.Table.Length);
        foreach (var table in tables.Where(t => t.Rows > 0))
        {
            yield return $"  {table.Table.PadRight(width)}  {table.Rows.ToString("N0", CultureInfo.InvariantCulture),12}";
        }

        var empty = tables.Count(t => t.Rows == 0);
        if (empty > 0)
        {
            yield return $"  ({empty} empty tables)";
        }
    }

    /// <summary>Null when every table has the same rows in both (a table missing from one side counts as empty); else one line.</summary>
    internal static string? Difference(IReadOnlyList<TableCount> expected, IReadOnlyList<TableCount> actual, string expectedName, string actualName)
    {
        var left = expected.ToDictionary(t => t.Table, t => t.Rows, StringComparer.Ordinal);
        var right = actual.ToDictionary(t => t.Table, t => t.Rows, StringComparer.Ordinal);
        var differing = left.Keys.Union(right.Keys).Order(StringComparer.Ordinal)
            .Where(t => left.GetValueOrDefault(t) != right.GetValueOrDefault(t))
            .Select(t => $"{t}: {left.GetValueOrDefault(t)} in {expectedName}, {right.GetValueOrDefault(t)} in {actualName}")
            .ToList();
        return differing.Count == 0 ? null : string.Join("; ", differing);
    }

    [GeneratedRegex(@"^krxhub-\d{8}T\d{6}\.\d{3}Z\.(sqlite|pgdump)$", RegexOptions.CultureInvariant)]
    private static partial Regex BackupName();
}
