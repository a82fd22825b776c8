using System.Net;
using System.Text.Json;

namespace KrxHub.Client;

/// <summary>
/// A ProblemDetails answer (RFC 9457) of the hub as an exception: <see cref="Status"/>, <see cref="Title"/>, <see cref="Detail"/>,
/// and for a 400 the field errors (<see cref="Errors"/>: parameter name → messages). 401, 403, 404 and 429 have their own
/// subclasses so that callers can catch exactly the case they handle.
/// </summary>
public class KrxHubApiException : Exception
{
    public KrxHubApiException(HttpStatusCode status, string? title, string? detail, IReadOnlyDictionary<string, string[]>? errors = null, string? body = null)
        : base(Describe(status, title, detail))
    {
        Status = status;
        Title = title;
        Detail = detail;
        Errors = errors ?? new Dictionary<string, string[]>();
        Body = body;
    }

    public KrxHubApiException()
        : this(HttpStatusCode.InternalServerError, null, null)
    {
    }

    public KrxHubApiException(string message)
        : base(message)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public KrxHubApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = new Dictionary<string, string[]>();
    }

    public HttpStatusCode Status { get; }

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>A validation problem's errors by parameter (e.g. <c>from</c>); empty for other problems.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The answer's body as it came, for problems that are not ProblemDetails (e.g. a proxy's HTML page).</summary>
    public string? Body { get; }

    private static string Describe(HttpStatusCode status, string? title, string? detail) =>
        $"{(int)status} {title ?? status.ToString()}{(string.IsNullOrEmpty(detail) ? string.Empty : ": " + detail)}";

    /// <summary>The exception for an answer that is not a success: the ProblemDetails fields when the body is one.</summary>
    internal static KrxHubApiException From(HttpStatusCode status, string body, TimeSpan? retryAfter)
    {
        string? title = null, detail = null;
        Dictionary<string, string[]>? errors = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    errors = e.EnumerateObject().ToDictionary(p => p.Name,
                        p => p.Value.ValueKind == JsonValueKind.Array ? [.. p.Value.EnumerateArray().Select(m => m.ToString())] : new[] { p.Value.ToString() });
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the body is kept as it came.
        }

        return status switch
        {
            HttpStatusCode.Unauthorized => new KrxHubUnauthorizedException(title, detail, body),
            HttpStatusCode.Forbidden => new KrxHubForbiddenException(title, detail, body),
            HttpStatusCode.NotFound => new KrxHubNotFoundException(title, detail, body),
            HttpStatusCode.TooManyRequests => new KrxHubRateLimitedException(title, detail, retryAfter, body),
            _ => new KrxHubApiException(status, title, detail, errors, body),
        };
    }
}

/// <summary>401: no API key, or one the hub does not know (or has revoked).</summary>
public sealed class KrxHubUnauthorizedException(string? title, string? detail, string? body = null)
    : KrxHubApiException(HttpStatusCode.Unauthorized, title, detail, null, body);

/// <summary>403: the key is known but its role may not do this (e.g. a <c>read</c> key on a write).</summary>
public sealed class KrxHubForbiddenException(string? title, string? detail, string? body = null)
    : KrxHubApiException(HttpStatusCode.Forbidden, title, detail, null, body);

/// <summary>404: an unknown stock, index, condition, backtest, or a date that is not a session.</summary>
public sealed class KrxHubNotFoundException(string? title, string? detail, string? body = null)
    : KrxHubApiException(HttpStatusCode.NotFound, title, detail, null, body);

/// <summary>429: a rate limit or a full queue; <see cref="RetryAfter"/> is the wait the hub asked for (Retry-After), when it gave one.</summary>
public sealed class KrxHubRateLimitedException(string? title, string? detail, TimeSpan? retryAfter, string? body = null)
    : KrxHubApiException(HttpStatusCode.TooManyRequests, title, detail, null, body)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
