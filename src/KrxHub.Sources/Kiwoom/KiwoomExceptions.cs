namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// A Kiwoom call failed. Messages are one line and never contain the app key, the secret or a token.
/// <see cref="ApiId"/> is the TR (ka10081 …) or au10001/au10002 for the token endpoints.
/// </summary>
public class KiwoomException : Exception
{
    public KiwoomException()
    {
    }

    public KiwoomException(string message)
        : base(message)
    {
    }

    public KiwoomException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomException(string apiId, string message, Exception? innerException = null)
        : base($"Kiwoom {apiId}: {message}", innerException)
    {
        ApiId = apiId;
    }

    public string? ApiId { get; }
}

/// <summary>The server answered with a non-zero return_code that is not handled more specifically.</summary>
public class KiwoomApiException : KiwoomException
{
    public KiwoomApiException()
    {
    }

    public KiwoomApiException(string message)
        : base(message)
    {
    }

    public KiwoomApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomApiException(string apiId, int returnCode, string? returnMessage)
        : base(apiId, $"return_code {returnCode}: {returnMessage}")
    {
        ReturnCode = returnCode;
        ReturnMessage = returnMessage;
    }

    public int ReturnCode { get; }

    public string? ReturnMessage { get; }

    /// <summary>The bracketed detail code of return_code 5 answers, e.g. 1700 in "…[1700:허용된 요청 개수를 초과하였습니다…]".</summary>
    public int? DetailCode => KiwoomResponse.DetailCode(ReturnMessage);
}

/// <summary>
/// "[1634]": the request names more items than Kiwoom accepts in one call. Never retried: split the batch and call again.
/// </summary>
public sealed class KiwoomBatchTooLargeException : KiwoomApiException
{
    public KiwoomBatchTooLargeException()
    {
    }

    public KiwoomBatchTooLargeException(string message)
        : base(message)
    {
    }

    public KiwoomBatchTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomBatchTooLargeException(string apiId, int returnCode, string? returnMessage)
        : base(apiId, returnCode, returnMessage)
    {
    }
}

/// <summary>HTTP 429 or "[1700]" (too many requests) after the retries ran out.</summary>
public sealed class KiwoomRateLimitedException : KiwoomException
{
    public KiwoomRateLimitedException()
    {
    }

    public KiwoomRateLimitedException(string message)
        : base(message)
    {
    }

    public KiwoomRateLimitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomRateLimitedException(string apiId, string message, Exception? innerException = null)
        : base(apiId, message, innerException)
    {
    }
}

/// <summary>5xx, a timeout or a network error after the retries ran out. These count towards the circuit breaker.</summary>
public sealed class KiwoomTransientException : KiwoomException
{
    public KiwoomTransientException()
    {
    }

    public KiwoomTransientException(string message)
        : base(message)
    {
    }

    public KiwoomTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomTransientException(string apiId, string message, Exception? innerException = null)
        : base(apiId, message, innerException)
    {
    }
}

/// <summary>The token was refused (HTTP 401, 8005/8031/8103 …) even after one re-issue, or the keys were refused at issue.</summary>
public sealed class KiwoomAuthException : KiwoomException
{
    public KiwoomAuthException()
    {
    }

    public KiwoomAuthException(string message)
        : base(message)
    {
    }

    public KiwoomAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomAuthException(string apiId, string message, Exception? innerException = null)
        : base(apiId, message, innerException)
    {
    }
}

/// <summary>The answer is not the documented shape: not JSON (an HTML error page), truncated, or missing its envelope.</summary>
public sealed class KiwoomPayloadException : KiwoomException
{
    public KiwoomPayloadException()
    {
    }

    public KiwoomPayloadException(string message)
        : base(message)
    {
    }

    public KiwoomPayloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomPayloadException(string apiId, string message, Exception? innerException = null)
        : base(apiId, message, innerException)
    {
    }
}

/// <summary>The circuit breaker is open after repeated failures; no request was sent.</summary>
public sealed class KiwoomCircuitOpenException : KiwoomException
{
    public KiwoomCircuitOpenException()
    {
    }

    public KiwoomCircuitOpenException(string message)
        : base(message)
    {
    }

    public KiwoomCircuitOpenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KiwoomCircuitOpenException(string apiId, string message, Exception? innerException = null)
        : base(apiId, message, innerException)
    {
    }
}

/// <summary>
/// The WebSocket connection failed in a way a new connection may fix: closed or silent, a SYSTEM message, a refused LOGIN,
/// or a protocol violation. The live feed logs it and reconnects.
/// </summary>
public sealed class KiwoomLiveException : KiwoomException
{
    public KiwoomLiveException()
    {
    }

    public KiwoomLiveException(string message)
        : base("Kiwoom websocket: " + message)
    {
    }

    public KiwoomLiveException(string message, Exception innerException)
        : base("Kiwoom websocket: " + message, innerException)
    {
    }
}
