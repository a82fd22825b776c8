using System.Globalization;
using System.Text;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// Kiwoom REST settings, bound from the <c>Kiwoom</c> section (environment: <c>KRXHUB_KIWOOM__APPKEY</c> …).
/// Hosts and the request rate follow <see cref="Mock"/> unless set explicitly.
/// </summary>
public sealed record KiwoomOptions
{
    public const string SectionName = "Kiwoom";
    public const string RealBaseUrl = "https://api.kiwoom.com";
    public const string MockBaseUrl = "https://mockapi.kiwoom.com";
    public const string RealWsUrl = "wss://api.kiwoom.com:10000";
    public const string MockWsUrl = "wss://mockapi.kiwoom.com:10000";

    /// <summary>REST host; null means <see cref="RealBaseUrl"/>, or <see cref="MockBaseUrl"/> when <see cref="Mock"/> is set.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>WebSocket host; null means <see cref="RealWsUrl"/>, or <see cref="MockWsUrl"/> when <see cref="Mock"/> is set.</summary>
    public string? WsUrl { get; init; }

    public string? AppKey { get; init; }

    public string? SecretKey { get; init; }

    /// <summary>모의투자: mock hosts (KRX only), separate keys, and 1 request/s unless <see cref="RequestsPerSecond"/> says otherwise.</summary>
    public bool Mock { get; init; }

    /// <summary>Shared limit for every call; null means 5/s (real) or 1/s (mock). Both figures are UNCONFIRMED officially.</summary>
    public double? RequestsPerSecond { get; init; }

    /// <summary>
    /// Most pages one continued (cont-yn/next-key) query fetches; the official examples stop at 10. A query bounded by a
    /// date range may read as many more pages as the range needs: there it is only a runaway guard.
    /// </summary>
    public int PageCap { get; init; } = 10;

    /// <summary>Per attempt, from sending the request to reading the whole body.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Re-issue the token this long before its expires_dt (the official client uses 600 s).</summary>
    public TimeSpan TokenRefreshBefore { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Retries after the first attempt for 5xx, timeouts, network errors and rate-limit answers.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First backoff for 5xx/timeouts; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Backoff after HTTP 429 or a [1700] answer, times the attempt number.</summary>
    public TimeSpan RateLimitBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra wait added to the limiter's 1-second window, against timer imprecision.</summary>
    public TimeSpan RateWindowMargin { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The breaker opens when this share of calls in <see cref="BreakerSamplingDuration"/> failed ...</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>... and at least this many calls were made in that time.</summary>
    public int BreakerMinimumThroughput { get; init; } = 5;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the breaker stays open before it lets one probe through (half-open).</summary>
    public TimeSpan BreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Won per unit of the amounts ka10059 returns with amt_qty_tp=1. Assumed 백만원 (1,000,000) like the other
    /// amount fields of the chart TRs; UNCONFIRMED.
    /// </summary>
    public decimal InvestorAmountUnit { get; init; } = 1_000_000m;

    /// <summary>
    /// Codes per WebSocket REG/REMOVE request; longer lists are sent in several requests. Kiwoom's limit per request (and per
    /// connection) is UNCONFIRMED, hence configurable.
    /// </summary>
    public int WsItemsPerRequest { get; init; } = 100;

    /// <summary>First WebSocket reconnect wait (jittered down to half of it); doubles per failed attempt up to <see cref="WsReconnectMaxDelay"/>.</summary>
    public TimeSpan WsReconnectFirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan WsReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection that delivers nothing, not even a PING, for this long is taken for dead and replaced. Kiwoom's PING
    /// interval is not documented; the default leaves a wide margin.
    /// </summary>
    public TimeSpan WsSilenceTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Won per unit of 0B FID 14 (누적거래대금). Assumed 백만원 (1,000,000) as in OpenAPI+ and the chart TRs; UNCONFIRMED for REST.
    /// </summary>
    public decimal RealAccValueUnit { get; init; } = 1_000_000m;

    /// <summary>
    /// The sector (업종) items whose 0J (업종지수) pushes the live feed registers, and the KRX index code of each: <c>item=code</c>
    /// pairs separated by <c>;</c>; empty registers none. 001 (KOSPI 종합), 101 (KOSDAQ 종합) and 201 (KOSPI 200) are
    /// OpenAPI+'s sector codes (ka10101 업종코드 리스트 lists REST's); UNCONFIRMED for REST. Kiwoom's codes are not KRX's:
    /// they are translated here and never stored.
    /// </summary>
    public string IndexItems { get; init; } = "001=1001;101=2001;201=1028";

    /// <summary>The parsed <see cref="IndexItems"/>: Kiwoom item → KRX index code; null when malformed.</summary>
    public IReadOnlyDictionary<string, string>? IndexItemCodes
    {
        get
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in IndexItems.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !Core.Indices.KrxIndex.TryParse(pair[(eq + 1)..], out var index) || index.Code != pair[(eq + 1)..].Trim())
                {
                    return null;
                }

                map[pair[..eq].Trim()] = index.Code;
            }

            return map;
        }
    }

    public string EffectiveBaseUrl => (BaseUrl ?? (Mock ? MockBaseUrl : RealBaseUrl)).TrimEnd('/');

    public string EffectiveWsUrl => WsUrl ?? (Mock ? MockWsUrl : RealWsUrl);

    public double EffectiveRequestsPerSecond => RequestsPerSecond ?? (Mock ? 1 : 5);

    /// <summary>Null when usable; otherwise one line naming the first missing or bad setting by its environment name.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(AppKey))
        {
            return "KRXHUB_KIWOOM__APPKEY is required";
        }

        if (string.IsNullOrWhiteSpace(SecretKey))
        {
            return "KRXHUB_KIWOOM__SECRETKEY is required";
        }

        if (!IsUrl(EffectiveBaseUrl, "http", "https"))
        {
            return "KRXHUB_KIWOOM__BASEURL must be an absolute http(s) URL such as " + RealBaseUrl;
        }

        if (!IsUrl(EffectiveWsUrl, "ws", "wss"))
        {
            return "KRXHUB_KIWOOM__WSURL must be an absolute ws(s) URL such as " + RealWsUrl;
        }

        if (RequestsPerSecond is { } rps && (!double.IsFinite(rps) || rps <= 0))
        {
            return "KRXHUB_KIWOOM__REQUESTSPERSECOND must be a positive number";
        }

        if (PageCap < 1)
        {
            return "KRXHUB_KIWOOM__PAGECAP must be at least 1";
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            return "KRXHUB_KIWOOM__REQUESTTIMEOUT must be positive (e.g. 00:00:10)";
        }

        if (TokenRefreshBefore < TimeSpan.Zero)
        {
            return "KRXHUB_KIWOOM__TOKENREFRESHBEFORE must not be negative";
        }

        if (MaxRetries < 0)
        {
            return "KRXHUB_KIWOOM__MAXRETRIES must not be negative";
        }

        if (RetryBaseDelay < TimeSpan.Zero || RateLimitBackoff < TimeSpan.Zero || RateWindowMargin < TimeSpan.Zero)
        {
            return "KRXHUB_KIWOOM__RETRYBASEDELAY, __RATELIMITBACKOFF and __RATEWINDOWMARGIN must not be negative";
        }

        // Polly's own limits for the advanced circuit breaker.
        if (BreakerFailureRatio is <= 0 or > 1)
        {
            return "KRXHUB_KIWOOM__BREAKERFAILURERATIO must be in (0, 1]";
        }

        if (BreakerMinimumThroughput < 2)
        {
            return "KRXHUB_KIWOOM__BREAKERMINIMUMTHROUGHPUT must be at least 2";
        }

        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || BreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            return "KRXHUB_KIWOOM__BREAKERSAMPLINGDURATION and __BREAKERBREAKDURATION must be at least 00:00:00.5";
        }

        if (InvestorAmountUnit <= 0)
        {
            return "KRXHUB_KIWOOM__INVESTORAMOUNTUNIT must be positive";
        }

        if (WsItemsPerRequest < 1)
        {
            return "KRXHUB_KIWOOM__WSITEMSPERREQUEST must be at least 1";
        }

        if (WsReconnectFirstDelay < TimeSpan.Zero || WsReconnectMaxDelay < WsReconnectFirstDelay)
        {
            return "KRXHUB_KIWOOM__WSRECONNECTFIRSTDELAY must not be negative nor above __WSRECONNECTMAXDELAY";
        }

        if (WsSilenceTimeout <= TimeSpan.Zero)
        {
            return "KRXHUB_KIWOOM__WSSILENCETIMEOUT must be positive (e.g. 00:03:00)";
        }

        if (RealAccValueUnit <= 0)
        {
            return "KRXHUB_KIWOOM__REALACCVALUEUNIT must be positive";
        }

        if (IndexItemCodes is null)
        {
            return "KRXHUB_KIWOOM__INDEXITEMS must be item=code pairs separated by ';', e.g. 001=1001;101=2001 (or empty)";
        }

        return null;
    }

    private static bool IsUrl(string text, params string[] schemes) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase);

    // The generated record ToString would print the key and secret; options end up in logs and exception messages.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"BaseUrl = {EffectiveBaseUrl}, WsUrl = {EffectiveWsUrl}, Mock = {Mock}, AppKey = {Mask(AppKey)}, SecretKey = {Mask(SecretKey)}, " +
            $"RequestsPerSecond = {EffectiveRequestsPerSecond}, PageCap = {PageCap}, RequestTimeout = {RequestTimeout}");
        return true;
    }

    private static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "(unset)" : "***";
}
