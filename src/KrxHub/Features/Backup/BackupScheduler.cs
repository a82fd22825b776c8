using System.Globalization;
using KrxHub.Core;
using KrxHub.Shared;
using KrxHub.Storage;

namespace KrxHub.Features.Backup;

/// <summary>Where the scheduled backup of this hub reads from and writes to.</summary>
public sealed record BackupPlan(StoreLocation Store, BackupSettings Settings)
{
    public string Directory => Settings.DirectoryFor(Store.DataDirectory);
}

/// <summary>
/// The daily backup of `serve` (KRXHUB_BACKUP__ENABLED=true): once per KST day at or after <see cref="BackupSettings.Time"/>,
/// a verified backup, then retention. On several nodes of one store exactly one takes it: the runner holds the
/// "schedule:backup" lease while it checks, backs up and records the day in job_occurrences, and a node that gets the
/// lease later finds the day recorded. A failed backup is tried again after <see cref="RetryAfter"/>.
/// </summary>
public sealed class BackupScheduler(BackupPlan plan, MarketStore store, TimeProvider time, ILogger<BackupScheduler> logger) : BackgroundService
{
    public const string Job = "backup";

    public static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(15);

    private DateTimeOffset _retryAt = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Backup: daily at {Time} KST into {Directory}, keeping the newest {Retention}",
            plan.Settings.Time.ToString(@"hh\:mm", CultureInfo.InvariantCulture), plan.Directory, plan.Settings.Retention);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _retryAt = time.GetUtcNow() + RetryAfter;
                logger.LogError("Scheduled backup failed: {Error}; next attempt in {RetryAfter}", e.Message.ReplaceLineEndings(" "), RetryAfter);
            }

            try
            {
                await Task.Delay(PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Takes today's backup when it is due and no node has taken it; returns it, or null when there was nothing to do here.</summary>
    public async Task<BackupReport?> RunDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var kst = now.ToOffset(KrxCalendar.KstOffset);
        if (kst.TimeOfDay < plan.Settings.Time || now < _retryAt)
        {
            return null;
        }

        var day = KrxCalendar.KstDate(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var lease = await store.TryAcquireLeaseAsync("schedule:" + Job, ct);
        if (lease is null || await store.IsOccurrenceDoneAsync(Job, day, ct))
        {
            return null; // another node is taking it, or took it
        }

        logger.LogInformation("Scheduled backup {Day}: starting", day);
        var report = await StoreBackup.BackupAsync(plan.Store, plan.Directory, plan.Settings.PgBinDirectory, time, new LogProgress(logger), ct);
        var deleted = BackupFiles.ApplyRetention(plan.Directory, plan.Settings.Retention);
        await store.RecordOccurrenceAsync(Job, day, null, time.GetUtcNow(), ct);
        logger.LogInformation("Scheduled backup {Day}: {Path} verified ({Rows} rows in {Tables} tables); {Deleted} old backups deleted",
            day, report.Path, report.Tables.Sum(t => t.Rows), report.Tables.Count, deleted.Count);
        return report;
    }

    private sealed class LogProgress(ILogger logger) : IProgress<string>
    {
        public void Report(string value) => logger.LogInformation("Scheduled backup: {Step}", value);
    }
}

public static class BackupServices
{
    /// <summary>The daily backup, when KRXHUB_BACKUP__ENABLED is true.</summary>
    public static IServiceCollection AddBackup(this IServiceCollection services, HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(new BackupPlan(options.Store, options.Settings.Backup));
        services.AddSingleton<BackupScheduler>();
        if (options.Settings.Backup.Enabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<BackupScheduler>());
        }

        return services;
    }
}
