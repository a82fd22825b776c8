namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// A KRX call failed. Messages are one line, start with the request ("KRX Open API sto/stk_bydd_trd basDd=20240102: …")
/// and never contain the AUTH_KEY, the login ID or the password.
/// </summary>
public class KrxSourceException : Exception
{
    public KrxSourceException()
    {
    }

    public KrxSourceException(string message)
        : base(message)
    {
    }

    public KrxSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxSourceException(string request, string message, Exception? innerException = null)
        : base($"KRX {request}: {message}", innerException)
    {
        Request = request;
    }

    /// <summary>The request as messages name it, e.g. "Open API sto/stk_bydd_trd basDd=20240102".</summary>
    public string? Request { get; }
}

/// <summary>The key or the login was refused (HTTP 401/403 from the Open API, <c>LOGOUT</c> or a refused login from the data system). Never retried: the settings must change.</summary>
public sealed class KrxAuthException : KrxSourceException
{
    public KrxAuthException()
    {
    }

    public KrxAuthException(string message)
        : base(message)
    {
    }

    public KrxAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxAuthException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}

/// <summary>HTTP 429 after the retries ran out.</summary>
public sealed class KrxRateLimitedException : KrxSourceException
{
    public KrxRateLimitedException()
    {
    }

    public KrxRateLimitedException(string message)
        : base(message)
    {
    }

    public KrxRateLimitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxRateLimitedException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}

/// <summary>5xx, a timeout or a network error after the retries ran out. These count towards the circuit breaker.</summary>
public sealed class KrxTransientException : KrxSourceException
{
    public KrxTransientException()
    {
    }

    public KrxTransientException(string message)
        : base(message)
    {
    }

    public KrxTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxTransientException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}

/// <summary>The answer is not the documented shape: an HTML page, truncated or invalid JSON, no <c>OutBlock_1</c> array, rows of another day, or an unexpected HTTP status. Nothing of it is returned; the caller records a failed run.</summary>
public sealed class KrxPayloadException : KrxSourceException
{
    public KrxPayloadException()
    {
    }

    public KrxPayloadException(string message)
        : base(message)
    {
    }

    public KrxPayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxPayloadException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}

/// <summary>The answer is well formed but holds no rows: KRX answers this way for non-session dates, for days it has not published yet and (data system) during a temporary IP block.</summary>
public sealed class KrxNoDataException : KrxSourceException
{
    public KrxNoDataException()
    {
    }

    public KrxNoDataException(string message)
        : base(message)
    {
    }

    public KrxNoDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxNoDataException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}

/// <summary>The circuit breaker is open after repeated failures; no request was sent.</summary>
public sealed class KrxCircuitOpenException : KrxSourceException
{
    public KrxCircuitOpenException()
    {
    }

    public KrxCircuitOpenException(string message)
        : base(message)
    {
    }

    public KrxCircuitOpenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KrxCircuitOpenException(string request, string message, Exception? innerException = null)
        : base(request, message, innerException)
    {
    }
}
