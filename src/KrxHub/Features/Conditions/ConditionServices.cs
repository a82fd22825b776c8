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
        services.AddSingleton<ConditionRunner>();
        services.AddSingleton<AlertSender>();
        services.AddSingleton<ConditionScheduler>();
        services.AddSingleton<AlertFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertFeed>());
        if (runWorkers)
        {
            services.AddHostedService(sp => sp.GetRequiredService<AlertSender>());
            services.AddHostedService(sp => sp.GetRequiredService<ConditionScheduler>());
        }

        return services;
    }
}
