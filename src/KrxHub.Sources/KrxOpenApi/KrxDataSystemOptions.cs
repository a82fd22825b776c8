using System.Globalization;
using System.Text;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// Settings of the KRX data system (data.krx.co.kr, <c>getJsonData.cmd</c>), bound from the <c>Krx:DataSystem</c> section
/// (environment: <c>KRXHUB_KRX__DATASYSTEM__URL</c>, <c>__USELOGINSESSION</c>, <c>__LOGINID</c>, <c>__PASSWORD</c> …).
/// Since 2026-02 the data system answers <c>LOGOUT</c> without a member login (broker-apis.md §3.1). Logging in with a
/// member account automates a member site, which has terms-of-service implications (IP blocks are reported); it is
/// therefore off unless <see cref="UseLoginSession"/> is set. The KRX Open API is the official alternative.
/// </summary>
public sealed record KrxDataSystemOptions
{
    public const string SectionName = "Krx:DataSystem";
    public const string DefaultUrl = "https://data.krx.co.kr";

    public string Url { get; init; } = DefaultUrl;

    /// <summary>Log in with <see cref="LoginId"/> and <see cref="Password"/> before querying, as pykrx does since 2026-04. Off by default.</summary>
    public bool UseLoginSession { get; init; }

    public string? LoginId { get; init; }

    public string? Password { get; init; }

    /// <summary>How long a login is trusted before the next one (pykrx treats the session as valid for 1 h).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The data system requires a User-Agent header; its value is not prescribed.</summary>
    public string UserAgent { get; init; } = "Mozilla/5.0 (compatible; KrxHub)";

    /// <summary>pykrx waits 1 s between requests; heavy use earns a temporary IP block.</summary>
    public double RequestsPerSecond { get; init; } = 1;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxRetries { get; init; } = 3;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RateLimitBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Null when usable; otherwise one line naming the first missing or bad setting by its environment name.</summary>
    public string? Validate()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "KRXHUB_KRX__DATASYSTEM__URL must be an absolute http(s) URL such as " + DefaultUrl;
        }

        if (UseLoginSession && string.IsNullOrWhiteSpace(LoginId))
        {
            return "KRXHUB_KRX__DATASYSTEM__LOGINID is required when KRXHUB_KRX__DATASYSTEM__USELOGINSESSION is true";
        }

        if (UseLoginSession && string.IsNullOrEmpty(Password))
        {
            return "KRXHUB_KRX__DATASYSTEM__PASSWORD is required when KRXHUB_KRX__DATASYSTEM__USELOGINSESSION is true";
        }

        if (SessionLifetime <= TimeSpan.Zero)
        {
            return "KRXHUB_KRX__DATASYSTEM__SESSIONLIFETIME must be positive (e.g. 01:00:00)";
        }

        if (string.IsNullOrWhiteSpace(UserAgent))
        {
            return "KRXHUB_KRX__DATASYSTEM__USERAGENT must not be empty: the data system refuses requests without one";
        }

        return KrxRetrySettings.Validate("KRXHUB_KRX__DATASYSTEM__", RequestsPerSecond, RequestTimeout, MaxRetries, RetryBaseDelay, RateLimitBackoff);
    }

    internal KrxRetrySettings Retry => new(RequestsPerSecond, RequestTimeout, MaxRetries, RetryBaseDelay, RateLimitBackoff);

    internal string Root => Url.TrimEnd('/');

    // The generated record ToString would print the password.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"Url = {Url}, UseLoginSession = {UseLoginSession}, LoginId = {(string.IsNullOrEmpty(LoginId) ? "(unset)" : "***")}, " +
            $"Password = {(string.IsNullOrEmpty(Password) ? "(unset)" : "***")}, RequestsPerSecond = {RequestsPerSecond}, RequestTimeout = {RequestTimeout}");
        return true;
    }
}
