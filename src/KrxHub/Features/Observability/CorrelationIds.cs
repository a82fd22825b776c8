using System.Diagnostics;

namespace KrxHub.Features.Observability;

/// <summary>
/// One id per request that ties its log lines together and that the caller sees: an incoming X-Correlation-Id (or
/// X-Request-Id) when it is a plain token, else a new one. It is echoed in the X-Correlation-Id response header and put
/// into a log scope (CorrelationId) next to ASP.NET Core's own RequestId.
/// </summary>
public static class CorrelationIds
{
    public const string Header = "X-Correlation-Id";
    public const string RequestIdHeader = "X-Request-Id";
    public const int MaxLength = 128;

    private static readonly object ItemKey = new();

    public static IApplicationBuilder UseCorrelationIds(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("KrxHub.Requests");
        return app.Use(async (context, next) =>
        {
            var id = Accepted(context.Request.Headers[Header].ToString()) ?? Accepted(context.Request.Headers[RequestIdHeader].ToString())
                ?? (Activity.Current?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N"));
            context.Items[ItemKey] = id;
            context.Response.Headers[Header] = id;
            using (logger.BeginScope(new CorrelationScope(id)))
            {
                await next(context);
            }
        });
    }

    /// <summary>The request's correlation id (for messages that send the reader to the log).</summary>
    public static string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var id) && id is string s ? s : context.TraceIdentifier;
    }

    // Only a plain token goes into logs and headers: letters, digits and - _ . : (no spaces, quotes or line breaks).
    private static string? Accepted(string value) =>
        value.Length is > 0 and <= MaxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':') ? value : null;

    /// <summary>The scope's state: one CorrelationId property, and "CorrelationId:…" as its message (like ASP.NET Core's own scopes).</summary>
    private sealed class CorrelationScope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("CorrelationId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"CorrelationId:{id}";
    }
}
