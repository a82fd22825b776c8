using KrxHub.Features.Access;
using KrxHub.Features.Backtests;
using KrxHub.Features.Backup;
using KrxHub.Features.Bars;
using KrxHub.Features.Collection;
using KrxHub.Features.Conditions;
using KrxHub.Features.Dashboard;
using KrxHub.Features.Health;
using KrxHub.Features.Import;
using KrxHub.Features.Indices;
using KrxHub.Features.Investors;
using KrxHub.Features.Live;
using KrxHub.Features.Minutes;
using KrxHub.Features.Observability;
using KrxHub.Features.Quality;
using KrxHub.Features.Rankings;
using KrxHub.Features.Replay;
using KrxHub.Features.Session;
using KrxHub.Features.Stocks;
using KrxHub.Features.TradingCalendar;
using KrxHub.Hosting;
using KrxHub.Shared;

// The table of contents. The verbs of `krxhub` (the first, serve, is also what `krxhub` alone runs):
return await Cli.RunAsync(args,
[
    ServeCommand.Create(),      // Hosting/ServeCommand.cs: the web host, live source and scheduler
    ImportCommand.Create(),     // Features/Import: validate, stage, promote a file
    Cli.DbCommand(),            // db migrate
    QualityCommand.Create(),    // Features/Quality: quality-report
    BacktestCommand.Create(),   // Features/Backtests
    CollectCommand.Create(),    // Features/Collection: collect from Kiwoom and KRX
    BackfillCommand.Create(),   // Features/Collection: resumable ranges
    CalendarCommand.Create(),   // Features/TradingCalendar
    ScreenCommand.Create(),     // Features/Conditions: screen the market with a condition
    ConditionsCommand.Create(), // Features/Conditions: saved conditions
    KeysCommand.Create(),       // Features/Access: API keys
    BackupCommand.Create(),     // Features/Backup: a verified backup of the store
    BackupCommand.CreateRestore(), // Features/Backup: restore a backup into an empty store
    HealthCheckCommand.Create(), // Features/Health: exit 0 when a running hub answers (the container's HEALTHCHECK)
]);

/// <summary>The entry point's other half: every feature's endpoints, mapped by <see cref="HubApp.Build"/>.</summary>
internal partial class Program
{
    public static void MapFeatures(WebApplication app)
    {
        app.MapDashboard();      // /, client routes and /assets: the web dashboard (web/ → wwwroot/)
        app.MapHealth();         // /health/live, /health/ready
        // Every API endpoint needs a key with the read role, and admin when it writes (Features/Access; open without keys on loopback).
        app.MapMetrics();        // /metrics: Prometheus text, admin only (or keyless on KRXHUB_METRICS__PORT) (Features/Observability)
        var api = app.MapGroup(string.Empty).RequireApiAccess();
        api.MapStocks();         // /api/stocks
        api.MapBars();           // /api/stocks/{code}/bars, /api/bars/{date}
        api.MapMinutes();        // /api/stocks/{code}/minutes
        api.MapInvestors();      // /api/stocks/{code}/investors
        api.MapIndices();        // /api/indices, /api/indices/{code}/bars, /api/indices/{code}/constituents
        api.MapMarketInvestors(); // /api/investors
        api.MapQuality();        // /api/quality, /api/quarantine
        api.MapCollection();     // /api/collection
        api.MapBacktests();      // /api/backtests
        api.MapSession();        // /api/session
        api.MapCalendar();       // /api/calendar
        api.MapLive();           // /ws, /api/quotes, /api/live/status
        api.MapRankings();       // /api/rankings
        api.MapScreen();         // /api/screen
        api.MapConditions();     // /api/conditions, /api/alerts
        api.MapReplay();         // POST /api/conditions/{id}/replay: a condition over a recorded day (Features/Replay)
    }
}
