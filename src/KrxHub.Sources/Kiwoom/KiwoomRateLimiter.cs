namespace KrxHub.Sources.Kiwoom;

/// <summary>The one request budget shared by every Kiwoom call of the process (Kiwoom counts per app key, not per caller).</summary>
public sealed class KiwoomRateLimiter(double requestsPerSecond, TimeProvider timeProvider, TimeSpan? margin = null)
    : RequestRateLimiter(requestsPerSecond, timeProvider, margin)
{
    public static KiwoomRateLimiter FromOptions(KiwoomOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new KiwoomRateLimiter(options.EffectiveRequestsPerSecond, timeProvider, options.RateWindowMargin);
    }
}
