namespace KrxHub.Features.Access;

/// <summary>
/// Access control and limits (KRXHUB_ACCESS__…, listed in .env.example). Keys themselves live in the store
/// (`krxhub keys add`); these settings say what a key may do and how much.
/// </summary>
public sealed record AccessSettings
{
    public const string SectionName = "Access";

    /// <summary>true: keys with the read role may also start backtests and write conditions (admin-only by default).</summary>
    public bool ReadMayRunBacktestsAndConditions { get; init; }

    /// <summary>Requests per minute of one API key.</summary>
    public int RequestsPerMinutePerKey { get; init; } = 1200;

    /// <summary>Requests per minute of one client address (keyed or not).</summary>
    public int RequestsPerMinutePerIp { get; init; } = 600;

    /// <summary>
    /// false (the default): loopback clients are not limited per address — on loopback they are the operator, a local
    /// proxy (configure <see cref="TrustedProxies"/> so that its clients count by their own address) or a benchmark.
    /// </summary>
    public bool LimitLoopback { get; init; }

    /// <summary>Open /ws connections of one key, and of one client address.</summary>
    public int WebSocketsPerKey { get; init; } = 50;

    public int WebSocketsPerIp { get; init; } = 50;

    /// <summary>Backtests queued or running on this node before POST /api/backtests answers 429.</summary>
    public int BacktestQueue { get; init; } = 8;

    /// <summary>The largest request body, in bytes (screen expressions, conditions and backtest requests are small).</summary>
    public int MaxRequestBodyBytes { get; init; } = 1_048_576;

    /// <summary>Comma-separated origins allowed by CORS (https://app.example.com); empty: no cross-origin access.</summary>
    public string? CorsOrigins { get; init; }

    /// <summary>Comma-separated addresses of the reverse proxies whose X-Forwarded-For/-Proto are believed.</summary>
    public string? TrustedProxies { get; init; }

    public IReadOnlyList<string> CorsOriginList => Split(CorsOrigins);

    public IReadOnlyList<string> TrustedProxyList => Split(TrustedProxies);

    public string? Validate()
    {
        foreach (var (name, value) in new[]
        {
            (nameof(RequestsPerMinutePerKey), RequestsPerMinutePerKey), (nameof(RequestsPerMinutePerIp), RequestsPerMinutePerIp),
            (nameof(WebSocketsPerKey), WebSocketsPerKey), (nameof(WebSocketsPerIp), WebSocketsPerIp),
            (nameof(BacktestQueue), BacktestQueue), (nameof(MaxRequestBodyBytes), MaxRequestBodyBytes),
        })
        {
            if (value < 1)
            {
                return $"{Shared.SettingsBinder.EnvName(SectionName, name)} must be at least 1";
            }
        }

        foreach (var proxy in TrustedProxyList)
        {
            if (!System.Net.IPAddress.TryParse(proxy, out _))
            {
                return $"{Shared.SettingsBinder.EnvName(SectionName, nameof(TrustedProxies))}: '{proxy}' is not an IP address";
            }
        }

        foreach (var origin in CorsOriginList)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                return $"{Shared.SettingsBinder.EnvName(SectionName, nameof(CorsOrigins))}: '{origin}' is not an origin such as https://app.example.com";
            }
        }

        return null;
    }

    private static string[] Split(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
