using System.CommandLine;
using KrxHub.Core;
using KrxHub.Features.Backtests;
using KrxHub.Features.Collection;
using KrxHub.Features.Import;
using KrxHub.Features.Quality;
using KrxHub.Features.TradingCalendar;
using KrxHub.Storage;
using Spectre.Console;

namespace KrxHub.Hosting;

/// <summary>The `krxhub` command line. `serve` is the default verb; every verb accepts --data-dir and --database.</summary>
public static class Cli
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

    public static async Task<int> RunAsync(string[] args)
    {
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
        root.Options.Add(DataDir);
        root.Options.Add(Database);

        var serve = ServeCommand.Create();
        root.Subcommands.Add(serve);
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(DbCommand());
        root.Subcommands.Add(QualityReportCommand());
        root.Subcommands.Add(BacktestCommand.Create());
        root.Subcommands.Add(CollectCommand.Create());
        root.Subcommands.Add(BackfillCommand.Create());
        root.Subcommands.Add(CalendarCommand.Create());

        // No verb: behave exactly like `serve` with its defaults.
        foreach (var option in serve.Options)
        {
            root.Options.Add(option);
        }

        root.Action = serve.Action;
        return await root.Parse(args).InvokeAsync();
    }

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

    private static Command DbCommand()
    {
        var migrate = new Command("migrate", """
            Create or upgrade the schema of the store (also done automatically on start).

            Examples:
              krxhub db migrate
              krxhub db migrate --database "Host=127.0.0.1;Port=5432;Username=postgres;Database=krxhub"
            """);
        migrate.SetAction((parse, ct) => GuardAsync(async () =>
        {
            await using var store = await OpenStoreAsync(parse, ct);
            var version = await store.GetSchemaVersionAsync(ct);
            Console.WriteLine($"{store.Backend}: schema at version {version} (latest {MarketStore.LatestSchemaVersion})");
            return 0;
        }));
        var db = new Command("db", "Store maintenance");
        db.Subcommands.Add(migrate);
        return db;
    }

    private static Command QualityReportCommand()
    {
        var date = new Option<string?>("--date") { Description = "Session date yyyy-MM-dd (default: the latest date with data)" };
        var command = new Command("quality-report", """
            Print the data-quality report of one session: bars accepted per basis, rows quarantined by reason,
            listed stocks without a bar.

            Examples:
              krxhub quality-report --date 2024-01-02
            """);
        command.Options.Add(date);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => GuardAsync(async () =>
        {
            var calendar = CalendarFiles.Load(parse);
            await using var store = await OpenStoreAsync(parse, ct);
            DateOnly d;
            var text = parse.GetValue(date);
            if (text is null)
            {
                var dates = await store.GetDatesWithBarsAsync(DateOnly.MinValue, DateOnly.MaxValue, ct);
                if (dates.Count == 0)
                {
                    throw new CliException("the store has no bars yet; pass --date or import data first");
                }

                d = dates.Max();
            }
            else if (KrxText.TryDate(text, out d) != FieldStatus.Ok)
            {
                throw new CliException($"--date '{text}' is not a date; use yyyy-MM-dd");
            }

            var q = await QualityReport.ForDayAsync(store, calendar, d, ct);
            var table = new Table().AddColumns("measure", "value");
            var closed = q.IsSession ? string.Empty : $" (not a session{(q.CalendarReason is { } why ? ": " + why : string.Empty)})";
            table.AddRow("date", $"{q.Date:yyyy-MM-dd}{closed}{(q.Provisional ? ", provisional calendar day: holiday rules, not published by KRX" : string.Empty)}");
            table.AddRow("raw bars", q.RawBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("adjusted bars", q.AdjustedBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("no-trade bars (halts)", q.NoTradeBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("listed stocks", q.ListedStocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("listed without a bar", q.ListedWithoutBar.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("quarantined", q.Quarantined.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (reason, n) in q.QuarantinedByReason.OrderByDescending(x => x.Value))
            {
                table.AddRow($"  {reason}", n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}

/// <summary>An expected failure of a verb: printed as one line, no stack trace.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
