using KrxHub.Features.Rankings;
using KrxHub.Hosting;

namespace KrxHub.Features.Live;

public static class LiveSetup
{
    /// <summary>
    /// The live side: the bus, ranking pushes, session phases, the minute-bar recorder, the live source (elected, one node
    /// per store) and, on PostgreSQL, the LISTEN/NOTIFY backplane to the other nodes.
    /// </summary>
    public static IServiceCollection AddLive(this IServiceCollection services, HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options.Live);
        services.AddSingleton<StoredQuotes>();
        services.AddSingleton<LiveBus>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveBus>());
        services.AddSingleton<RankingPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<RankingPublisher>());
        services.AddHostedService<SessionBroadcaster>();
        services.AddSingleton<MinuteBarRecorder>();
        if (options.Store.Database is { } database)
        {
            services.AddSingleton(sp => new PostgresBackplane(database, sp.GetRequiredService<LiveBus>(), options.Live,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresBackplane>>()));
            services.AddHostedService(sp => sp.GetRequiredService<PostgresBackplane>());
        }

        services.AddSingleton<LiveFeedFactory>(_ => ct => Task.FromResult(options.LiveFeed));
        services.AddHostedService(sp => new LiveSourceRunner(
            sp.GetRequiredService<LiveFeedFactory>(),
            sp.GetRequiredService<LiveBus>(),
            sp.GetRequiredService<Storage.IMarketStore>(),
            sp.GetRequiredService<MinuteBarRecorder>(),
            sp.GetRequiredService<TimeProvider>(),
            options.Live,
            sp.GetRequiredService<ILogger<LiveSourceRunner>>(),
            sp.GetService<PostgresBackplane>()));
        return services;
    }
}
