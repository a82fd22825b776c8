using KrxHub.Features.Collection;
using KrxHub.Features.TradingCalendar;
using KrxHub.Sources.Kiwoom;
using KrxHub.Sources.KrxOpenApi;

namespace KrxHub.Shared;

/// <summary>
/// The hub's source and collection settings: environment variables with the KRXHUB_ prefix (a double underscore
/// separates section and key: KRXHUB_KIWOOM__APPKEY) over an optional appsettings.json in the working directory.
/// Every key is listed in .env.example. No Kiwoom keys at all means no Kiwoom, and no KRX key no KRX Open API: the hub
/// then runs on its bundled data.
/// </summary>
public sealed record HubSettings(KiwoomOptions? Kiwoom, CollectionSettings Collection)
{
    public const string EnvPrefix = "KRXHUB_";
    public const string AppSettingsFile = "appsettings.json";

    /// <summary>A Kiwoom-section key of the hub, not of the client: revoke the token (au10002) when the hub stops.</summary>
    public const string RevokeOnShutdownKey = "RevokeOnShutdown";

    /// <summary>No sources configured: bundled data only.</summary>
    public static HubSettings None { get; } = new(null, new CollectionSettings());

    public bool RevokeKiwoomTokenOnShutdown { get; init; }

    /// <summary>The KRX Open API (krx-daily), when KRXHUB_KRX__AUTHKEY is set.</summary>
    public KrxOpenApiOptions? Krx { get; init; }

    /// <summary>The live bus and /ws (KRXHUB_LIVE__MAXSUBSCRIPTIONS, __RUNSOURCE, __HEARTBEATINTERVAL …).</summary>
    public Features.Live.LiveOptions Live { get; init; } = new();

    /// <summary>Alert channels and delivery (KRXHUB_ALERTS__WEBHOOKURL, __SLACKWEBHOOKURL, __TELEGRAMBOTTOKEN, __SMTPHOST …).</summary>
    public Features.Conditions.AlertSettings Alerts { get; init; } = new();

    /// <summary>Access control and limits (KRXHUB_ACCESS__CORSORIGINS, __TRUSTEDPROXIES, __REQUESTSPERMINUTEPERKEY …).</summary>
    public Features.Access.AccessSettings Access { get; init; } = new();

    /// <summary>KRXHUB_SECRETS__KEY: encrypts the Kiwoom token at rest.</summary>
    public Features.Access.SecretsSettings Secrets { get; init; } = new();

    /// <summary>Metrics, OTLP and the log format (KRXHUB_METRICS__PORT, KRXHUB_OTLP__ENDPOINT, KRXHUB_LOG_FORMAT).</summary>
    public Features.Observability.ObservabilitySettings Observability { get; init; } = new();

    /// <summary>Backups: the daily one of `serve`, the directory, retention (KRXHUB_BACKUP__ENABLED, __DIRECTORY, __RETENTION, __TIME …).</summary>
    public Features.Backup.BackupSettings Backup { get; init; } = new();

    /// <summary>The trading calendar's override file (KRXHUB_CALENDAR__EXTENSIONFILE).</summary>
    public CalendarSettings Calendar { get; init; } = new();

    /// <summary>Reads the process environment and ./appsettings.json; a bad or missing key is a one-line <see cref="CliException"/>.</summary>
    public static HubSettings Load() => From(ReadConfiguration());

    /// <summary>The calendar section only, for verbs that use no source (import, backtest, quality-report, calendar).</summary>
    public static CalendarSettings LoadCalendarSettings() => CalendarFrom(ReadConfiguration());

    private static IConfiguration ReadConfiguration()
    {
        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(AppSettingsFile), optional: true, reloadOnChange: false)
                .AddEnvironmentVariables(EnvPrefix)
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new CliException($"{AppSettingsFile} cannot be read: {(e.InnerException ?? e).Message.ReplaceLineEndings(" ")}", 2);
        }
    }

    private static CalendarSettings CalendarFrom(IConfiguration configuration) => SettingsBinder.Bind<CalendarSettings>(CalendarSettings.SectionName,
        SettingsBinder.Values(configuration, CalendarSettings.SectionName, SettingsBinder.Keys<CalendarSettings>()));

    public static HubSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var kiwoomValues = SettingsBinder.Values(configuration, KiwoomOptions.SectionName,
            [.. SettingsBinder.Keys<KiwoomOptions>(), RevokeOnShutdownKey]);
        var revoke = false;
        if (kiwoomValues.Remove(RevokeOnShutdownKey, out var revokeText) && !bool.TryParse(revokeText, out revoke))
        {
            throw new CliException($"{SettingsBinder.EnvName(KiwoomOptions.SectionName, RevokeOnShutdownKey)} '{revokeText}' is not true or false", 2);
        }

        var kiwoom = SettingsBinder.Bind<KiwoomOptions>(KiwoomOptions.SectionName, kiwoomValues);
        // Krx:DataSystem belongs to the data-system client (not used by the hub's jobs); its keys are checked for typos only.
        var krxValues = SettingsBinder.Values(configuration, KrxOpenApiOptions.SectionName, SettingsBinder.Keys<KrxOpenApiOptions>(), ["DataSystem"]);
        SettingsBinder.Values(configuration, KrxDataSystemOptions.SectionName, SettingsBinder.Keys<KrxDataSystemOptions>());
        var krx = KrxOrNull(SettingsBinder.Bind<KrxOpenApiOptions>(KrxOpenApiOptions.SectionName, krxValues), krxValues);
        var collection = SettingsBinder.Bind<CollectionSettings>(CollectionSettings.SectionName,
            SettingsBinder.Values(configuration, CollectionSettings.SectionName, SettingsBinder.Keys<CollectionSettings>()));
        if (collection.Validate() is { } collectionError)
        {
            throw new CliException(collectionError, 2);
        }

        var live = SettingsBinder.Bind<Features.Live.LiveOptions>(Features.Live.LiveOptions.SectionName,
            SettingsBinder.Values(configuration, Features.Live.LiveOptions.SectionName, SettingsBinder.Keys<Features.Live.LiveOptions>()));
        if (live.Validate() is { } liveError)
        {
            throw new CliException(liveError, 2);
        }

        var alerts = SettingsBinder.Bind<Features.Conditions.AlertSettings>(Features.Conditions.AlertSettings.SectionName,
            SettingsBinder.Values(configuration, Features.Conditions.AlertSettings.SectionName, SettingsBinder.Keys<Features.Conditions.AlertSettings>()));
        if (alerts.Validate() is { } alertError)
        {
            throw new CliException(alertError, 2);
        }

        var access = SettingsBinder.Bind<Features.Access.AccessSettings>(Features.Access.AccessSettings.SectionName,
            SettingsBinder.Values(configuration, Features.Access.AccessSettings.SectionName, SettingsBinder.Keys<Features.Access.AccessSettings>()));
        if (access.Validate() is { } accessError)
        {
            throw new CliException(accessError, 2);
        }

        var secrets = SettingsBinder.Bind<Features.Access.SecretsSettings>(Features.Access.SecretBox.SectionName,
            SettingsBinder.Values(configuration, Features.Access.SecretBox.SectionName, SettingsBinder.Keys<Features.Access.SecretsSettings>()));
        var backup = SettingsBinder.Bind<Features.Backup.BackupSettings>(Features.Backup.BackupSettings.SectionName,
            SettingsBinder.Values(configuration, Features.Backup.BackupSettings.SectionName, SettingsBinder.Keys<Features.Backup.BackupSettings>()));
        if (backup.Validate() is { } backupError)
        {
            throw new CliException(backupError, 2);
        }

        return new HubSettings(KiwoomOrNull(kiwoom), collection)
        {
            Secrets = secrets,
            Backup = backup,
            RevokeKiwoomTokenOnShutdown = revoke, Krx = krx, Live = live, Calendar = CalendarFrom(configuration), Alerts = alerts, Access = access,
            Observability = Features.Observability.ObservabilitySettings.From(configuration),
        };
    }

    /// <summary>The Kiwoom options, or a one-line error naming the environment variables a verb needs.</summary>
    public KiwoomOptions RequireKiwoom(string what) => Kiwoom ?? throw new CliException(
        $"{what} needs Kiwoom REST keys: set KRXHUB_KIWOOM__APPKEY and KRXHUB_KIWOOM__SECRETKEY (see .env.example)", 2);

    /// <summary>The KRX Open API options, or a one-line error naming the environment variable `krx-daily` needs.</summary>
    public KrxOpenApiOptions RequireKrx(string what) => Krx ?? throw new CliException(
        $"{what} needs a KRX Open API key: set KRXHUB_KRX__AUTHKEY (see .env.example)", 2);

    private static KrxOpenApiOptions? KrxOrNull(KrxOpenApiOptions options, Dictionary<string, string> values)
    {
        if (string.IsNullOrWhiteSpace(options.AuthKey))
        {
            return values.Count == 0 ? null
                : throw new CliException($"KRXHUB_KRX__AUTHKEY is missing ({string.Join(", ", values.Keys.Select(k => SettingsBinder.EnvName(KrxOpenApiOptions.SectionName, k)))} set)", 2);
        }

        return options.Validate() is { } error ? throw new CliException(error, 2) : options;
    }

    private static KiwoomOptions? KiwoomOrNull(KiwoomOptions options)
    {
        var hasKey = !string.IsNullOrWhiteSpace(options.AppKey);
        var hasSecret = !string.IsNullOrWhiteSpace(options.SecretKey);
        if (!hasKey && !hasSecret)
        {
            return null;
        }

        if (!hasSecret)
        {
            throw new CliException("KRXHUB_KIWOOM__SECRETKEY is missing (KRXHUB_KIWOOM__APPKEY is set)", 2);
        }

        if (!hasKey)
        {
            throw new CliException("KRXHUB_KIWOOM__APPKEY is missing (KRXHUB_KIWOOM__SECRETKEY is set)", 2);
        }

        return options.Validate() is { } error ? throw new CliException(error, 2) : options;
    }
}
