using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Tests.KrxOpenApi;

/// <summary>One request as the fake received it.</summary>
internal sealed record KrxArrival(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, IReadOnlyDictionary<string, string> Form)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// A Kestrel server on 127.0.0.1 (random port) speaking both KRX protocols of broker-apis.md §3:
/// <list type="bullet">
/// <item>the Open API: <c>GET /svc/apis/sto/{stk,ksq,knx}_bydd_trd?basDd=yyyyMMdd</c> (and the index service
/// <c>idx/{kospi,kosdaq}_dd_trd</c>) with header <c>AUTH_KEY</c>
/// (missing or wrong: HTTP 401), answered with <c>{"OutBlock_1": [...]}</c> from <see cref="OpenApiDays"/>, or an empty
/// OutBlock_1 for a day it has no data for;</item>
/// <item>the data system: <c>POST /comm/bldAttendant/getJsonData.cmd</c>, form-encoded, answered from
/// <see cref="DataSystemBodies"/>; with <see cref="RequireLogin"/> a request without a logged-in JSESSIONID gets HTTP 400
/// <c>LOGOUT</c>, and the pykrx login (GET MDCCOMS001.cmd, GET view/login.jsp?site=mdc, POST MDCCOMS001D1.cmd) answers
/// <c>_error_code</c> CD001, CD011 (logged in elsewhere, until skipDup=Y) or CD010.</item>
/// </list>
/// Tests script faults for the next data requests with <see cref="EnqueueFault"/>.
/// </summary>
internal sealed class FakeKrxServer : IAsyncDisposable
{
    public const string AuthKey = "KRXKEY-7f3c9e1a2b4d6f80";
    public const string OpenApiRoot = "/svc/apis";
    public const string LoginId = "krxhub-member";
    public const string Password = "pw-Qe83!vX1";

    private static readonly string[] OpenApiPaths = ["sto/stk_bydd_trd", "sto/ksq_bydd_trd", "sto/knx_bydd_trd", "idx/kospi_dd_trd", "idx/kosdaq_dd_trd"];

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _sessions = new();

    private FakeKrxServer(WebApplication app)
    {
        _app = app;
    }

    public string BaseUrl { get; private set; } = "";

    public string OpenApiUrl => BaseUrl + OpenApiRoot;

    public ConcurrentQueue<KrxArrival> Arrivals { get; } = new();

    /// <summary>Open API bodies by (path below /svc/apis, basDd).</summary>
    public ConcurrentDictionary<(string Path, string BasDd), string> OpenApiDays { get; } = new();

    /// <summary>getJsonData.cmd bodies by (bld, mktId, trdDd).</summary>
    public ConcurrentDictionary<(string Bld, string MktId, string TrdDd), byte[]> DataSystemBodies { get; } = new();

    /// <summary>As the data system since 2026-02: no data without a logged-in session.</summary>
    public bool RequireLogin { get; set; }

    /// <summary>The member is logged in on another device: the login answers CD011 unless the form says skipDup=Y.</summary>
    public bool LoggedInElsewhere { get; set; }

    public bool PasswordChangeRequired { get; set; }

    /// <summary>While set, answers every data request after the scripted faults.</summary>
    public Func<HttpContext, Task>? PersistentFault { get; set; }

    public IReadOnlyList<KrxArrival> OpenApiCalls => Arrivals.Where(a => a.Path.StartsWith(OpenApiRoot, StringComparison.Ordinal)).ToList();

    public IReadOnlyList<KrxArrival> JsonDataCalls => Arrivals.Where(a => a.Path == "/comm/bldAttendant/getJsonData.cmd").ToList();

    public IReadOnlyList<KrxArrival> LoginPosts => Arrivals.Where(a => a.Path.EndsWith("MDCCOMS001D1.cmd", StringComparison.Ordinal)).ToList();

    public static async Task<FakeKrxServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKrxServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    public void EnqueueFault(Func<HttpContext, Task> respond) => _faults.Enqueue(respond);

    /// <summary>As after a restart of the data system: every session is logged out.</summary>
    public void ForgetSessions() => _sessions.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // ---- scripted answers ----

    public static Func<HttpContext, Task> Raw(int status, string body, string contentType = "application/json;charset=UTF-8") =>
        async ctx =>
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = contentType;
            await ctx.Response.WriteAsync(body, ctx.RequestAborted);
        };

    /// <summary>An error page that quotes the request's AUTH_KEY back, as a careless proxy might.</summary>
    public static Func<HttpContext, Task> EchoKeyPage(int status) =>
        ctx => Raw(status, $"<!DOCTYPE html><html><body><h1>Error {status}</h1><p>AUTH_KEY={ctx.Request.Headers["AUTH_KEY"]}</p></body></html>", "text/html")(ctx);

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

    public const string HtmlErrorPage = "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>";

    // ---- the protocols ----

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var form = new Dictionary<string, string>();
        if (request.HasFormContentType)
        {
            foreach (var (key, value) in await request.ReadFormAsync(ctx.RequestAborted))
            {
                form[key] = value.ToString();
            }
        }

        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = request.Path.Value ?? "/";
        Arrivals.Enqueue(new KrxArrival(request.Method, path, request.QueryString.Value ?? "", headers, form));

        switch (path)
        {
            case "/contents/MDC/COMS/client/MDCCOMS001.cmd" when HttpMethods.IsGet(request.Method):
                ctx.Response.Cookies.Append("JSESSIONID", Guid.NewGuid().ToString("N"), new CookieOptions { Path = "/", HttpOnly = true });
                await Raw(200, "<html><body>login</body></html>", "text/html")(ctx);
                return;
            case "/contents/MDC/COMS/client/view/login.jsp" when HttpMethods.IsGet(request.Method) && request.Query["site"] == "mdc":
                await Raw(200, "<html><body><form id=\"loginForm\"></form></body></html>", "text/html")(ctx);
                return;
            case "/contents/MDC/COMS/client/MDCCOMS001D1.cmd" when HttpMethods.IsPost(request.Method):
                await LoginAsync(ctx, form);
                return;
        }

        if (_faults.TryDequeue(out var fault))
        {
            await fault(ctx);
            return;
        }

        if (PersistentFault is { } persistent)
        {
            await persistent(ctx);
            return;
        }

        if (path == "/comm/bldAttendant/getJsonData.cmd")
        {
            await JsonDataAsync(ctx, form);
            return;
        }

        if (path.StartsWith(OpenApiRoot + "/", StringComparison.Ordinal))
        {
            await OpenApiAsync(ctx, path[(OpenApiRoot.Length + 1)..]);
            return;
        }

        ctx.Response.StatusCode = 404;
    }

    private async Task OpenApiAsync(HttpContext ctx, string path)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method))
        {
            ctx.Response.StatusCode = 405;
            return;
        }

        if (!OpenApiPaths.Contains(path))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        if (ctx.Request.Headers["AUTH_KEY"].ToString() != AuthKey)
        {
            ctx.Response.StatusCode = 401;
            return;
        }

        var basDd = ctx.Request.Query["basDd"].ToString();
        if (basDd.Length != 8 || !basDd.All(char.IsAsciiDigit))
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        var body = OpenApiDays.TryGetValue((path, basDd), out var day) ? day : """{"OutBlock_1":[]}""";
        await Raw(200, body)(ctx);
    }

    private async Task JsonDataAsync(HttpContext ctx, Dictionary<string, string> form)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method) || !ctx.Request.HasFormContentType)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        if (RequireLogin && !(ctx.Request.Cookies["JSESSIONID"] is { } session && _sessions.TryGetValue(session, out var loggedIn) && loggedIn))
        {
            await Raw(400, "LOGOUT", "text/plain")(ctx);
            return;
        }

        var key = (form.GetValueOrDefault("bld", ""), form.GetValueOrDefault("mktId", ""), form.GetValueOrDefault("trdDd", ""));
        var body = DataSystemBodies.TryGetValue(key, out var bytes) ? bytes : """{"OutBlock_1":[],"CURRENT_DATETIME":"2026.01.25 PM 08:27:25"}"""u8.ToArray();
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json;charset=UTF-8";
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    private async Task LoginAsync(HttpContext ctx, Dictionary<string, string> form)
    {
        var session = ctx.Request.Cookies["JSESSIONID"];
        string code;
        if (session is null || form.GetValueOrDefault("mbrId") != LoginId || form.GetValueOrDefault("pw") != Password)
        {
            // Not a documented answer: the tests always send the right member, so this only flags a broken client.
            ctx.Response.StatusCode = 403;
            return;
        }

        if (PasswordChangeRequired)
        {
            code = "CD010";
        }
        else if (LoggedInElsewhere && form.GetValueOrDefault("skipDup") != "Y")
        {
            code = "CD011";
        }
        else
        {
            _sessions[session] = true;
            LoggedInElsewhere = false;
            code = "CD001";
        }

        await Raw(200, $$"""{"_error_code":"{{code}}"}""")(ctx);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
