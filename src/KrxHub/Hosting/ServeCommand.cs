using KrxHub.Shared;
using System.CommandLine;
using KrxHub.Features.Collection;
using KrxHub.Features.Import;
using KrxHub.Features.TradingCalendar;
using KrxHub.Sources.Simulation;

namespace KrxHub.Hosting;

public static class ServeCommand
{
    public static readonly Option<string> Urls = new("--urls")
    {
        Description = "Addresses to listen on",
        DefaultValueFactory = _ => HubOptions.DefaultUrls,
    };

    public static readonly Option<bool> NoBundled = new("--no-bundled")
    {
        Description = "Start with an empty store: do not load the bundled real data on first start",
    };

    public static readonly Option<bool> SimAlwaysOpen = new("--sim-always-open")
    {
        Description = $"Simulated live feed: trade all day, every day, ignoring the calendar (a labelled demo; the default without broker keys; or {SimulatorOptions.AlwaysOpenVariable}=true)",
    };

    public static readonly Option<bool> SimCalendar = new("--sim-calendar")
    {
        Description = $"Simulated live feed: follow the KRX calendar (trade only in sessions) instead of the always-open demo (or {SimulatorOptions.AlwaysOpenVariable}=false)",
    };

    public static readonly Option<int?> SimSeed = new("--sim-seed")
    {
        Description = $"Simulated live feed: random seed, same seed same events (or {SimulatorOptions.SeedVariable}; default {SimulatorOptions.DefaultSeed})",
    };

    public static readonly Option<bool> InsecureOpen = new("--insecure-open")
    {
        Description = "Listen on a non-loopback address without any API key (refused otherwise; printed on every start)",
    };

    public static readonly Option<string?> Replay = new("--replay")
    {
        Description = "Play a recording as the live source instead of Kiwoom or the simulator: a file, or a date (yyyy-MM-dd) of the data directory's recordings (docs/replay.md)",
    };

    public static readonly Option<double> Speed = new("--speed")
    {
        Description = "With --replay: how many times faster than recorded (default 1)",
        DefaultValueFactory = _ => 1,
    };

    public static Command Create()
    {
        var command = new Command("serve", """
            Run the hub: REST API (OpenAPI at /openapi/v1.json) and health checks. On first start with an empty
            store it loads the bundled real data (stock master, 986k adjusted bars, raw window 2024-01-02..02-13).

            Examples:
              krxhub serve
              krxhub serve --urls http://127.0.0.1:8080 --data-dir /var/lib/krxhub
              krxhub serve --urls http://0.0.0.0:5080        (needs an admin key: krxhub keys add --name ops --role admin)
              krxhub serve --database "Host=127.0.0.1;Port=5432;Username=postgres;Database=krxhub"
              krxhub serve --no-bundled
              krxhub serve --sim-calendar --sim-seed 7
              krxhub serve --replay 2026-12-04 --speed 10
              krxhub serve --calendar-file /etc/krxhub/krx-closed-days-2027.csv
            """);
        command.Options.Add(Urls);
        command.Options.Add(NoBundled);
        command.Options.Add(SimAlwaysOpen);
        command.Options.Add(SimCalendar);
        command.Options.Add(SimSeed);
        command.Options.Add(InsecureOpen);
        command.Options.Add(Replay);
        command.Options.Add(Speed);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var location = StoreLocation.Resolve(parse.GetValue(CliSupport.DataDir), parse.GetValue(CliSupport.Database));
            var settings = HubSettings.Load();
            var options = new HubOptions(location, parse.GetValue(Urls) ?? HubOptions.DefaultUrls, !parse.GetValue(NoBundled))
            {
                Settings = settings,
                Live = settings.Live,
                Simulator = ResolveSimulator(parse, defaultAlwaysOpen: settings.Kiwoom is null),
                InsecureOpen = parse.GetValue(InsecureOpen),
                Replay = parse.GetValue(Replay) is { } replay ? Features.Replay.ReplayOptions.Resolve(replay, parse.GetValue(Speed), location.DataDirectory) : null,
                // A replaying hub sends no alerts: its phases are a past day's (POST /api/conditions/{id}/replay answers that).
                RunConditionWorkers = parse.GetValue(Replay) is null,
            };
            var calendar = CalendarFiles.Load(parse, settings.Calendar);
            var store = await CliSupport.OpenStoreAsync(parse, ct);
            var (activeKeys, adminKeys) = await store.CountActiveApiKeysAsync(ct);
            if (options.Access.Refusal(adminKeys) is { } refusal)
            {
                await store.DisposeAsync();
                throw new CliException(refusal, 2);
            }

            Console.WriteLine(options.Access.Describe(activeKeys));
            Console.WriteLine($"KrxHub: store {location.Describe()}, calendar {calendar.CoveredFrom:yyyy-MM-dd}..{calendar.CoveredThrough:yyyy-MM-dd} "
                + $"(published through {calendar.PublishedThrough:yyyy-MM-dd}, then provisional)");
            if (CalendarCoverage.Notice(calendar, options.Time.GetUtcNow()) is { } calendarNotice)
            {
                Console.WriteLine($"notice: {calendarNotice}");
            }

            Console.WriteLine(CollectionServices.Describe(settings));
            if (options.LoadBundledData)
            {
                await BundledLoader.LoadMissingAsync(store, calendar, options.Time, showProgress: true, ct);
            }

            await using var app = HubApp.Build(options, store, calendar);
            await app.StartAsync(ct);
            var warmup = Features.Backtests.BacktestWarmup.RunAsync(app.Services, app.Lifetime.ApplicationStopping);
            await app.WaitForShutdownAsync(ct);
            await warmup;
            return 0;
        }));
        return command;
    }

    /// <summary>Without broker keys the simulator is the live source and runs always-open by default (the demo must look alive).</summary>
    private static SimulatorOptions ResolveSimulator(ParseResult parse, bool defaultAlwaysOpen)
    {
        if (parse.GetValue(SimAlwaysOpen) && parse.GetValue(SimCalendar))
        {
            throw new CliException("--sim-always-open and --sim-calendar contradict each other; give one");
        }

        bool? mode = parse.GetValue(SimAlwaysOpen) ? true : parse.GetValue(SimCalendar) ? false : null;
        try
        {
            return SimulatorOptions.Resolve(mode, parse.GetValue(SimSeed), Environment.GetEnvironmentVariable, defaultAlwaysOpen);
        }
        catch (FormatException e)
        {
            throw new CliException(e.Message);
        }
    }
}
