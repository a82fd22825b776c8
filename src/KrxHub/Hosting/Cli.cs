using System.CommandLine;
using KrxHub.Shared;
using KrxHub.Storage;

namespace KrxHub.Hosting;

/// <summary>The `krxhub` command line: the root command over the verbs Program.cs lists; `serve` is the default verb.</summary>
public static class Cli
{
    /// <summary>Runs `krxhub` with <paramref name="verbs"/> (Program.cs lists them); the first verb, serve, is also the default.</summary>
    public static async Task<int> RunAsync(string[] args, IReadOnlyList<Command> verbs)
    {
        ArgumentNullException.ThrowIfNull(verbs);
        var root = new RootCommand("""
            KrxHub: one validated source of truth for KRX (KOSPI, KOSDAQ, KONEX) market data.
            Without a verb it serves the hub (same as `krxhub serve`).

            Examples:
              krxhub                                   serve on http://127.0.0.1:5080 with SQLite in ./krxhub-data
              krxhub import prices.csv --basis raw     validate and load a file
              krxhub db migrate --database "Host=…"    create or upgrade the PostgreSQL schema
              krxhub quality-report --date 2024-01-02  accepted and quarantined rows of one session
              krxhub backtest --strategy sma-cross --codes 005930 --from 2024-01-02 --to 2025-06-16
              krxhub collect daily --date 2026-04-14    fetch one session from Kiwoom (keys in KRXHUB_KIWOOM__…)
              krxhub backfill daily --from 2024-01-02  fetch a range, resumable after a kill
              krxhub calendar --calendar-file krx-2027.csv  the calendar's coverage, with next year's closed days
            """);
        root.Options.Add(CliSupport.DataDir);
        root.Options.Add(CliSupport.Database);

        foreach (var verb in verbs)
        {
            root.Subcommands.Add(verb);
        }

        var serve = verbs[0];

        // No verb: behave exactly like `serve` with its defaults.
        foreach (var option in serve.Options)
        {
            root.Options.Add(option);
        }

        root.Action = serve.Action;
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>`krxhub db migrate`: create or upgrade the store's schema.</summary>
    public static Command DbCommand()
    {
        var migrate = new Command("migrate", """
            Create or upgrade the schema of the store (also done automatically on start).

            Examples:
              krxhub db migrate
              krxhub db migrate --database "Host=127.0.0.1;Port=5432;Username=postgres;Database=krxhub"
            """);
        migrate.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var version = await store.GetSchemaVersionAsync(ct);
            Console.WriteLine($"{store.Backend}: schema at version {version} (latest {MarketStore.LatestSchemaVersion})");
            return 0;
        }));
        var db = new Command("db", "Store maintenance");
        db.Subcommands.Add(migrate);
        return db;
    }
}
