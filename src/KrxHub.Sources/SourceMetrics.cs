using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace KrxHub.Sources;

/// <summary>
/// The upstream sources' instruments, on their own meter: the clients are built outside the host's container (CLI verbs,
/// tests), so like System.Net.Http they own a process-wide meter that the host exports by name.
/// </summary>
public static class SourceMetrics
{
    public const string MeterName = "KrxHub.Sources";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("krxhub.source.requests", "{request}",
        "HTTP requests sent to an upstream source, by source and outcome (ok, http_4xx, http_5xx, rate_limited, timeout, network_error)");

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("krxhub.source.request.duration", "s",
        "Time from sending a request to an upstream source to reading its whole answer");

    private static readonly Counter<long> Errors = Meter.CreateCounter<long>("krxhub.source.errors", "{error}",
        "Failed calls to an upstream source, by kind: transient (5xx, timeout, network; retried), rate_limited (retried), circuit_open (refused without a request)");

    private static readonly Counter<long> BreakerOpenings = Meter.CreateCounter<long>("krxhub.source.breaker.openings", "{opening}",
        "Times a source's circuit breaker opened");

    // The last breaker state per source name; several clients of one source (KRX Open API and data system) share the line.
    private static readonly ConcurrentDictionary<string, int> BreakerStates = new(StringComparer.Ordinal);

    static SourceMetrics()
    {
        Meter.CreateObservableGauge("krxhub.source.breaker.state",
            () => BreakerStates.Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("source", s.Key))),
            "{state}", "Circuit breaker of a source: 0 closed, 1 half-open, 2 open");
    }

    /// <summary>Breaker states as <c>krxhub.source.breaker.state</c> reports them.</summary>
    public enum BreakerState
    {
        Closed = 0,
        HalfOpen = 1,
        Open = 2,
    }

    /// <summary>One request answered (any HTTP status) after <paramref name="elapsed"/>.</summary>
    public static void Answered(string source, int status, TimeSpan elapsed)
    {
        var outcome = status switch
        {
            429 => "rate_limited",
            >= 500 => "http_5xx",
            >= 400 => "http_4xx",
            _ => "ok",
        };
        Record(source, outcome, elapsed);
        if (status == 429 || status >= 500)
        {
            Error(source, status == 429 ? "rate_limited" : "transient");
        }
    }

    /// <summary>One request that got no answer: "timeout" or "network_error".</summary>
    public static void Unanswered(string source, string outcome, TimeSpan elapsed)
    {
        Record(source, outcome, elapsed);
        Error(source, "transient");
    }

    /// <summary>A call refused by the open breaker (no request was sent).</summary>
    public static void CircuitRefused(string source) => Error(source, "circuit_open");

    public static void Breaker(string source, BreakerState state)
    {
        BreakerStates[source] = (int)state;
        if (state == BreakerState.Open)
        {
            BreakerOpenings.Add(1, new KeyValuePair<string, object?>("source", source));
        }
    }

    private static void Record(string source, string outcome, TimeSpan elapsed)
    {
        Requests.Add(1, new("source", source), new("outcome", outcome));
        RequestDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("source", source));
    }

    private static void Error(string source, string kind) => Errors.Add(1, new("source", source), new("kind", kind));
}
