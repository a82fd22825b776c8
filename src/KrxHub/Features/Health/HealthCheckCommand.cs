using System.CommandLine;
using KrxHub.Shared;

namespace KrxHub.Features.Health;

/// <summary>
/// `krxhub healthcheck`: GET a health endpoint and exit 0 when it answers 2xx, 1 otherwise. The container's HEALTHCHECK
/// runs it, because the ASP.NET runtime image has no curl or wget.
/// </summary>
public static class HealthCheckCommand
{
    public const string DefaultUrl = "http://127.0.0.1:5080/health/live";

    public static Command Create()
    {
        var url = new Option<string>("--url")
        {
            Description = "The endpoint to ask",
            DefaultValueFactory = _ => DefaultUrl,
        };
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "How long to wait for the answer",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(5),
        };
        var command = new Command("healthcheck", """
            Ask a running hub's health endpoint: exit 0 when it answers 2xx, 1 when it does not (or not in time).
            The Dockerfile's HEALTHCHECK uses it.

            Examples:
              krxhub healthcheck
              krxhub healthcheck --url http://127.0.0.1:8080/health/ready --timeout 00:00:10
            """);
        command.Options.Add(url);
        command.Options.Add(timeout);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliException($"--url '{parse.GetValue(url)}' is not an http(s) address", 2);
            }

            using var http = new HttpClient { Timeout = parse.GetValue(timeout) };
            try
            {
                using var response = await http.GetAsync(address, ct);
                Console.WriteLine($"{address}: {(int)response.StatusCode} {response.ReasonPhrase}");
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                throw new CliException($"{address}: no answer ({e.Message.ReplaceLineEndings(" ")})");
            }
        }));
        return command;
    }
}
