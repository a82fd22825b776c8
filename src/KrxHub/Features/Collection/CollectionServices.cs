using KrxHub.Core;
using KrxHub.Shared;
using KrxHub.Sources;
using KrxHub.Sources.Kiwoom;
using KrxHub.Sources.KrxOpenApi;
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
            services.AddSingleton(sp => KiwoomWiring.CreateClient(kiwoom, sp.GetRequiredService<MarketStore>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILogger<KiwoomClient>>(), settings.Secrets.Box));

            // Hosted services stop in reverse order: the scheduler (registered later) stops before the token goes.
            if (settings.RevokeKiwoomTokenOnShutdown)
            {
                services.AddHostedService<KiwoomTokenRevoker>();
            }
        }

        if (settings.Krx is { } krx)
        {
            services.AddSingleton(sp => new KrxOpenApiClient(new HttpClient(), krx, sp.GetRequiredService<TimeProvider>(),
                new RequestRateLimiter(krx.RequestsPerSecond, TimeProvider.System), sp.GetService<ILogger<KrxOpenApiClient>>()));
        }

        services.AddSingleton(sp => new CollectionJobs(sp.GetRequiredService<MarketStore>(), sp.GetRequiredService<KrxCalendar>(),
            sp.GetRequiredService<TimeProvider>(), settings, sp.GetService<KiwoomClient>(), sp.GetService<KrxOpenApiClient>(),
            sp.GetService<Observability.HubMetrics>()));
        if (settings.Collection.Schedule && (settings.Kiwoom is not null || settings.Krx is not null))
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
        var c = settings.Collection;
        var kiwoom = settings.Kiwoom is { } k
            ? FormattableString.Invariant($"Kiwoom {k.EffectiveBaseUrl}{(k.Mock ? " (mock)" : string.Empty)} at {k.EffectiveRequestsPerSecond:0.##} requests/s")
            : "Kiwoom not configured (KRXHUB_KIWOOM__APPKEY, KRXHUB_KIWOOM__SECRETKEY)";
        var krx = settings.Krx is { } x ? $"KRX Open API {x.OpenApiUrl}" : "KRX Open API not configured (KRXHUB_KRX__AUTHKEY)";
        if (settings.Kiwoom is null && settings.Krx is null)
        {
            return $"Collection: {kiwoom}; {krx}: bundled data only";
        }

        var schedule = !c.Schedule ? "scheduler off" : "scheduled (KST, sessions only): " + string.Join(", ", new[]
        {
            settings.Kiwoom is not null && c.Master ? FormattableString.Invariant($"master {c.MasterAt:hh\\:mm}") : null,
            settings.Kiwoom is not null && c.Eod ? FormattableString.Invariant($"end of day {c.EodAt:hh\\:mm}") : null,
            settings.Kiwoom is not null && c.Minute && c.WatchlistCodes.Count > 0
                ? FormattableString.Invariant($"minute bars of {c.WatchlistCodes.Count} stocks every {c.MinuteEvery.TotalMinutes:0} min") : null,
            settings.Krx is not null && c.KrxDaily ? FormattableString.Invariant($"krx-daily {c.KrxDailyAt:hh\\:mm}") : null,
        }.Where(s => s is not null));
        return $"Collection: {kiwoom}; {krx}; {schedule}";
    }
}
