using KrxHub.Shared;

namespace KrxHub.Features.Observability;

/// <summary>/metrics on its own port (KRXHUB_METRICS__PORT); null: /metrics on the hub's own addresses.</summary>
public sealed record MetricsSettings
{
    public const string SectionName = "Metrics";

    public int? Port { get; init; }
}

/// <summary>Where OTLP metrics go (KRXHUB_OTLP__ENDPOINT, __PROTOCOL); the standard OTEL_EXPORTER_OTLP_* variables work too.</summary>
public sealed record OtlpSettings
{
    public const string SectionName = "Otlp";

    public string? Endpoint { get; init; }

    /// <summary>"grpc" (the default, port 4317) or "http/protobuf" (port 4318).</summary>
    public string? Protocol { get; init; }
}

/// <summary>Metrics, OTLP and the log format (KRXHUB_LOG_FORMAT=json|text).</summary>
public sealed record ObservabilitySettings
{
    public const string LogFormatKey = "LOG_FORMAT";
    public const string LogFormatVariable = HubSettings.EnvPrefix + LogFormatKey;

    public MetricsSettings Metrics { get; init; } = new();

    public OtlpSettings Otlp { get; init; } = new();

    /// <summary>True: one JSON object per log line (Microsoft's JSON console formatter, scopes included).</summary>
    public bool JsonLogs { get; init; }

    public static ObservabilitySettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var metrics = SettingsBinder.Bind<MetricsSettings>(MetricsSettings.SectionName,
            SettingsBinder.Values(configuration, MetricsSettings.SectionName, SettingsBinder.Keys<MetricsSettings>()));
        if (metrics.Port is < 1 or > 65535)
        {
            throw new CliException($"{SettingsBinder.EnvName(MetricsSettings.SectionName, nameof(MetricsSettings.Port))} must be a port number (1-65535)", 2);
        }

        var otlp = SettingsBinder.Bind<OtlpSettings>(OtlpSettings.SectionName,
            SettingsBinder.Values(configuration, OtlpSettings.SectionName, SettingsBinder.Keys<OtlpSettings>()));
        if (otlp.Endpoint is { } endpoint && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw new CliException($"{SettingsBinder.EnvName(OtlpSettings.SectionName, nameof(OtlpSettings.Endpoint))} '{endpoint}' is not an absolute URL such as http://127.0.0.1:4317", 2);
        }

        if (otlp.Protocol is { } protocol && protocol is not ("grpc" or "http/protobuf"))
        {
            throw new CliException($"{SettingsBinder.EnvName(OtlpSettings.SectionName, nameof(OtlpSettings.Protocol))} '{protocol}' is not grpc or http/protobuf", 2);
        }

        var format = configuration[LogFormatKey]?.Trim();
        var json = string.IsNullOrEmpty(format) || format.Equals("text", StringComparison.OrdinalIgnoreCase) ? false
            : format.Equals("json", StringComparison.OrdinalIgnoreCase) ? true
            : throw new CliException($"{LogFormatVariable} '{format}' is not json or text", 2);
        return new ObservabilitySettings { Metrics = metrics, Otlp = otlp, JsonLogs = json };
    }
}
