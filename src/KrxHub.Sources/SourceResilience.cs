using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace KrxHub.Sources;

/// <summary>How one upstream source (Kiwoom, KRX) retries and when its circuit opens.</summary>
/// <param name="Name">The source's name in log lines ("Kiwoom", "KRX").</param>
/// <param name="RequestKey">The context property that names the request being made, for log lines.</param>
/// <param name="IsTransient">Infrastructure failures: retried, and counted by the breaker.</param>
/// <param name="IsRateLimited">Rate-limit answers: retried after a fixed, growing step (the limit refills with time; jitter does not help).</param>
internal sealed record SourceResilienceOptions(
    string Name,
    ResiliencePropertyKey<string> RequestKey,
    Func<Exception, bool> IsTransient,
    Func<Exception, bool> IsRateLimited,
    int MaxRetries,
    TimeSpan RetryBaseDelay,
    TimeSpan MaxRetryDelay,
    TimeSpan RateLimitBackoff,
    double BreakerFailureRatio,
    int BreakerMinimumThroughput,
    TimeSpan BreakerSamplingDuration,
    TimeSpan BreakerBreakDuration)
{
    /// <summary>Keeps the breaker's state readable by the client (the health page shows it).</summary>
    public CircuitBreakerStateProvider? StateProvider { get; init; }

    /// <summary>Called when the circuit opens, with how long it stays open.</summary>
    public Action<TimeSpan>? OnOpened { get; init; }

    /// <summary>Called when the circuit half-opens or closes again.</summary>
    public Action? OnNotOpen { get; init; }
}

/// <summary>
/// The one retry-then-breaker pipeline both upstream clients use: exponential back-off with jitter for transient
/// failures, a fixed growing step for rate limits, and a breaker that counts only infrastructure failures (a refused
/// request or a bad payload says nothing about the server's health).
/// </summary>
internal static class SourceResilience
{
    public static ResiliencePipeline Build(SourceResilienceOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        string RequestOf(ResilienceContext context) => context.Properties.TryGetValue(options.RequestKey, out var request) ? request : "?";

        SourceMetrics.Breaker(options.Name, SourceMetrics.BreakerState.Closed);
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } e && (options.IsTransient(e) || options.IsRateLimited(e))),
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    args.Outcome.Exception is { } e && options.IsRateLimited(e) ? options.RateLimitBackoff * (args.AttemptNumber + 1) : null),
                OnRetry = args =>
                {
                    logger.LogWarning("{Source} {Request}: attempt {Attempt} failed ({Error}); retrying in {Delay} ms",
                        options.Name, RequestOf(args.Context), args.AttemptNumber + 1, args.Outcome.Exception?.Message, (long)args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } e && options.IsTransient(e)),
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            StateProvider = options.StateProvider,
            OnOpened = args =>
            {
                options.OnOpened?.Invoke(args.BreakDuration);
                SourceMetrics.Breaker(options.Name, SourceMetrics.BreakerState.Open);
                logger.LogError("{Source} circuit opened for {Seconds} s after repeated failures (last: {Error})",
                    options.Name, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message);
                return default;
            },
            OnHalfOpened = args =>
            {
                options.OnNotOpen?.Invoke();
                SourceMetrics.Breaker(options.Name, SourceMetrics.BreakerState.HalfOpen);
                logger.LogInformation("{Source} circuit half-open: probing with {Request}", options.Name, RequestOf(args.Context));
                return default;
            },
            OnClosed = _ =>
            {
                options.OnNotOpen?.Invoke();
                SourceMetrics.Breaker(options.Name, SourceMetrics.BreakerState.Closed);
                logger.LogInformation("{Source} circuit closed", options.Name);
                return default;
            },
        });
        return builder.Build();
    }
}
