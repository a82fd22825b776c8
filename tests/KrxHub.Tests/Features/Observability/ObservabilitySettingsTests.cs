using KrxHub.Shared;
using Microsoft.Extensions.Configuration;

namespace KrxHub.Tests.Observability;

/// <summary>KRXHUB_METRICS__PORT, KRXHUB_OTLP__… and KRXHUB_LOG_FORMAT as the environment gives them (prefix stripped).</summary>
public sealed class ObservabilitySettingsTests
{
    [Fact]
    public void The_observability_settings_are_read_from_the_environment()
    {
        var settings = Read(new() { ["METRICS__PORT"] = "9464", ["OTLP__ENDPOINT"] = "http://127.0.0.1:4318/v1/metrics", ["OTLP__PROTOCOL"] = "http/protobuf", ["LOG_FORMAT"] = "JSON" });

        Assert.Equal(9464, settings.Observability.Metrics.Port);
        Assert.Equal(("http://127.0.0.1:4318/v1/metrics", "http/protobuf"), (settings.Observability.Otlp.Endpoint, settings.Observability.Otlp.Protocol));
        Assert.True(settings.Observability.JsonLogs);
        Assert.False(Read([]).Observability.JsonLogs);
        Assert.Null(Read([]).Observability.Metrics.Port);
    }

    [Theory]
    [InlineData("LOG_FORMAT", "xml", "KRXHUB_LOG_FORMAT 'xml' is not json or text")]
    [InlineData("METRICS__PORT", "0", "KRXHUB_METRICS__PORT must be a port number (1-65535)")]
    [InlineData("METRICS__PORT", "http", "KRXHUB_METRICS__PORT 'http' is not a whole number")]
    [InlineData("OTLP__ENDPOINT", "collector:4317", "KRXHUB_OTLP__ENDPOINT 'collector:4317' is not an absolute URL such as http://127.0.0.1:4317")]
    [InlineData("OTLP__PROTOCOL", "http", "KRXHUB_OTLP__PROTOCOL 'http' is not grpc or http/protobuf")]
    [InlineData("OTLP__HEADERS", "a=b", "KRXHUB_OTLP__HEADERS is not a setting; known: KRXHUB_OTLP__ENDPOINT, KRXHUB_OTLP__PROTOCOL")]
    public void A_bad_observability_setting_is_one_line_naming_the_variable(string key, string value, string message)
    {
        var error = Assert.Throws<CliException>(() => Read(new() { [key] = value }));
        Assert.Equal((2, message), (error.ExitCode, error.Message));
    }

    private static HubSettings Read(Dictionary<string, string?> environment) =>
        HubSettings.From(new ConfigurationBuilder().AddInMemoryCollection(environment.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => kv.Value)).Build());
}
