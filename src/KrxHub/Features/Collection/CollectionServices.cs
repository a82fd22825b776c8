using KrxHub.Core;
using KrxHub.Hosting;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

public static class CollectionServices
{
    /// <summary>
    /// The collection jobs; with Kiwoom keys also the one Kiwoom client (token in the store), the token revoker when
    /// configured, and the scheduler unless KRXHUB_COLLECTION__SCHEDULE=false.
    /// </summary>
    public static IServiceCollection AddCollection(this IServiceCollection services, HubSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        if (settings.Kiwoom is { } kiwoom)
        {
            services.AddSingleton(sp => KiwoomWiring.CreateClient(kiwoom, sp.GetRequiredService<IMarketStore>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<KiwoomClient>>()));

            // Hosted services stop in reverse order: the scheduler (registered later) stops before the token goes.
            if (settings.RevokeKiwoomTokenOnShutdown)
            {
                services.AddHostedService<KiwoomTokenRevoker>();
            }
        }

        services.AddSingleton(sp => new CollectionJobs(sp.GetRequiredService<IMarketStore>(), sp.GetRequiredService<KrxCalendar>(),
            sp.GetRequiredService<TimeProvider>(), settings, sp.GetService<KiwoomClient>()));
        if (settings.Collection.Schedule && settings.Kiwoom is not null)
        {
            services.AddSingleton<CollectionScheduler>();
            services.AddHostedService(sp => sp.GetRequiredService<CollectionScheduler>());
        }

        return services;
    }

    /// <summary>One line for the start banner: which sources are configured and what is scheduled.</summary>
    public static string Describe(HubSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Kiwoom is not { } kiwoom)
        {
            return "Kiwoom: not configured (KRXHUB_KIWOOM__APPKEY, KRXHUB_KIWOOM__SECRETKEY): no collection, bundled data only";
        }

        var c = settings.Collection;
        var schedule = !c.Schedule ? "scheduler off" : string.Join(", ", new[]
        {
            c.Master ? $"master {c.MasterAt:hh\\:mm}" : null,
            c.Eod ? $"end of day {c.EodAt:hh\\:mm}" : null,
            c.Minute && c.WatchlistCodes.Count > 0 ? $"minute bars of {c.WatchlistCodes.Count} stocks every {c.MinuteEvery.TotalMinutes:0} min" : null,
        }.Where(s => s is not null));
        return FormattableString.Invariant(
            $"Kiwoom: {kiwoom.EffectiveBaseUrl}{(kiwoom.Mock ? " (mock)" : string.Empty)} at {kiwoom.EffectiveRequestsPerSecond:0.##} requests/s; {schedule} (KST, sessions only)");
    }
}
