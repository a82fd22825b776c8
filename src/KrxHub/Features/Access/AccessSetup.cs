using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KrxHub.Features.Access;

/// <summary>
/// Who may call what, and how much: API-key authentication, the read/admin policies applied to every API endpoint,
/// rate limits, CORS, forwarded headers, HSTS, security headers and the request size limit.
/// </summary>
public static class AccessSetup
{
    public const string ReadPolicy = "read";
    public const string AdminPolicy = "admin";

    /// <summary>Backtests and condition writes: admin, or read too when KRXHUB_ACCESS__READMAYRUNBACKTESTSANDCONDITIONS is true.</summary>
    public const string BacktestsAndConditionsPolicy = "backtests-and-conditions";

    // The dashboard is one bundle from this origin; charts draw on canvas; /ws is same-origin. Scalar (/docs) needs inline scripts.
    private const string DashboardCsp =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    private const string DocsCsp =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddAccess(this IServiceCollection services, AccessSettings settings, AccessMode mode)
    {
        services.AddSingleton(settings);
        services.AddSingleton(mode);
        services.AddSingleton<KeyRing>();
        services.AddSingleton<WebSocketCaps>();
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ReadPolicy, p => p.RequireRole(Roles.Read, Roles.Admin))
            .AddPolicy(AdminPolicy, p => p.RequireRole(Roles.Admin))
            .AddPolicy(BacktestsAndConditionsPolicy, p => p.RequireRole(
                settings.ReadMayRunBacktestsAndConditions ? [Roles.Read, Roles.Admin] : [Roles.Admin]));
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(PerKey(settings), PerAddress(settings));
            o.OnRejected = async (context, ct) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                    detail: $"the rate limit of this key or address is reached; retry in {seconds} s").ExecuteAsync(context.HttpContext);
            };
        });
        services.AddCors(o => o.AddDefaultPolicy(p => p
            .WithOrigins([.. settings.CorsOriginList])
            .WithHeaders("Authorization", "X-Api-Key", "Content-Type", "Accept")
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithExposedHeaders("Retry-After", "X-Adjustment", "X-Factor-Coverage")));
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in settings.TrustedProxyList)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes);
        return services;
    }

    /// <summary>The middleware, in order: the client's real address and scheme first, the limits after the key is known.</summary>
    public static WebApplication UseAccess(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = app.Services.GetRequiredService<AccessSettings>();
        if (settings.TrustedProxyList.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseHsts(); // only on HTTPS requests (a TLS proxy's X-Forwarded-Proto counts), never for localhost
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/docs", StringComparison.Ordinal) ? DocsCsp : DashboardCsp;
            return next(context);
        });
        app.UseCors();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// Every endpoint of <paramref name="group"/> needs the read role; one whose method is not GET or HEAD needs admin,
    /// unless it names its own policy with <see cref="RequireAccess"/> (a write endpoint added later is admin-only by default).
    /// </summary>
    public static RouteGroupBuilder RequireApiAccess(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.RequireAuthorization(ReadPolicy);
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            var policy = endpoint.Metadata.OfType<RequiredAccess>().LastOrDefault()?.Policy;
            if (policy is null)
            {
                var methods = endpoint.Metadata.OfType<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>().LastOrDefault()?.HttpMethods;
                policy = methods is null || methods.All(m => m is "GET" or "HEAD") ? ReadPolicy : AdminPolicy;
            }

            if (policy != ReadPolicy)
            {
                endpoint.Metadata.Add(new AuthorizeAttribute(policy));
            }
        });
        return group;
    }

    /// <summary>Names the policy of an endpoint that is not GET (e.g. POST /api/screen is a query: read).</summary>
    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, string policy)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredAccess(policy));

    /// <summary>The API key's id of a request, or null (no key, or open access).</summary>
    public static string? KeyId(this ClaimsPrincipal user) => user?.FindFirst(ApiKeyAuthentication.KeyIdClaim)?.Value;

    private static PartitionedRateLimiter<HttpContext> PerKey(AccessSettings settings) => PartitionedRateLimiter.Create<HttpContext, string>(
        context => context.User.KeyId() is { } id
            ? RateLimitPartition.GetFixedWindowLimiter("key:" + id, _ => Window(settings.RequestsPerMinutePerKey))
            : RateLimitPartition.GetNoLimiter("no key"));

    private static PartitionedRateLimiter<HttpContext> PerAddress(AccessSettings settings) => PartitionedRateLimiter.Create<HttpContext, string>(
        context => context.Connection.RemoteIpAddress is { } address && (settings.LimitLoopback || !IPAddress.IsLoopback(address))
            ? RateLimitPartition.GetFixedWindowLimiter("ip:" + address, _ => Window(settings.RequestsPerMinutePerIp))
            : RateLimitPartition.GetNoLimiter("loopback"));

    private static FixedWindowRateLimiterOptions Window(int perMinute) => new()
    {
        PermitLimit = perMinute,
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private sealed record RequiredAccess(string Policy);
}
