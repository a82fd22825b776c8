using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// KRX Open API client (broker-apis.md §3.1): <c>GET {OpenApiUrl}/{path}?basDd=yyyyMMdd</c> with the header
/// <c>AUTH_KEY</c>, answered with <c>{"OutBlock_1": [...]}</c>, one record per stock of the market on that day, every value a
/// string with thousands separators. Thread-safe; use one per process. Never logs the key or puts it into a message.
/// </summary>
public sealed partial class KrxOpenApiClient
{
    public const string Source = "krx-openapi";

    /// <summary>KONEX opened on 2013-07-01 (the earliest KONEX listing date in the bundled master and delisted list).</summary>
    public static readonly DateOnly KonexOpened = new(2013, 7, 1);

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");

    private readonly KrxOpenApiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KrxHttp _http;

    /// <param name="limiter">Share one between every caller of the Open API in the process. Default: from the options.</param>
    public KrxOpenApiClient(HttpClient http, KrxOpenApiOptions options, TimeProvider timeProvider, RequestRateLimiter? limiter = null, ILogger<KrxOpenApiClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _options = options;
        _time = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _http = new KrxHttp(http, options.Retry, limiter ?? new RequestRateLimiter(options.RequestsPerSecond, timeProvider), timeProvider, _logger, [options.AuthKey]);
    }

    public KrxOpenApiOptions Options => _options;

    /// <summary>
    /// Every stock of <paramref name="market"/> on <paramref name="date"/>, raw basis. Throws <see cref="KrxNoDataException"/>
    /// when KRX has no rows for the day, and the other <see cref="KrxSourceException"/>s when the request or the answer fails.
    /// </summary>
    public async Task<KrxDailyRows> GetDailyAsync(Market market, DateOnly date, CancellationToken cancellationToken)
    {
        var path = _options.DailyPath(market).Trim('/');
        var basDd = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var request = $"Open API {path} basDd={basDd}";
        var url = _options.Url(path) + "?basDd=" + basDd;
        var answer = await _http.ExecuteAsync(request, ct => FetchAsync(request, url, ct), cancellationToken);
        var fetchedAt = _time.GetUtcNow();
        var rows = ReadRows(request, market, date, answer);
        _logger.LogInformation("KRX {Request}: {Rows} rows of {Market}", request, rows.Count, market.Name());
        return new KrxDailyRows(market, date, Source, fetchedAt, rows);
    }

    /// <summary>The markets that traded on <paramref name="date"/>: KOSPI and KOSDAQ, and KONEX from <see cref="KonexOpened"/>.</summary>
    public static IReadOnlyList<Market> MarketsOn(DateOnly date) =>
        date >= KonexOpened ? [Market.Kospi, Market.Kosdaq, Market.Konex] : [Market.Kospi, Market.Kosdaq];

    /// <summary>
    /// Every market of <see cref="MarketsOn"/> on <paramref name="date"/>, one after the other. All or nothing: if one market
    /// fails, the exception propagates and no market is returned.
    /// </summary>
    public async Task<IReadOnlyList<KrxDailyRows>> GetAllMarketsDailyAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var markets = MarketsOn(date);
        var days = new List<KrxDailyRows>(markets.Count);
        foreach (var market in markets)
        {
            days.Add(await GetDailyAsync(market, date, cancellationToken));
        }

        return days;
    }

    private async Task<KrxAnswer> FetchAsync(string request, string url, CancellationToken cancellationToken)
    {
        var answer = await _http.SendAsync(request, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Get, url);
            message.Headers.TryAddWithoutValidation("AUTH_KEY", _options.AuthKey);
            message.Headers.Accept.Add(AcceptJson);
            return message;
        }, cancellationToken);

        if (answer.Status is 401 or 403)
        {
            throw new KrxAuthException(request,
                $"HTTP {answer.Status}: the AUTH_KEY was refused; check KRXHUB_KRX__AUTHKEY and that this API's 이용신청 is approved at openapi.krx.co.kr");
        }

        if (!answer.IsSuccess)
        {
            throw new KrxPayloadException(request, $"HTTP {answer.Status}{_http.Quote(answer)}");
        }

        return answer;
    }

    /// <summary>
    /// One <see cref="RawDailyRow"/> per record; the fields are those of the data system's all-stocks screen with ISU_CD for
    /// the code (ISU_SRT_CD when present), ISU_NM for the name and BAS_DD for the date. The whole answer is refused when it
    /// is not the documented shape or holds another day; single bad records are left to the validator.
    /// </summary>
    private List<RawDailyRow> ReadRows(string request, Market market, DateOnly date, KrxAnswer answer)
    {
        using var document = OpenBody(request, answer, out var records);
        var rows = new List<RawDailyRow>(records.GetArrayLength());
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            var row = new RawDailyRow { Line = line, Payload = r.GetRawText() };
            if (r.ValueKind == JsonValueKind.Object)
            {
                row.Code = KrxJsonBody.Text(r, "ISU_SRT_CD") ?? KrxJsonBody.Text(r, "ISU_CD");
                row.Date = KrxJsonBody.Text(r, "BAS_DD");
                row.Name = KrxJsonBody.Text(r, "ISU_NM") ?? KrxJsonBody.Text(r, "ISU_ABBRV");
                row.Market = KrxJsonBody.Text(r, "MKT_NM") is { Length: > 0 } name ? name : market.Name();
                KrxJsonBody.FillPrices(row, r);
            }

            rows.Add(row);
        }

        CheckDay(request, date, rows);
        CheckCodes(request, rows);
        return rows;
    }

    /// <summary>
    /// The parsed answer and its <c>OutBlock_1</c> array (dispose the document when done); an answer that is not the documented
    /// shape is a <see cref="KrxPayloadException"/>, an empty array a <see cref="KrxNoDataException"/>.
    /// </summary>
    private JsonDocument OpenBody(string request, KrxAnswer answer, out JsonElement records)
    {
        if (answer.Body.Length == 0)
        {
            throw new KrxPayloadException(request, $"HTTP {answer.Status} with an empty body");
        }

        if (answer.LooksLikeHtml)
        {
            throw new KrxPayloadException(request, $"the answer is an HTML page, not JSON{_http.Quote(answer)}");
        }

        JsonDocument document;
        try
        {
            document = KrxJsonBody.ParseJson("the answer", answer.Body);
        }
        catch (ImportFormatException e)
        {
            throw new KrxPayloadException(request, _http.Scrub(e.Message), e);
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new KrxPayloadException(request, $"the answer is {KrxJsonBody.Describe(root.ValueKind)}, not an object with 'OutBlock_1'");
        }

        if (!root.TryGetProperty("OutBlock_1", out records) || records.ValueKind != JsonValueKind.Array)
        {
            var keys = string.Join(",", root.EnumerateObject().Select(p => p.Name).Take(10));
            document.Dispose();
            throw new KrxPayloadException(request, $"the answer has no 'OutBlock_1' array (keys: {keys}){_http.Quote(answer)}");
        }

        if (records.GetArrayLength() == 0)
        {
            document.Dispose();
            throw new KrxNoDataException(request, "no rows: KRX answers this way for non-session dates and for days it has not published yet");
        }

        return document;
    }

    /// <summary>An answer that holds another day (KRX's data system answers a holiday with the previous session) is refused whole.</summary>
    private static void CheckDay(string request, DateOnly date, List<RawDailyRow> rows)
    {
        var other = rows.Select(r => KrxText.TryDate(r.Date, out var d) == FieldStatus.Ok ? d : date).Where(d => d != date).ToList();
        if (other.Count > 0)
        {
            throw new KrxPayloadException(request,
                $"{other.Count} of {rows.Count} rows are of another day (BAS_DD {other[0]:yyyy-MM-dd}), not {date:yyyy-MM-dd}");
        }
    }

    /// <summary>
    /// ISU_CD is the short code in the answers the public repositories show; should KRX send ISINs there instead, no row
    /// could be matched to a stock (an ISIN does not contain the short code of preferred shares or foreign issuers), so the
    /// answer is refused with that reason rather than quarantined record by record.
    /// </summary>
    private static void CheckCodes(string request, List<RawDailyRow> rows)
    {
        var codes = rows.Select(r => r.Code?.Trim()).Where(c => !string.IsNullOrEmpty(c)).ToList();
        if (codes.Count > 0 && codes.All(c => c!.Length == 12 && char.IsAsciiLetter(c[0]) && char.IsAsciiLetter(c[1])))
        {
            throw new KrxPayloadException(request, $"ISU_CD holds ISINs (e.g. {codes[0]}), not 6-character stock codes: the rows cannot be matched to stocks");
        }
    }
}
