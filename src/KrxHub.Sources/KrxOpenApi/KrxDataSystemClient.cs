using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Sources.Import;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// The KRX data system's all-stocks daily screen (MDCSTAT01501, [12001] 전종목 시세) over <c>getJsonData.cmd</c>
/// (broker-apis.md §3.2), parsed by the same parser as <c>krxhub import</c> of a saved body. With
/// <see cref="KrxDataSystemOptions.UseLoginSession"/> it logs in first, as pykrx does (§3.1); the session cookie lives in
/// the <see cref="HttpClient"/>'s handler, so give it one that keeps cookies (the default handler does).
/// Never logs the login ID or the password.
/// </summary>
public sealed class KrxDataSystemClient
{
    public const string AllStocksDailyBld = "dbms/MDC/STAT/standard/MDCSTAT01501";

    private const string JsonDataPath = "/comm/bldAttendant/getJsonData.cmd";
    private const string RefererPath = "/contents/MDC/MDI/outerLoader/index.cmd";
    private const string LoginPagePath = "/contents/MDC/COMS/client/MDCCOMS001.cmd";
    private const string LoginFormPath = "/contents/MDC/COMS/client/view/login.jsp?site=mdc";
    private const string LoginPostPath = "/contents/MDC/COMS/client/MDCCOMS001D1.cmd";

    // _error_code of the login answer (pykrx/website/comm/auth.py).
    private const string LoginOk = "CD001";
    private const string PasswordChangeRequired = "CD010";
    private const string DuplicateLogin = "CD011";

    private readonly KrxDataSystemOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KrxHttp _http;
    private readonly SemaphoreSlim _loginLock = new(1, 1);
    private DateTimeOffset? _loggedInAt;

    /// <param name="limiter">Share one between every caller of the data system in the process. Default: from the options.</param>
    public KrxDataSystemClient(HttpClient http, KrxDataSystemOptions options, TimeProvider timeProvider, RequestRateLimiter? limiter = null, ILogger<KrxDataSystemClient>? logger = null)
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
        _http = new KrxHttp(http, options.Retry, limiter ?? new RequestRateLimiter(options.RequestsPerSecond, timeProvider), timeProvider, _logger,
            [options.Password, options.LoginId]);
    }

    public KrxDataSystemOptions Options => _options;

    /// <summary>
    /// Every stock of <paramref name="market"/> (null: all markets, mktId=ALL) on <paramref name="date"/>, raw basis.
    /// The screen carries no date, so the rows are dated <paramref name="date"/>: ask for sessions only (for a holiday the
    /// data system answers with the previous session, which the validator then refuses as not_a_session).
    /// </summary>
    public async Task<KrxDailyRows> GetAllStocksDailyAsync(Market? market, DateOnly date, CancellationToken cancellationToken)
    {
        var mktId = market switch
        {
            Market.Kospi => "STK",
            Market.Kosdaq => "KSQ",
            Market.Konex => "KNX",
            null => "ALL",
            _ => throw new ArgumentOutOfRangeException(nameof(market), market, null),
        };
        var trdDd = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var request = $"data system MDCSTAT01501 mktId={mktId} trdDd={trdDd}";
        var form = new Dictionary<string, string>
        {
            ["bld"] = AllStocksDailyBld,
            ["mktId"] = mktId,
            ["trdDd"] = trdDd,
            ["share"] = "1",
            ["money"] = "1",
            ["csvxls_isNo"] = "false",
        };

        var answer = await QueryAsync(request, form, cancellationToken);
        var fetchedAt = _time.GetUtcNow();
        var rows = Parse(request, date, fetchedAt, answer);
        _logger.LogInformation("KRX {Request}: {Rows} rows", request, rows.Count);
        return new KrxDailyRows(market, date, "krx:MDCSTAT01501", fetchedAt, rows);
    }

    /// <summary>One getJsonData.cmd query; a LOGOUT answer while logging in is enabled means the session ended: log in once more.</summary>
    private async Task<KrxAnswer> QueryAsync(string request, IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        if (_options.UseLoginSession)
        {
            await EnsureLoggedInAsync(force: false, cancellationToken);
        }

        var answer = await _http.ExecuteAsync(request, ct => PostAsync(request, JsonDataPath, form, ct), cancellationToken);
        if (IsLogout(answer) && _options.UseLoginSession)
        {
            _logger.LogInformation("KRX {Request}: answered LOGOUT; logging in again and retrying once", request);
            await EnsureLoggedInAsync(force: true, cancellationToken);
            answer = await _http.ExecuteAsync(request, ct => PostAsync(request, JsonDataPath, form, ct), cancellationToken);
            if (IsLogout(answer))
            {
                throw new KrxAuthException(request, "answered LOGOUT right after a successful login: the data system does not accept this session");
            }
        }

        if (IsLogout(answer))
        {
            throw new KrxAuthException(request,
                $"HTTP {answer.Status} LOGOUT: since 2026-02 the data system needs a member login; set KRXHUB_KRX__DATASYSTEM__USELOGINSESSION " +
                "(read its terms-of-service caveat in the README) or use the KRX Open API");
        }

        if (!answer.IsSuccess)
        {
            throw new KrxPayloadException(request, $"HTTP {answer.Status}{_http.Quote(answer)}");
        }

        return answer;
    }

    private Task<KrxAnswer> PostAsync(string request, string path, IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken) =>
        _http.SendAsync(request, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, _options.Root + path) { Content = new FormUrlEncodedContent(form) };
            AddBrowserHeaders(message);
            message.Headers.TryAddWithoutValidation("X-Requested-With", "XMLHttpRequest");
            return message;
        }, cancellationToken);

    private Task<KrxAnswer> GetAsync(string request, string path, CancellationToken cancellationToken) =>
        _http.SendAsync(request, () =>
        {
            var message = new HttpRequestMessage(HttpMethod.Get, _options.Root + path);
            AddBrowserHeaders(message);
            return message;
        }, cancellationToken);

    private void AddBrowserHeaders(HttpRequestMessage message)
    {
        message.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);

        // Mandatory since 2024-07 (FinanceDataReader#217, pykrx#192).
        message.Headers.TryAddWithoutValidation("Referer", _options.Root + RefererPath);
    }

    private static bool IsLogout(KrxAnswer answer) =>
        answer.Status is 400 or 404 && answer.Body.AsSpan().Trim(" \t\r\n"u8).StartsWith("LOGOUT"u8);

    /// <summary>
    /// pykrx's login: GET MDCCOMS001.cmd, GET view/login.jsp?site=mdc, POST MDCCOMS001D1.cmd with mbrId, pw and empty
    /// mbrNm, telNo, di, certType. _error_code CD001 is success; CD011 (logged in elsewhere) is answered by sending the
    /// form again with skipDup=Y; CD010 asks for a password change, which only a person can do.
    /// </summary>
    private async Task EnsureLoggedInAsync(bool force, CancellationToken cancellationToken)
    {
        await _loginLock.WaitAsync(cancellationToken);
        try
        {
            if (!force && _loggedInAt is { } at && _time.GetUtcNow() - at < _options.SessionLifetime)
            {
                return;
            }

            _loggedInAt = null;
            const string request = "data system login";
            foreach (var page in new[] { LoginPagePath, LoginFormPath })
            {
                var answer = await _http.ExecuteAsync(request, ct => GetAsync(request, page, ct), cancellationToken);
                if (!answer.IsSuccess)
                {
                    throw new KrxAuthException(request, $"the login page {page} answered HTTP {answer.Status}{_http.Quote(answer)}");
                }
            }

            var form = new Dictionary<string, string>
            {
                ["mbrId"] = _options.LoginId!,
                ["pw"] = _options.Password!,
                ["mbrNm"] = "",
                ["telNo"] = "",
                ["di"] = "",
                ["certType"] = "",
            };
            var code = await LoginCodeAsync(request, form, cancellationToken);
            if (code == DuplicateLogin)
            {
                _logger.LogInformation("KRX data system: the account is logged in elsewhere (CD011); logging in with skipDup=Y");
                form["skipDup"] = "Y";
                code = await LoginCodeAsync(request, form, cancellationToken);
            }

            switch (code)
            {
                case LoginOk:
                    _loggedInAt = _time.GetUtcNow();
                    _logger.LogInformation("KRX data system: logged in; the session is trusted for {Minutes} min", _options.SessionLifetime.TotalMinutes);
                    return;
                case PasswordChangeRequired:
                    throw new KrxAuthException(request, "KRX asks for a password change (CD010): log in at data.krx.co.kr in a browser and change it");
                default:
                    throw new KrxAuthException(request, $"login refused (_error_code {code ?? "absent"}): check KRXHUB_KRX__DATASYSTEM__LOGINID and __PASSWORD");
            }
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private async Task<string?> LoginCodeAsync(string request, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        var answer = await _http.ExecuteAsync(request, ct => PostAsync(request, LoginPostPath, form, ct), cancellationToken);
        if (!answer.IsSuccess || answer.LooksLikeHtml)
        {
            throw new KrxAuthException(request, $"the login answer is HTTP {answer.Status}{_http.Quote(answer)}");
        }

        try
        {
            using var document = JsonDocument.Parse(answer.Body);
            return KrxJsonBody.Text(document.RootElement, "_error_code")?.Trim();
        }
        catch (JsonException)
        {
            throw new KrxAuthException(request, $"the login answer is not JSON{_http.Quote(answer)}");
        }
    }

    /// <summary>The body through the file import's parser; an empty OutBlock_1 is "no data", anything it refuses is a bad payload.</summary>
    private List<Core.Validation.RawDailyRow> Parse(string request, DateOnly date, DateTimeOffset fetchedAt, KrxAnswer answer)
    {
        if (answer.Body.Length == 0)
        {
            throw new KrxPayloadException(request, $"HTTP {answer.Status} with an empty body (the data system answers heavy use this way)");
        }

        if (answer.LooksLikeHtml)
        {
            throw new KrxPayloadException(request, $"the answer is an HTML page, not JSON{_http.Quote(answer)}");
        }

        const string subject = "the answer";
        try
        {
            using var document = KrxJsonBody.ParseJson(subject, answer.Body);
            var root = document.RootElement;
            if (Records(root) is { } records)
            {
                if (records.GetArrayLength() == 0)
                {
                    throw new KrxNoDataException(request,
                        "no rows: the data system answers this way for non-session dates, days not published yet and a temporary IP block after heavy use");
                }

                // The parser recognises the screen by its first record; any other screen here is a wrong answer, not a day.
                var first = records[0];
                if (first.ValueKind == JsonValueKind.Object && !(first.TryGetProperty("ISU_SRT_CD", out _) && first.TryGetProperty("TDD_CLSPRC", out _)))
                {
                    var keys = string.Join(",", first.EnumerateObject().Select(p => p.Name).Take(12));
                    throw new KrxPayloadException(request, $"the answer is not an MDCSTAT01501 body: its first record has {keys}");
                }
            }

            var file = KrxJsonBody.Read(_options.Root + JsonDataPath, subject, root, new ImportOptions { Date = date, FetchedAt = fetchedAt }, () => fetchedAt);
            return file.ReadDailyRows().ToList();
        }
        catch (ImportFormatException e)
        {
            throw new KrxPayloadException(request, _http.Scrub(e.Message), e);
        }
    }

    /// <summary>The records array of a getJsonData body: OutBlock_1 on listing screens, output on the others.</summary>
    private static JsonElement? Records(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var key in new[] { "OutBlock_1", "output" })
        {
            if (root.TryGetProperty(key, out var records) && records.ValueKind == JsonValueKind.Array)
            {
                return records;
            }
        }

        return null;
    }
}
