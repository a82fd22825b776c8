using System.Text.RegularExpressions;
using KrxHub.Shared;
using KrxHub.Sources;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace KrxHub.Features.Observability;

/// <summary>Metrics through OpenTelemetry (Prometheus text at /metrics, OTLP when an endpoint is set) and the JSON log format.</summary>
public static partial class ObservabilitySetup
{
    /// <summary>The meters exported: the hub's, the sources', ASP.NET Core's HTTP server and Kestrel's connections.</summary>
    public static readonly string[] Meters = [HubMetrics.MeterName, SourceMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder, HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Settings.Observability;
        if (settings.JsonLogs)
        {
            // Replaces the console's formatter (the console provider stays the one provider writing to stdout).
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }

        builder.Services.AddSingleton<AlertOutboxWatch>();
        builder.Services.AddSingleton<HubMetrics>();
        var otlpEndpoint = settings.Otlp.Endpoint
            ?? NonEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) ?? NonEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("krxhub", serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(Meters).AddPrometheusExporter();
                if (otlpEndpoint is not null)
                {
                    metrics.AddOtlpExporter(o =>
                    {
                        // Without KRXHUB_OTLP__… the exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself.
                        if (settings.Otlp.Endpoint is { } endpoint)
                        {
                            o.Endpoint = new Uri(endpoint);
                        }

                        if (settings.Otlp.Protocol is { } protocol)
                        {
                            o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                        }
                    });
                }
            });

        if (settings.Metrics.Port is { } port)
        {
            var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            builder.WebHost.UseUrls([.. urls, MetricsUrl(urls[0], port)]);
        }

        return builder;
    }

    /// <summary>
    /// GET /metrics: Prometheus text of every exported meter. With KRXHUB_METRICS__PORT it answers on that port only
    /// (the hub's own addresses answer 404). Returns the endpoint, so that access rules can be added to it.
    /// </summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Created now, so that its observable instruments exist before the first scrape.
        app.ServiceProvider.GetRequiredService<HubMetrics>();
        var endpoint = app.MapPrometheusScrapingEndpoint("/metrics");
        if (app.ServiceProvider.GetRequiredService<HubOptions>().Settings.Observability.Metrics.Port is { } port)
        {
            endpoint.RequireHost($"*:{port}");
            // On the hub's own addresses /metrics is a 404, not the dashboard's client-route fallback (ordered after the
            // scrape endpoint, so that on the metrics port the scrape endpoint wins).
            app.Map("/metrics", () => TypedResults.NotFound()).ExcludeFromDescription().Add(b => ((RouteEndpointBuilder)b).Order = 1);
        }
        else
        {
            // On the API's own port the metrics are an admin's (an open hub lets everyone be one).
            endpoint.RequireAuthorization(Access.AccessSetup.AdminPolicy);
        }

        return endpoint.WithTags("Observability").WithSummary("Prometheus text of the hub's metrics (see docs/observability.md)");
    }

    /// <summary>The hub's first address with the metrics port: http://127.0.0.1:5080 → http://127.0.0.1:9464.</summary>
    internal static string MetricsUrl(string firstUrl, int port)
    {
        var match = UrlHost().Match(firstUrl);
        var host = match.Success ? match.Groups["host"].Value : "127.0.0.1";
        return $"http://{host}:{port}";
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [GeneratedRegex(@"^[a-zA-Z]+://(?<host>\[[^\]]+\]|[^:/]+)")]
    private static partial Regex UrlHost();
}
