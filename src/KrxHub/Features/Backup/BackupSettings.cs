namespace KrxHub.Features.Backup;

/// <summary>
/// The scheduled backup of `serve` and where backups go (KRXHUB_BACKUP__ENABLED, __DIRECTORY, __RETENTION, __TIME,
/// __PGBINDIRECTORY). Off by default: a backup belongs on another disk, which only the operator can name.
/// </summary>
public sealed record BackupSettings
{
    public const string SectionName = "Backup";

    /// <summary>Run one verified backup a day inside `serve` (one node of a store runs it).</summary>
    public bool Enabled { get; init; }

    /// <summary>Where backups are written; null: <c>&lt;data-dir&gt;/backups</c>.</summary>
    public string? Directory { get; init; }

    /// <summary>How many scheduled backups are kept; older ones are deleted after each new verified one.</summary>
    public int Retention { get; init; } = 7;

    /// <summary>The time of day (KST) of the daily backup; a hub started later that day takes it at once.</summary>
    public TimeSpan Time { get; init; } = new(3, 30, 0);

    /// <summary>Where pg_dump and pg_restore are; null: found on PATH.</summary>
    public string? PgBinDirectory { get; init; }

    /// <summary>Null when usable; otherwise one line naming the bad setting by its environment name.</summary>
    public string? Validate()
    {
        if (Retention < 1)
        {
            return "KRXHUB_BACKUP__RETENTION must be at least 1";
        }

        return Time < TimeSpan.Zero || Time >= TimeSpan.FromDays(1) ? "KRXHUB_BACKUP__TIME must be a time of day (KST) such as 03:30" : null;
    }

    /// <summary>The backup directory for a store whose data directory is <paramref name="dataDirectory"/>.</summary>
    public string DirectoryFor(string dataDirectory) => Path.GetFullPath(Directory ?? Path.Combine(dataDirectory, "backups"));
}
