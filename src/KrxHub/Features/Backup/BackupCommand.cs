using System.CommandLine;
using System.Globalization;
using KrxHub.Shared;

namespace KrxHub.Features.Backup;

/// <summary>`krxhub backup` and `krxhub restore`.</summary>
public static class BackupCommand
{
    public static Command Create()
    {
        var to = new Option<string?>("--to") { Description = "Directory for the backup (default KRXHUB_BACKUP__DIRECTORY, else <data-dir>/backups)" };
        var command = new Command("backup", """
            Write a consistent backup of the store while the hub keeps running, then verify it (open it and compare
            every table's rows with the source at the backup's point). SQLite: SQLite's online backup API, a .sqlite
            file. PostgreSQL: pg_dump -Fc (needs the PostgreSQL client tools on PATH or KRXHUB_BACKUP__PGBINDIRECTORY).

            Examples:
              krxhub backup
              krxhub backup --to /mnt/backups/krxhub
              krxhub backup --database "Host=127.0.0.1;Port=5432;Username=krx;Database=krxhub" --to /mnt/backups
            """);
        command.Options.Add(to);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var settings = HubSettings.Load().Backup;
            var location = StoreLocation.Resolve(parse.GetValue(CliSupport.DataDir), parse.GetValue(CliSupport.Database));
            var directory = parse.GetValue(to) is { } given ? Path.GetFullPath(given) : settings.DirectoryFor(location.DataDirectory);
            Console.WriteLine($"backup of {location.Describe()} into {directory}");
            var report = await OneLineAsync(location, () => StoreBackup.BackupAsync(location, directory, settings.PgBinDirectory, TimeProvider.System, new ConsoleProgress(), ct));
            Console.WriteLine($"verified: every table of the backup has the rows the source had at the backup's point");
            foreach (var line in BackupFiles.Describe(report.Tables))
            {
                Console.WriteLine(line);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Path} ({report.Bytes / 1048576.0:N1} MB)"));
            return 0;
        }));
        return command;
    }

    public static Command CreateRestore()
    {
        var file = new Argument<string>("file") { Description = "A backup written by `krxhub backup` (.sqlite or .pgdump)" };
        var force = new Option<bool>("--force") { Description = "Replace a store that already holds data (everything in it is lost)" };
        var command = new Command("restore", """
            Restore a backup into an empty store (a new data directory or database, or one with only the schema).
            A store that holds data is refused unless --force is given. Stop the hub first. After the restore the
            migrations a backup from an older krxhub lacks are applied, and every table's rows are checked against
            the backup.

            Examples:
              krxhub restore krxhub-data/backups/krxhub-20261206T183000.000Z.sqlite --data-dir ./restored
              krxhub restore krxhub-20261206T183000.000Z.pgdump --database "Host=127.0.0.1;Username=krx;Database=krxhub_new"
              krxhub restore krxhub-20261206T183000.000Z.sqlite --force
            """);
        command.Arguments.Add(file);
        command.Options.Add(force);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var settings = HubSettings.Load().Backup;
            var location = StoreLocation.Resolve(parse.GetValue(CliSupport.DataDir), parse.GetValue(CliSupport.Database));
            var path = Path.GetFullPath(parse.GetValue(file)!);
            Console.WriteLine($"restore of {path} into {location.Describe()}");
            var tables = await OneLineAsync(location, () => StoreBackup.RestoreAsync(path, location, parse.GetValue(force), settings.PgBinDirectory, new ConsoleProgress(), ct));
            Console.WriteLine("restored and verified: every table has the backup's rows");
            foreach (var line in BackupFiles.Describe(tables))
            {
                Console.WriteLine(line);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>A store that cannot be reached or a file that cannot be written is one line, as every verb's failures are.</summary>
    private static async Task<T> OneLineAsync<T>(StoreLocation location, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            throw new CliException($"{location.Describe()}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>Progress lines as they come (synchronously, so that they print in order).</summary>
    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine($"  {value}");
    }
}
