using System.Globalization;
using System.Text;
using KrxHub.Core;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// KRX Open API settings, bound from the <c>Krx</c> section (environment: <c>KRXHUB_KRX__OPENAPIURL</c>, <c>KRXHUB_KRX__AUTHKEY</c> …).
/// Host, paths, header, query and fields follow broker-apis.md §3.1, which is assembled from public repositories and
/// UNCONFIRMED against KRX's own page: the host and the three paths are therefore settings, not constants.
/// </summary>
public sealed record KrxOpenApiOptions
{
    public const string SectionName = "Krx";
    public const string DefaultOpenApiUrl = "https://data-dbg.krx.co.kr/svc/apis";

    /// <summary>The service root; each market's path is appended to it.</summary>
    public string OpenApiUrl { get; init; } = DefaultOpenApiUrl;

    /// <summary>The key from openapi.krx.co.kr, sent as the <c>AUTH_KEY</c> header. Each API also needs its own 이용신청.</summary>
    public string? AuthKey { get; init; }

    /// <summary>유가증권 일별매매정보: every KOSPI stock on one day.</summary>
    public string KospiDailyPath { get; init; } = "sto/stk_bydd_trd";

    /// <summary>코스닥 일별매매정보: every KOSDAQ stock on one day.</summary>
    public string KosdaqDailyPath { get; init; } = "sto/ksq_bydd_trd";

    /// <summary>코넥스 일별매매정보: every KONEX stock on one day.</summary>
    public string KonexDailyPath { get; init; } = "sto/knx_bydd_trd";

    /// <summary>KOSPI 시리즈 일별시세정보: every KOSPI-series index on one day (broker-apis.md §3.1 names <c>idx/kospi_dd_trd</c>; UNCONFIRMED).</summary>
    public string KospiIndexPath { get; init; } = "idx/kospi_dd_trd";

    /// <summary>KOSDAQ 시리즈 일별시세정보: every KOSDAQ-series index on one day (UNCONFIRMED, by analogy with the KOSPI path).</summary>
    public string KosdaqIndexPath { get; init; } = "idx/kosdaq_dd_trd";

    /// <summary>
    /// Which indices of those answers to keep, and their KRX codes: the answers name an index (IDX_NM), they carry no code.
    /// <c>name=code</c> pairs separated by <c>;</c>. The names are KRX's Korean names (MDCSTAT00401), UNCONFIRMED for the Open API.
    /// </summary>
    public string IndexNames { get; init; } = "코스피=1001;코스피 200=1028;코스닥=2001;코스닥 150=2203";

    /// <summary>
    /// KRX publishes no per-second limit; the only figure known is "하루 10,000회" (UNCONFIRMED). One request a second keeps a
    /// full backfill (3 requests per session) well inside a day's budget per run of a few thousand sessions.
    /// </summary>
    public double RequestsPerSecond { get; init; } = 1;

    /// <summary>Per attempt, from sending the request to reading the whole body (a KOSDAQ day is about 1 MB).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt for 5xx, 429, timeouts and network errors. A refused key is never retried.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First backoff for 5xx and timeouts; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Backoff after HTTP 429, times the attempt number.</summary>
    public TimeSpan RateLimitBackoff { get; init; } = TimeSpan.FromSeconds(5);

    public string DailyPath(Market market) => market switch
    {
        Market.Kospi => KospiDailyPath,
        Market.Kosdaq => KosdaqDailyPath,
        Market.Konex => KonexDailyPath,
        _ => throw new ArgumentOutOfRangeException(nameof(market), market, null),
    };

    /// <summary>Null when usable; otherwise one line naming the first missing or bad setting by its environment name.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(AuthKey))
        {
            return "KRXHUB_KRX__AUTHKEY is required (the key issued at openapi.krx.co.kr)";
        }

        if (!Uri.TryCreate(OpenApiUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "KRXHUB_KRX__OPENAPIURL must be an absolute http(s) URL such as " + DefaultOpenApiUrl;
        }

        foreach (var (key, path) in new[] { ("KOSPIDAILYPATH", KospiDailyPath), ("KOSDAQDAILYPATH", KosdaqDailyPath), ("KONEXDAILYPATH", KonexDailyPath),
            ("KOSPIINDEXPATH", KospiIndexPath), ("KOSDAQINDEXPATH", KosdaqIndexPath) })
        {
            if (string.IsNullOrWhiteSpace(path) || path.Contains('?', StringComparison.Ordinal) || path.Contains("://", StringComparison.Ordinal))
            {
                return $"KRXHUB_KRX__{key} must be a path below the Open API URL such as sto/stk_bydd_trd";
            }
        }

        if (ParseIndexNames(IndexNames) is null)
        {
            return "KRXHUB_KRX__INDEXNAMES must be name=code pairs separated by ';', e.g. 코스피=1001;코스닥=2001";
        }

        return KrxRetrySettings.Validate("KRXHUB_KRX__", RequestsPerSecond, RequestTimeout, MaxRetries, RetryBaseDelay, RateLimitBackoff);
    }

    /// <summary>Index name → KRX index code from <see cref="IndexNames"/>; null when the text is malformed.</summary>
    public static IReadOnlyDictionary<string, string>? ParseIndexNames(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (text ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.LastIndexOf('=');
            if (eq <= 0 || !Core.Indices.KrxIndex.TryParse(pair[(eq + 1)..], out var index) || index.Code != pair[(eq + 1)..].Trim())
            {
                return null;
            }

            map[pair[..eq].Trim()] = index.Code;
        }

        return map.Count > 0 ? map : null;
    }

    internal KrxRetrySettings Retry => new(RequestsPerSecond, RequestTimeout, MaxRetries, RetryBaseDelay, RateLimitBackoff);

    internal string Url(string path) => OpenApiUrl.TrimEnd('/') + "/" + path.Trim('/');

    // The generated record ToString would print the key; options end up in logs and exception messages.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"OpenApiUrl = {OpenApiUrl}, AuthKey = {(string.IsNullOrEmpty(AuthKey) ? "(unset)" : "***")}, " +
            $"KospiDailyPath = {KospiDailyPath}, KosdaqDailyPath = {KosdaqDailyPath}, KonexDailyPath = {KonexDailyPath}, " +
            $"KospiIndexPath = {KospiIndexPath}, KosdaqIndexPath = {KosdaqIndexPath}, IndexNames = {IndexNames}, " +
            $"RequestsPerSecond = {RequestsPerSecond}, RequestTimeout = {RequestTimeout}, MaxRetries = {MaxRetries}");
        return true;
    }
}
