using System.CommandLine;
using KrxHub.Storage;

namespace KrxHub.Shared;

/// <summary>What every verb shares: the store options (--data-dir, --database), opening the store, and one-line failures.</summary>
public static class CliSupport
{
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Directory for the SQLite store (default ./krxhub-data, or KRXHUB_DATA_DIR)",
        Recursive = true,
    };

    public static readonly Option<string?> Database = new("--database")
    {
        Description = "PostgreSQL connection string instead of SQLite (or KRXHUB_DATABASE), e.g. \"Host=127.0.0.1;Port=5432;Username=krx;Password=…;Database=krxhub\"",
        Recursive = true,
    };

    /// <summary>Opens the store named by --data-dir/--database and applies migrations.</summary>
    public static async Task<MarketStore> OpenStoreAsync(ParseResult parse, CancellationToken ct)
    {
        var location = StoreLocation.Resolve(parse.GetValue(DataDir), parse.GetValue(Database));
        MarketStore? store = null;
        try
        {
            store = MarketStore.Open(location.Database, location.DataDirectory);
            await store.MigrateAsync(ct);
            return store;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }

            throw new CliException($"cannot open the store ({location.Describe()}): {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>Runs a verb body and turns expected failures into a one-line message and exit code.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return 130;
        }
    }
}

/// <summary>An expected failure of a verb: printed as one line, no stack trace.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
