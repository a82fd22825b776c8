using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>One request as the fake server received it; <see cref="Timestamp"/> is Stopwatch ticks at arrival.</summary>
internal sealed record Arrival(long Timestamp, string Path, string? ApiId, string? Authorization, string? ContYn, string? NextKey, string? ContentType, string Body);

/// <summary>
/// A Kestrel server on 127.0.0.1 (random port) speaking Kiwoom REST as broker-apis.md documents it: POST only,
/// /oauth2/token and /oauth2/revoke, TRs routed by the api-id header within their path group, Bearer tokens that
/// expire by the given clock (expires_dt in KST), cont-yn/next-key paging, string values, and return_code/return_msg
/// envelopes. Tests script faults for the next TR calls with <see cref="EnqueueFault"/>.
/// </summary>
internal sealed class FakeKiwoomServer : IAsyncDisposable
{
    public const string AppKey = "APPKEY-Zq81xW3kPp0sVt5";
    public const string SecretKey = "SECRET-Hf72nD9sLq4eRb8";
    public const string Ok = "정상적으로 처리되었습니다";

    private static readonly Dictionary<string, (string Path, string? ArrayKey, string[] Required)> Trs = new()
    {
        ["ka10081"] = ("/api/dostk/chart", "stk_dt_pole_chart_qry", ["stk_cd", "base_dt", "upd_stkpc_tp"]),
        ["ka10080"] = ("/api/dostk/chart", "stk_min_pole_chart_qry", ["stk_cd", "tic_scope", "upd_stkpc_tp"]),
        ["ka10099"] = ("/api/dostk/stkinfo", "list", ["mrkt_tp"]),
        ["ka10001"] = ("/api/dostk/stkinfo", null, ["stk_cd"]),
        ["ka10059"] = ("/api/dostk/stkinfo", "stk_invsr_orgn", ["dt", "stk_cd", "amt_qty_tp", "trde_tp", "unit_tp"]),
        ["ka10030"] = ("/api/dostk/rkinfo", "tdy_trde_qty_upper",
            ["mrkt_tp", "sort_tp", "mang_stk_incls", "crd_tp", "trde_qty_tp", "pric_tp", "trde_prica_tp", "mrkt_open_tp", "stex_tp"]),
    };

    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _faults = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new();
    private int _tokenCount;

    private FakeKiwoomServer(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<Arrival> Arrivals { get; } = new();

    public ConcurrentQueue<string> IssuedTokens { get; } = new();

    public ConcurrentQueue<string> RevokedTokens { get; } = new();

    /// <summary>Token lifetime from the clock's now; expires_dt is written in Korean time.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    public int PageSize { get; set; } = 3;

    /// <summary>The rows each paged TR serves, in order, split into pages of <see cref="PageSize"/>.</summary>
    public ConcurrentDictionary<string, List<JsonNode?>> Rows { get; } = new();

    /// <summary>
    /// When set, the rows a paged TR serves for one request (its api-id and JSON body: stk_cd, base_dt …), in order, instead
    /// of <see cref="Rows"/>: a server that answers per stock and per base date. Called again for every page of a query.
    /// </summary>
    public Func<string, JsonObject, IReadOnlyList<JsonNode?>>? RowsFor { get; set; }

    /// <summary>The flat ka10001 answer (without the envelope).</summary>
    public JsonObject StockInfo { get; set; } = new();

    /// <summary>
    /// When set, asked for every TR call (after the scripted faults) with its api-id and JSON body: a non-null answer is sent
    /// instead of the protocol's, so a test can break the answer for one stock only.
    /// </summary>
    public Func<string, JsonObject, Func<HttpContext, Task>?>? FaultFor { get; set; }

    /// <summary>While set, answers every TR call (not the token endpoints) after the scripted faults.</summary>
    public Func<HttpContext, Task>? PersistentFault { get; set; }

    public IReadOnlyList<Arrival> Calls(string apiId) => Arrivals.Where(a => a.ApiId == apiId && a.Path.StartsWith("/api/", StringComparison.Ordinal)).ToList();

    public int TokenRequests => Arrivals.Count(a => a.Path == "/oauth2/token");

    public static async Task<FakeKiwoomServer> StartAsync(TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKiwoomServer(app, clock);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    public void EnqueueFault(Func<HttpContext, Task> respond) => _faults.Enqueue(respond);

    /// <summary>As if the server forgot every token (restart, or revoked from the portal): the next TR call gets 8005.</summary>
    public void InvalidateAllTokens() => _tokens.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // ---- scripted answers ----

    public static Func<HttpContext, Task> ReturnCode(int code, string message) =>
        ctx => WriteJson(ctx, 200, new JsonObject { ["return_code"] = code, ["return_msg"] = message });

    public static Func<HttpContext, Task> RateLimited(string apiId) =>
        ReturnCode(5, $"허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID={apiId}]");

    public static Func<HttpContext, Task> BatchTooLarge() => ReturnCode(5, "허용된 요청 개수를 초과하였습니다[1634]");

    public static Func<HttpContext, Task> Raw(int status, string body, string contentType = "application/json;charset=UTF-8") =>
        async ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = contentType;
            await ctx.Response.WriteAsync(body, ctx.RequestAborted);
        };

    public static Func<HttpContext, Task> Stall(TimeSpan time) =>
        async ctx =>
        {
            try
            {
                await Task.Delay(time, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, as intended.
            }
        };

    public const string HtmlErrorPage = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";

    // ---- the protocol ----

    private async Task HandleAsync(HttpContext ctx)
    {
        var arrived = Stopwatch.GetTimestamp();
        var request = ctx.Request;
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted);
        var apiId = Header(ctx, "api-id");
        var path = request.Path.Value ?? "/";
        Arrivals.Enqueue(new Arrival(arrived, path, apiId, Header(ctx, "authorization"), Header(ctx, "cont-yn"), Header(ctx, "next-key"), request.ContentType, body));

        if (!HttpMethods.IsPost(request.Method))
        {
            ctx.Response.StatusCode = 405;
            return;
        }

        if (request.ContentType is not { } ct || !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await WriteJson(ctx, 200, Error(1512, "Http header에 값이 설정되지 않았거나 읽을 수 없습니다"));
            return;
        }

        JsonObject? json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            json = null;
        }

        if (json is null)
        {
            await WriteJson(ctx, 200, Error(1517, "입력 값 형식이 올바르지 않습니다"));
            return;
        }

        switch (path)
        {
            case "/oauth2/token":
                await IssueTokenAsync(ctx, json);
                return;
            case "/oauth2/revoke":
                await RevokeAsync(ctx, json);
                return;
        }

        if (_faults.TryDequeue(out var fault))
        {
            await fault(ctx);
            return;
        }

        if (FaultFor?.Invoke(apiId ?? string.Empty, json) is { } targeted)
        {
            await targeted(ctx);
            return;
        }

        if (PersistentFault is { } persistent)
        {
            await persistent(ctx);
            return;
        }

        var auth = Header(ctx, "authorization");
        if (auth is null)
        {
            await WriteJson(ctx, 200, Error(1513, "authorization 필드 필요"));
            return;
        }

        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !TokenValid(auth["Bearer ".Length..]))
        {
            await WriteJson(ctx, 200, new JsonObject { ["return_code"] = 8005, ["return_msg"] = "Token이 유효하지 않습니다" });
            return;
        }

        if (string.IsNullOrEmpty(apiId))
        {
            await WriteJson(ctx, 200, Error(1501, "API ID가 Null이거나 값이 없습니다"));
            return;
        }

        if (!Trs.TryGetValue(apiId, out var tr))
        {
            await WriteJson(ctx, 200, Error(1505, "해당 API ID는 존재하지 않습니다"));
            return;
        }

        if (tr.Path != path)
        {
            await WriteJson(ctx, 200, Error(1504, "해당 URI에서는 지원하는 API ID가 아닙니다"));
            return;
        }

        // Every value is a string; a missing or non-string required value is refused.
        if (tr.Required.FirstOrDefault(f => json[f] is not JsonValue v || !v.TryGetValue<string>(out var s) || s.Length == 0) is { } missing)
        {
            await WriteJson(ctx, 200, Error(1511, $"필수 입력 값에 값이 존재하지 않습니다 ( {missing} )"));
            return;
        }

        ctx.Response.Headers["api-id"] = apiId;
        if (tr.ArrayKey is null)
        {
            var flat = (JsonObject)StockInfo.DeepClone();
            flat["return_code"] = 0;
            flat["return_msg"] = Ok;
            await WriteJson(ctx, 200, flat);
            return;
        }

        var offset = 0;
        var nextKey = Header(ctx, "next-key");
        if (nextKey is not null)
        {
            if (Header(ctx, "cont-yn") != "Y" || !nextKey.StartsWith("off:", StringComparison.Ordinal) ||
                !int.TryParse(nextKey.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            {
                await WriteJson(ctx, 200, Error(1517, "입력 값 형식이 올바르지 않습니다 (next-key)"));
                return;
            }
        }

        var rows = RowsFor?.Invoke(apiId, json) ?? (Rows.TryGetValue(apiId, out var r) ? r : []);
        var page = new JsonArray(rows.Skip(offset).Take(PageSize).Select(n => n?.DeepClone()).ToArray());
        var more = offset + PageSize < rows.Count;
        ctx.Response.Headers["cont-yn"] = more ? "Y" : "N";
        ctx.Response.Headers["next-key"] = more ? "off:" + (offset + PageSize).ToString(CultureInfo.InvariantCulture) : "";
        var answer = new JsonObject();
        if (json["stk_cd"] is { } code)
        {
            answer["stk_cd"] = code.DeepClone();
        }

        answer[tr.ArrayKey] = page;
        answer["return_code"] = 0;
        answer["return_msg"] = Ok;
        await WriteJson(ctx, 200, answer);
    }

    private async Task IssueTokenAsync(HttpContext ctx, JsonObject json)
    {
        if ((string?)json["grant_type"] != "client_credentials")
        {
            await WriteJson(ctx, 200, new JsonObject { ["return_code"] = 8012, ["return_msg"] = "grant_type이 올바르지 않습니다" });
            return;
        }

        if ((string?)json["appkey"] != AppKey || (string?)json["secretkey"] != SecretKey)
        {
            await WriteJson(ctx, 200, new JsonObject { ["return_code"] = 8001, ["return_msg"] = "App Key와 Secret Key 검증에 실패했습니다" });
            return;
        }

        var token = $"TOKEN{Interlocked.Increment(ref _tokenCount)}x{Guid.NewGuid():N}";
        var expires = _clock.GetUtcNow() + TokenLifetime;
        _tokens[token] = expires;
        IssuedTokens.Enqueue(token);
        await WriteJson(ctx, 200, new JsonObject
        {
            ["expires_dt"] = expires.ToOffset(TimeSpan.FromHours(9)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture),
            ["token_type"] = "bearer",
            ["token"] = token,
            ["return_code"] = 0,
            ["return_msg"] = Ok,
        });
    }

    private async Task RevokeAsync(HttpContext ctx, JsonObject json)
    {
        if ((string?)json["appkey"] != AppKey || (string?)json["secretkey"] != SecretKey || json["token"] is not JsonValue t ||
            !_tokens.TryRemove(t.GetValue<string>(), out _))
        {
            await WriteJson(ctx, 200, new JsonObject { ["return_code"] = 8015, ["return_msg"] = "Token 폐기에 실패했습니다" });
            return;
        }

        RevokedTokens.Enqueue(t.GetValue<string>());
        await WriteJson(ctx, 200, new JsonObject { ["return_code"] = 0, ["return_msg"] = Ok });
    }

    /// <summary>Whether the token was issued here and has not expired or been invalidated (the WebSocket LOGIN checks it too).</summary>
    public bool IsTokenValid(string token) => TokenValid(token);

    private bool TokenValid(string token) => _tokens.TryGetValue(token, out var expires) && _clock.GetUtcNow() < expires;

    private static JsonObject Error(int detail, string message) =>
        new() { ["return_code"] = 2, ["return_msg"] = $"{message}[{detail.ToString(CultureInfo.InvariantCulture)}:{message}]" };

    private static string? Header(HttpContext ctx, string name) =>
        ctx.Request.Headers.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    private static async Task WriteJson(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json;charset=UTF-8";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }
}
