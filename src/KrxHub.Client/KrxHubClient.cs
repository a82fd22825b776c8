using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace KrxHub.Client;

/// <summary>
/// The hub's REST API as typed calls (one method per endpoint; the CSV forms are for pandas, not for this client) and its
/// WebSocket feed as <see cref="LiveAsync"/>. Failures come as <see cref="KrxHubApiException"/> and its subclasses.
/// Thread-safe; keep one per hub. Pass your own <see cref="HttpClient"/> to control handlers, timeouts or proxies.
/// </summary>
public sealed partial class KrxHubClient : IDisposable
{
    /// <summary>The hub's JSON: camelCase names (web defaults), dates as yyyy-MM-dd, decimals exact.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public KrxHubClient(KrxHubClientOptions options)
        : this(new HttpClient(), options, ownsHttp: true)
    {
    }

    /// <summary>A client on <paramref name="http"/>, which it does not dispose (its BaseAddress is set from the options when unset).</summary>
    public KrxHubClient(HttpClient http, KrxHubClientOptions options)
        : this(http, options, ownsHttp: false)
    {
    }

    private KrxHubClient(HttpClient http, KrxHubClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _http = http;
        _ownsHttp = ownsHttp;
        _http.BaseAddress ??= options.BaseAddress;
    }

    public KrxHubClientOptions Options { get; }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private Task<T> GetAsync<T>(string path, CancellationToken ct, params (string Name, object? Value)[] query) =>
        SendAsync<T>(HttpMethod.Get, path, query, null, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, (string Name, object? Value)[] query, object? body, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, path, query, body, ct);
        return (await response.Content.ReadFromJsonAsync<T>(Json, ct))!;
    }

    private async Task SendNoContentAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var response = await SendRawAsync(method, path, [], null, ct);
    }

    /// <summary>One request; a status outside 2xx is thrown as the ProblemDetails it carries.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, (string Name, object? Value)[] query, object? body,
        CancellationToken ct, params HttpStatusCode[] alsoAccepted)
    {
        using var request = new HttpRequestMessage(method, new Uri(path + QueryString(query), UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (Options.ApiKey is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode || alsoAccepted.Contains(response.StatusCode))
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            throw KrxHubApiException.From(response.StatusCode, text, RetryAfter(response));
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static string QueryString((string Name, object? Value)[] query)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in query)
        {
            var formatted = value switch
            {
                null => null,
                DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
                bool b => b ? "true" : "false",
                IEnumerable<string> list => string.Join(',', list),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            if (formatted is null)
            {
                continue;
            }

            text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(formatted));
        }

        return text.ToString();
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);
}
