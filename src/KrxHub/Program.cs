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
using KrxHub.Features.Quality;
using KrxHub.Features.Rankings;
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
        app.MapStocks();         // /api/stocks
        app.MapBars();           // /api/stocks/{code}/bars, /api/bars/{date}
        app.MapMinutes();        // /api/stocks/{code}/minutes
        app.MapInvestors();      // /api/stocks/{code}/investors
        app.MapIndices();        // /api/indices, /api/indices/{code}/bars, /api/indices/{code}/constituents
        app.MapMarketInvestors(); // /api/investors
        app.MapQuality();        // /api/quality, /api/quarantine
        app.MapCollection();     // /api/collection
        app.MapBacktests();      // /api/backtests
        app.MapSession();        // /api/session
        app.MapCalendar();       // /api/calendar
        app.MapLive();           // /ws, /api/quotes, /api/live/status
        app.MapRankings();       // /api/rankings
        app.MapScreen();         // /api/screen
        app.MapConditions();     // /api/conditions, /api/alerts
    }
}
