using KrxHub.Shared;
using System.Text.Json.Serialization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Access;
using KrxHub.Features.Backtests;
using KrxHub.Features.Backup;
using KrxHub.Features.Bars;
using KrxHub.Features.Collection;
using KrxHub.Features.Conditions;
using KrxHub.Features.Dashboard;
using KrxHub.Features.Health;
using KrxHub.Features.Investors;
using KrxHub.Features.Live;
using KrxHub.Features.Observability;
using KrxHub.Features.Quality;
using KrxHub.Features.Rankings;
using KrxHub.Features.Session;
using KrxHub.Features.Stocks;
using KrxHub.Features.TradingCalendar;
using KrxHub.Sources.Simulation;
using KrxHub.Storage;
using Scalar.AspNetCore;

namespace KrxHub.Hosting;

/// <summary>The web host: reads as the table of contents of the hub's HTTP surface.</summary>
public static class HubApp
{
    /// <summary>Builds the app over an opened, migrated store. The app owns the store and disposes it on shutdown.</summary>
    public static WebApplication Build(HubOptions options, MarketStore store, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.WebHost.UseUrls(options.Urls);
        if (!options.ShowProgress)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }

        // ASP.NET Core logs several Information lines per request (request start/end, endpoint, result);
        // written to the console they cost more than serving a cached response. Startup lines stay.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.AddObservability(options); // Features/Observability: metrics, OTLP, JSON logs

        builder.Services.AddSingleton(options.Time);
        builder.Services.AddSingleton(calendar);
        builder.Services.AddSingleton(new KrxSessionClock(calendar));
        builder.Services.AddSingleton(options.Simulator);
        builder.Services.AddSingleton<MarketStore>(_ => store);
        builder.Services.AddSingleton<BarsResponseCache>();
        builder.Services.AddSingleton<BacktestJobs>();
        builder.Services.AddLive(options);
        builder.Services.AddCollection(options.Settings);
        builder.Services.AddConditions(options.Settings, options.RunConditionWorkers);
        builder.Services.AddAccess(options.Settings.Access, options.Access);
        builder.Services.AddBackup(options);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never);

        var app = builder.Build();
        app.UseCorrelationIds();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAccess();
        app.UseWebSockets();
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("KrxHub API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        Program.MapFeatures(app);
        return app;
    }
}
