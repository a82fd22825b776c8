// Over 400 lines on purpose: the request path (rate limit, retry and breaker, paging, error mapping) is one pipeline;
// the token and the per-TR parsers are already in KiwoomClient.Token.cs and KiwoomClient.StockInfo.cs.
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;

namespace KrxHub.Sources.Kiwoom;

/// <summary>The circuit breaker as /health/ready shows it.</summary>
public enum KiwoomCircuitState
{
    Closed,
    Open,

    /// <summary>The break is over: the next call is a probe that closes or re-opens the circuit.</summary>
    HalfOpen,
}

/// <summary>
/// All rows of a continued query, in the server's order, plus the first page for its top-level fields.
/// <see cref="Truncated"/> is true when the page cap stopped the query while cont-yn was still Y.
/// </summary>
public sealed record KiwoomPages(IReadOnlyList<JsonElement> Rows, JsonElement First, int Pages, bool Truncated);

/// <summary>
/// Kiwoom REST client: token lifecycle (au10001/au10002), continuation paging, one shared rate limiter, retries with
/// backoff and a circuit breaker. Typed TRs are in the other parts of this class. Thread-safe; use one per process.
/// Never logs or puts into an exception message the app key, the secret or a token.
/// </summary>
public sealed partial class KiwoomClient
{
    public const string Source = "kiwoom";

    private static readonly MediaTypeHeaderValue JsonUtf8 = MediaTypeHeaderValue.Parse("application/json;charset=UTF-8");
    private static readonly ResiliencePropertyKey<string> ApiIdKey = new("kiwoom.api-id");

    // Answers after which the official client re-issues the token once: 8005 invalid token, 8031 real/mock mismatch,
    // 8103 token or device authentication failed.
    private static readonly int[] TokenRejectedCodes = [8005, 8031, 8103];

    private readonly HttpClient _http;
    private readonly KiwoomOptions _options;
    private readonly KiwoomRateLimiter _limiter;
    private readonly KiwoomTokenStore _tokenStore;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _breaker = new();
    // When the current break ends; MaxValue while not broken, so a state read racing Polly's OnOpened says Open.
    private long _openUntilUtcTicks = long.MaxValue;

    /// <param name="limiter">The process-wide limiter; share one instance between every Kiwoom caller. Default: from the options.</param>
    /// <param name="tokenStore">Where the token survives restarts. Default: memory only.</param>
    public KiwoomClient(
        HttpClient http,
        KiwoomOptions options,
        TimeProvider timeProvider,
        KiwoomRateLimiter? limiter = null,
        KiwoomTokenStore? tokenStore = null,
        ILogger<KiwoomClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _http = http;
        _options = options;
        _time = timeProvider;
        _limiter = limiter ?? KiwoomRateLimiter.FromOptions(options, timeProvider);
        _tokenStore = tokenStore ?? KiwoomTokenStore.InMemory();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pipeline = BuildPipeline();
    }

    public KiwoomOptions Options => _options;

    public KiwoomCircuitState CircuitState => _breaker.CircuitState switch
    {
        Polly.CircuitBreaker.CircuitState.Closed => KiwoomCircuitState.Closed,
        Polly.CircuitBreaker.CircuitState.HalfOpen => KiwoomCircuitState.HalfOpen,

        // Polly moves to half-open only when the next call arrives; report it as soon as the break is over.
        _ when _time.GetUtcNow().UtcTicks >= Volatile.Read(ref _openUntilUtcTicks) => KiwoomCircuitState.HalfOpen,
        _ => KiwoomCircuitState.Open,
    };

    /// <summary>
    /// Calls one TR and follows cont-yn/next-key until cont-yn is not Y or <see cref="KiwoomOptions.PageCap"/> pages were read.
    /// Every value in <paramref name="body"/> is sent as a string, as Kiwoom expects. With <paramref name="arrayKey"/> null the
    /// TR is not paged and only <see cref="KiwoomPages.First"/> is filled.
    /// </summary>
    public Task<KiwoomPages> QueryAsync(string path, string apiId, IReadOnlyDictionary<string, string> body, string? arrayKey, CancellationToken cancellationToken) =>
        QueryAsync(path, apiId, body, arrayKey, null, cancellationToken);

    /// <summary>
    /// As above, and stops after the first page that holds a row for which <paramref name="isPastRange"/> is true: TRs that
    /// page backwards in time (charts, investor flows) reach the start of the wanted range long before the page cap.
    /// </summary>
    public Task<KiwoomPages> QueryAsync(string path, string apiId, IReadOnlyDictionary<string, string> body, string? arrayKey,
        Func<JsonElement, bool>? isPastRange, CancellationToken cancellationToken) =>
        QueryAsync(path, apiId, body, arrayKey, isPastRange, 0, cancellationToken);

    /// <summary>
    /// As above for a query bounded by a date range that holds up to <paramref name="rangeRows"/> rows: it pages until a row
    /// is past the range's start, and the page cap is only a runaway guard, raised by the pages those rows take at the size
    /// of the first page (<see cref="KiwoomOptions.PageCap"/> + ⌈rangeRows / first page's rows⌉).
    /// </summary>
    public async Task<KiwoomPages> QueryAsync(string path, string apiId, IReadOnlyDictionary<string, string> body, string? arrayKey,
        Func<JsonElement, bool>? isPastRange, int rangeRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rangeRows);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiId);
        ArgumentNullException.ThrowIfNull(body);
        var json = JsonSerializer.Serialize(body);
        var rows = new List<JsonElement>();
        JsonElement first = default;
        string? nextKey = null;
        var pageCap = _options.PageCap;
        for (var pages = 1; ; pages++)
        {
            var page = await ExecuteAsync(new PageRequest(path, apiId, json, nextKey), cancellationToken);
            if (pages == 1)
            {
                first = page.Root;
            }

            if (arrayKey is null)
            {
                return new KiwoomPages(rows, first, pages, false);
            }

            if (!page.Root.TryGetProperty(arrayKey, out var array) || array.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            {
                throw new KiwoomPayloadException(apiId, $"page {pages} has no '{arrayKey}' array");
            }

            var reachedStart = false;
            if (pages == 1 && isPastRange is not null)
            {
                var perPage = array.ValueKind == JsonValueKind.Array ? Math.Max(1, array.GetArrayLength()) : 1;
                pageCap = _options.PageCap + (int)Math.Min(int.MaxValue - _options.PageCap, ((long)rangeRows + perPage - 1) / perPage);
            }

            if (array.ValueKind == JsonValueKind.Array)
            {
                foreach (var row in array.EnumerateArray())
                {
                    rows.Add(row);
                    reachedStart |= isPastRange is not null && isPastRange(row);
                }
            }

            _logger.LogDebug("Kiwoom {ApiId}: page {Page} gave {Rows} rows (cont-yn {ContYn})", apiId, pages, array.ValueKind == JsonValueKind.Array ? array.GetArrayLength() : 0, page.ContYn);
            if (reachedStart || !string.Equals(page.ContYn?.Trim(), "Y", StringComparison.OrdinalIgnoreCase))
            {
                return new KiwoomPages(rows, first, pages, false);
            }

            if (string.IsNullOrWhiteSpace(page.NextKey))
            {
                _logger.LogWarning("Kiwoom {ApiId}: cont-yn Y without a next-key after page {Page}; stopping", apiId, pages);
                return new KiwoomPages(rows, first, pages, true);
            }

            if (pages >= pageCap)
            {
                _logger.LogWarning("Kiwoom {ApiId}: stopped at the page cap ({PageCap} pages, {Rows} rows); the server has more", apiId, pageCap, rows.Count);
                return new KiwoomPages(rows, first, pages, true);
            }

            nextKey = page.NextKey;
        }
    }

    private sealed record PageRequest(string Path, string ApiId, string Json, string? NextKey);

    private sealed record Page(JsonElement Root, string? ContYn, string? NextKey);

    private sealed record RawResponse(int Status, string? ContentType, string Body, string? ContYn, string? NextKey);

    /// <summary>The body as JSON (null when it is not), with the envelope's return_code and return_msg when present.</summary>
    private sealed record ParsedResponse(JsonElement? Root, int? ReturnCode, string? ReturnMessage, string? JsonError);

    private async Task<Page> ExecuteAsync(PageRequest request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ApiIdKey, request.ApiId);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.FetchPageAsync(state.Request, ctx.CancellationToken),
                context,
                (Self: this, Request: request));
        }
        catch (BrokenCircuitException e)
        {
            SourceMetrics.CircuitRefused("Kiwoom");
            throw new KiwoomCircuitOpenException(request.ApiId, "circuit open after repeated failures; no request was sent", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt at one page; a refused token is re-issued once and the page sent once more.</summary>
    private async ValueTask<Page> FetchPageAsync(PageRequest request, CancellationToken cancellationToken)
    {
        var token = await GetTokenAsync(null, cancellationToken);
        var raw = await SendAsync(request.Path, request.ApiId, request.Json, token, request.NextKey, cancellationToken);
        var parsed = Parse(raw);
        if (TokenRejected(raw, parsed) is { } reason)
        {
            _logger.LogInformation("Kiwoom {ApiId}: token refused ({Reason}); issuing a new one and retrying once", request.ApiId, reason);
            token = await GetTokenAsync(token, cancellationToken);
            raw = await SendAsync(request.Path, request.ApiId, request.Json, token, request.NextKey, cancellationToken);
            parsed = Parse(raw);
            if (TokenRejected(raw, parsed) is { } again)
            {
                throw new KiwoomAuthException(request.ApiId, $"token refused again after a re-issue ({again})");
            }
        }

        var root = Check(request.ApiId, raw, parsed, showBody: true);
        return new Page(root, raw.ContYn, raw.NextKey);
    }

    private string? TokenRejected(RawResponse raw, ParsedResponse parsed)
    {
        if (raw.Status == 401)
        {
            return "HTTP 401";
        }

        // The official client checks return_code; the bracketed form ("[8005:…]", like [1700]) is accepted as well.
        return parsed.ReturnCode is { } rc && rc != 0 &&
               (TokenRejectedCodes.Contains(rc) || KiwoomResponse.DetailCode(parsed.ReturnMessage) is { } detail && TokenRejectedCodes.Contains(detail))
            ? $"return_code {rc}: {Scrub(parsed.ReturnMessage)}"
            : null;
    }

    /// <summary>Sends one request through the shared limiter. Timeouts and network errors become <see cref="KiwoomTransientException"/>.</summary>
    private async Task<RawResponse> SendAsync(string path, string apiId, string json, string? token, string? nextKey, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.EffectiveBaseUrl + path);
        request.Content = new StringContent(json, Encoding.UTF8);
        request.Content.Headers.ContentType = JsonUtf8;
        request.Headers.TryAddWithoutValidation("api-id", apiId);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        }

        if (nextKey is not null)
        {
            request.Headers.TryAddWithoutValidation("cont-yn", "Y");
            request.Headers.TryAddWithoutValidation("next-key", nextKey);
        }

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var body = await response.Content.ReadAsStringAsync(linked.Token);
            var status = (int)response.StatusCode;
            SourceMetrics.Answered("Kiwoom", status, _time.GetElapsedTime(started));
            _logger.LogDebug("Kiwoom {ApiId} {Path}: HTTP {Status} in {Elapsed} ms", apiId, path, status, (long)_time.GetElapsedTime(started).TotalMilliseconds);
            return new RawResponse(status, response.Content.Headers.ContentType?.MediaType, body, Header(response, "cont-yn"), Header(response, "next-key"));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            SourceMetrics.Unanswered("Kiwoom", "timeout", _time.GetElapsedTime(started));
            throw new KiwoomTransientException(apiId, $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            SourceMetrics.Unanswered("Kiwoom", "network_error", _time.GetElapsedTime(started));
            throw new KiwoomTransientException(apiId, $"network error: {e.Message}", e);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static ParsedResponse Parse(RawResponse raw)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(raw.Body);
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return new ParsedResponse(null, null, null, e.Message);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new ParsedResponse(root, null, null, null);
        }

        int? code = null;
        if (root.TryGetProperty("return_code", out var rc))
        {
            if (rc.ValueKind == JsonValueKind.Number && rc.TryGetInt32(out var n))
            {
                code = n;
            }
            else if (rc.ValueKind == JsonValueKind.String && int.TryParse(rc.GetString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out n))
            {
                code = n;
            }
        }

        return new ParsedResponse(root, code, KiwoomRowReader.Text(root, "return_msg"), null);
    }

    /// <summary>
    /// Turns an answer into its JSON object or the matching exception. <paramref name="showBody"/> quotes the start of a
    /// non-JSON body in the message; it is false for the token endpoints, whose bodies hold the token.
    /// </summary>
    private JsonElement Check(string apiId, RawResponse raw, ParsedResponse parsed, bool showBody)
    {
        if (raw.Status == 429)
        {
            throw new KiwoomRateLimitedException(apiId, "HTTP 429 Too Many Requests");
        }

        if (raw.Status >= 500)
        {
            throw new KiwoomTransientException(apiId, $"HTTP {raw.Status}{Describe(raw, parsed, showBody)}");
        }

        if (parsed.Root is not { } root)
        {
            var what = raw.Status is >= 200 and < 300 ? "answer" : $"HTTP {raw.Status} answer";
            throw new KiwoomPayloadException(apiId, $"{what} is not valid JSON ({raw.ContentType ?? "no content type"}, {raw.Body.Length} chars){(showBody ? $": {parsed.JsonError} Starts: '{Snippet(raw.Body)}'" : string.Empty)}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new KiwoomPayloadException(apiId, $"answer is a JSON {root.ValueKind}, not an object");
        }

        if (parsed.ReturnCode is not { } code)
        {
            throw new KiwoomPayloadException(apiId, $"HTTP {raw.Status} answer has no numeric return_code");
        }

        if (code != 0)
        {
            throw KiwoomResponse.DetailCode(parsed.ReturnMessage) switch
            {
                KiwoomResponse.RateLimitDetail => new KiwoomRateLimitedException(apiId, $"return_code {code}: {Scrub(parsed.ReturnMessage)}"),
                KiwoomResponse.BatchTooLargeDetail => new KiwoomBatchTooLargeException(apiId, code, Scrub(parsed.ReturnMessage)),
                _ => new KiwoomApiException(apiId, code, Scrub(parsed.ReturnMessage)),
            };
        }

        if (raw.Status is < 200 or >= 300)
        {
            throw new KiwoomPayloadException(apiId, $"HTTP {raw.Status} with return_code 0");
        }

        return root;
    }

    private string Describe(RawResponse raw, ParsedResponse parsed, bool showBody) =>
        parsed.ReturnCode is { } rc ? $", return_code {rc}: {Scrub(parsed.ReturnMessage)}"
        : showBody && raw.Body.Length > 0 ? $" ({raw.ContentType ?? "no content type"}): '{Snippet(raw.Body)}'"
        : string.Empty;

    private string Snippet(string body)
    {
        var s = Scrub(string.Join(' ', body.Split((char[]?)null, 40, StringSplitOptions.RemoveEmptyEntries)))!;
        return s.Length <= 120 ? s : s[..120] + "…";
    }

    /// <summary>Masks the app key, the secret and the token wherever a server echoed them (an error page quoting the request).</summary>
    private string? Scrub(string? text)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var secret in new[] { _options.AppKey, _options.SecretKey, Volatile.Read(ref _token)?.Token })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    private ResiliencePipeline BuildPipeline() => SourceResilience.Build(
        new SourceResilienceOptions("Kiwoom", ApiIdKey,
            e => e is KiwoomTransientException, e => e is KiwoomRateLimitedException,
            _options.MaxRetries, _options.RetryBaseDelay, TimeSpan.FromSeconds(30), _options.RateLimitBackoff,
            _options.BreakerFailureRatio, _options.BreakerMinimumThroughput, _options.BreakerSamplingDuration, _options.BreakerBreakDuration)
        {
            StateProvider = _breaker,
            OnOpened = breakDuration => Volatile.Write(ref _openUntilUtcTicks, (_time.GetUtcNow() + breakDuration).UtcTicks),
            OnNotOpen = () => Volatile.Write(ref _openUntilUtcTicks, long.MaxValue),
        },
        _time,
        _logger);

}

/// <summary>The bracketed detail code Kiwoom puts in return_msg ("…[1700:허용된 요청 개수를 초과하였습니다…]").</summary>
internal static class KiwoomResponse
{
    public const int RateLimitDetail = 1700;
    public const int BatchTooLargeDetail = 1634;

    public static int? DetailCode(string? message)
    {
        if (message is null)
        {
            return null;
        }

        for (var i = message.IndexOf('[', StringComparison.Ordinal); i >= 0 && i < message.Length; i = message.IndexOf('[', i + 1))
        {
            var j = i + 1;
            var code = 0;
            while (j < message.Length && j - i <= 6 && char.IsAsciiDigit(message[j]))
            {
                code = (code * 10) + (message[j] - '0');
                j++;
            }

            if (j > i + 1 && (j == message.Length || message[j] is ':' or ']'))
            {
                return code;
            }
        }

        return null;
    }
}
