using System.Text;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>Request budget, timeout and retry settings, the same for both KRX clients.</summary>
internal sealed record KrxRetrySettings(double RequestsPerSecond, TimeSpan RequestTimeout, int MaxRetries, TimeSpan RetryBaseDelay, TimeSpan RateLimitBackoff)
{
    public static string? Validate(string prefix, double requestsPerSecond, TimeSpan requestTimeout, int maxRetries, TimeSpan retryBaseDelay, TimeSpan rateLimitBackoff)
    {
        if (!double.IsFinite(requestsPerSecond) || requestsPerSecond <= 0)
        {
            return prefix + "REQUESTSPERSECOND must be a positive number";
        }

        if (requestTimeout <= TimeSpan.Zero)
        {
            return prefix + "REQUESTTIMEOUT must be positive (e.g. 00:00:30)";
        }

        if (maxRetries < 0)
        {
            return prefix + "MAXRETRIES must not be negative";
        }

        if (retryBaseDelay < TimeSpan.Zero || rateLimitBackoff < TimeSpan.Zero)
        {
            return $"{prefix}RETRYBASEDELAY and {prefix}RATELIMITBACKOFF must not be negative";
        }

        return null;
    }
}

/// <summary>One answer as read: status, content type and the whole body.</summary>
internal sealed record KrxAnswer(int Status, string? ContentType, byte[] Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    public string Text => Encoding.UTF8.GetString(Body);

    /// <summary>The body starts like an HTML page (KRX and proxies answer failures with one).</summary>
    public bool LooksLikeHtml => Body.AsSpan().TrimStart(" \t\r\n\uFEFF"u8).StartsWith("<"u8);
}

/// <summary>
/// The transport both KRX clients share: one rate limiter, a timeout per attempt, jittered retries of 5xx/429/timeouts
/// and a circuit breaker over infrastructure failures. Everything it logs or puts into a message goes through
/// <see cref="Scrub"/>, so the secrets it was given never leave it.
/// </summary>
internal sealed class KrxHttp
{
    // Breaker: open for a minute when half of at least 5 attempts within a minute failed on infrastructure.
    private const double BreakerFailureRatio = 0.5;
    private const int BreakerMinimumThroughput = 5;
    private static readonly TimeSpan BreakerWindow = TimeSpan.FromMinutes(1);

    private static readonly ResiliencePropertyKey<string> RequestKey = new("krx.request");

    private readonly HttpClient _http;
    private readonly KrxRetrySettings _settings;
    private readonly RequestRateLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string[] _secrets;
    private readonly ResiliencePipeline _pipeline;

    public KrxHttp(HttpClient http, KrxRetrySettings settings, RequestRateLimiter limiter, TimeProvider time, ILogger logger, IEnumerable<string?> secrets)
    {
        _http = http;
        _settings = settings;
        _limiter = limiter;
        _time = time;
        _logger = logger;
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
        _pipeline = BuildPipeline();
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> until it succeeds, throws something other than <see cref="KrxTransientException"/> or
    /// <see cref="KrxRateLimitedException"/>, or the retries run out.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(string request, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) => await state(ctx.CancellationToken),
                context,
                attempt);
        }
        catch (BrokenCircuitException e)
        {
            SourceMetrics.CircuitRefused("KRX");
            throw new KrxCircuitOpenException(request, "circuit open after repeated failures; no request was sent", e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Sends one request through the limiter and reads the whole answer. Timeouts and network errors become
    /// <see cref="KrxTransientException"/>; HTTP 429 becomes <see cref="KrxRateLimitedException"/> and 5xx
    /// <see cref="KrxTransientException"/>, so that <see cref="ExecuteAsync"/> retries them. Other statuses are the caller's.
    /// </summary>
    public async Task<KrxAnswer> SendAsync(string request, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(cancellationToken);
        using var message = build();
        using var timeout = new CancellationTokenSource(_settings.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        KrxAnswer answer;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var body = await response.Content.ReadAsByteArrayAsync(linked.Token);
            answer = new KrxAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            SourceMetrics.Unanswered("KRX", "timeout", _time.GetElapsedTime(started));
            throw new KrxTransientException(request, $"no answer within {_settings.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            SourceMetrics.Unanswered("KRX", "network_error", _time.GetElapsedTime(started));
            throw new KrxTransientException(request, "network error: " + Scrub(OneLine(e.Message)), e);
        }

        SourceMetrics.Answered("KRX", answer.Status, _time.GetElapsedTime(started));
        _logger.LogDebug("KRX {Request}: HTTP {Status} in {Elapsed} ms, {Bytes} bytes",
            request, answer.Status, (long)_time.GetElapsedTime(started).TotalMilliseconds, answer.Body.Length);
        if (answer.Status == 429)
        {
            throw new KrxRateLimitedException(request, "HTTP 429 Too Many Requests");
        }

        if (answer.Status >= 500)
        {
            throw new KrxTransientException(request, $"HTTP {answer.Status}{Quote(answer)}");
        }

        return answer;
    }

    /// <summary>" (text/html): '&lt;html&gt;…'" for messages: the content type and the start of the body, secrets removed.</summary>
    public string Quote(KrxAnswer answer) =>
        answer.Body.Length == 0 ? " with an empty body" : $" ({answer.ContentType ?? "no content type"}): '{Snippet(answer.Text)}'";

    /// <summary>The start of a body on one line, at most 120 characters, secrets removed.</summary>
    public string Snippet(string body)
    {
        var s = Scrub(OneLine(body));
        return s.Length <= 120 ? s : s[..120] + "…";
    }

    public string Scrub(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return text;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, 60, StringSplitOptions.RemoveEmptyEntries));

    private ResiliencePipeline BuildPipeline() => SourceResilience.Build(
        new SourceResilienceOptions("KRX", RequestKey,
            e => e is KrxTransientException, e => e is KrxRateLimitedException,
            _settings.MaxRetries, _settings.RetryBaseDelay, TimeSpan.FromMinutes(1), _settings.RateLimitBackoff,
            BreakerFailureRatio, BreakerMinimumThroughput, BreakerWindow, BreakerWindow),
        _time,
        _logger);

}
