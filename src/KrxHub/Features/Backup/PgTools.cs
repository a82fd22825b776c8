using System.Diagnostics;
using KrxHub.Shared;
using Npgsql;

namespace KrxHub.Features.Backup;

/// <summary>
/// pg_dump and pg_restore as child processes. The connection goes to them through libpq's PG* environment variables,
/// never on the command line, where any local user could read the password.
/// </summary>
internal static class PgTools
{
    /// <summary>The full path of <paramref name="tool"/> in <paramref name="binDirectory"/> or on PATH, or a one-line error.</summary>
    public static string Locate(string tool, string? binDirectory)
    {
        if (!string.IsNullOrWhiteSpace(binDirectory))
        {
            var configured = Path.Combine(binDirectory, tool);
            return File.Exists(configured) ? configured
                : throw new CliException($"{tool} was not found in {binDirectory} (KRXHUB_BACKUP__PGBINDIRECTORY)");
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CliException($"{tool} was not found on PATH: install the PostgreSQL client tools (Debian: apt-get install postgresql-client) "
            + "or set KRXHUB_BACKUP__PGBINDIRECTORY to the directory that holds them");
    }

    /// <summary>
    /// Runs the tool to its end; each line of its standard output goes to <paramref name="onOutput"/> as it comes, each
    /// line of its standard error to <paramref name="onError"/>. A non-zero exit is a one-line error with its last message.
    /// </summary>
    public static async Task RunAsync(string tool, IEnumerable<string> arguments, string connectionString, Action<string>? onOutput, Action<string>? onError,
        CancellationToken ct)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        SetConnection(start, connectionString);
        using var process = Process.Start(start) ?? throw new CliException($"{Path.GetFileName(tool)} could not be started");
        // The message: the tool's error lines (an error and its "detail: Query was …" come apart), not its --verbose progress.
        var errors = new List<string>();
        string? lastLine = null;
        var output = PumpAsync(process.StandardOutput, onOutput, ct);
        var error = PumpAsync(process.StandardError, line =>
        {
            lastLine = line;
            if (line.Contains("error:", StringComparison.Ordinal) || line.Contains("detail:", StringComparison.Ordinal) || line.Contains("FATAL", StringComparison.Ordinal))
            {
                errors.Add(line);
            }

            onError?.Invoke(line);
        }, ct);
        try
        {
            await process.WaitForExitAsync(ct);
            await Task.WhenAll(output, error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new CliException($"{Path.GetFileName(tool)} failed (exit {process.ExitCode}): {(errors.Count > 0 ? string.Join(" / ", errors.TakeLast(3)) : lastLine ?? "no message")}");
        }
    }

    /// <summary>libpq's variables for the parts of an Npgsql connection string that name the server and the login.</summary>
    public static void SetConnection(ProcessStartInfo start, string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Set(start, "PGHOST", builder.Host);
        Set(start, "PGPORT", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(start, "PGUSER", builder.Username);
        Set(start, "PGPASSWORD", builder.Password);
        Set(start, "PGDATABASE", builder.Database);
        Set(start, "PGSSLMODE", builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        });
    }

    /// <summary>The database name of a connection string (pg_restore writes into the database its --dbname names).</summary>
    public static string DatabaseName(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString).Database ?? throw new CliException("the PostgreSQL connection string names no Database");

    private static void Set(ProcessStartInfo start, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            start.Environment[name] = value;
        }
        else
        {
            start.Environment.Remove(name);
        }
    }

    private static async Task PumpAsync(StreamReader reader, Action<string>? onLine, CancellationToken ct)
    {
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            onLine?.Invoke(line);
        }
    }
}
