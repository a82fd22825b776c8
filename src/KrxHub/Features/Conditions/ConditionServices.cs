using KrxHub.Shared;

namespace KrxHub.Features.Conditions;

public static class ConditionServices
{
    /// <summary>The condition runner, its scheduler, the alert channels and the outbox sender.</summary>
    public static IServiceCollection AddConditions(this IServiceCollection services, HubSettings settings, bool runWorkers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings.Alerts);
        services.AddSingleton(sp => new AlertChannelConfig(sp.GetRequiredService<Storage.MarketStore>(), settings.Alerts, settings.Secrets.Box,
            sp.GetRequiredService<TimeProvider>()));
        // The factory's own request logging prints whole URLs, and a Slack webhook's path or a Telegram bot's token is a secret.
        services.AddHttpClient("alerts", c => c.Timeout = TimeSpan.FromSeconds(15)).RemoveAllLoggers();
        services.AddSingleton<AlertChannels>();
        services.AddSingleton<ConditionHistoryCache>();
        services.AddSingleton<ConditionRunner>();
        services.AddSingleton<AlertSender>();
        services.AddSingleton<ConditionScheduler>();
        services.AddSingleton<AlertFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertFeed>());
        if (settings.Kiwoom is not null)
        {
            // Kiwoom's HTS conditions: pushes come only where the feed runs, so this works whatever runWorkers says.
            services.AddSingleton(sp => new KiwoomConditions(sp.GetService<Sources.Kiwoom.KiwoomLiveFeed>(), sp.GetRequiredService<Storage.MarketStore>(),
                sp.GetRequiredService<AlertSettings>(), sp.GetRequiredService<Live.LiveBus>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<KiwoomConditions>>()));
            services.AddHostedService(sp => sp.GetRequiredService<KiwoomConditions>());
        }

        if (runWorkers)
        {
            services.AddHostedService(sp => sp.GetRequiredService<AlertSender>());
            services.AddHostedService(sp => sp.GetRequiredService<ConditionScheduler>());
        }

        return services;
    }
}
