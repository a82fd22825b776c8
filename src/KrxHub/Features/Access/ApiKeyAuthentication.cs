using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace KrxHub.Features.Access;

/// <summary>
/// Reads an API key from <c>Authorization: Bearer …</c> or <c>X-Api-Key</c>, and on /ws also from the
/// <c>access_token</c> query parameter (a browser's WebSocket cannot set headers). A request without a key is
/// anonymous, except while the hub is open (<see cref="KeyRing.IsOpenAsync"/>): then it acts as an admin, as before
/// access control existed. A key that is wrong or revoked is a 401 even while open.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyRing keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyIdClaim = "krxhub:key_id";
    public const string QueryParameter = "access_token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var ct = Context.RequestAborted;
        var presented = PresentedKey(Request);
        if (presented is null)
        {
            return await keys.IsOpenAsync(ct)
                ? Success(new Claim(ClaimTypes.Name, "open"), new Claim(ClaimTypes.Role, Roles.Admin))
                : AuthenticateResult.NoResult();
        }

        if (await keys.FindAsync(presented, ct) is not { } key)
        {
            return AuthenticateResult.Fail("unknown or revoked API key");
        }

        return Success(
            new Claim(ClaimTypes.Name, key.Name),
            new Claim(ClaimTypes.Role, key.Role),
            new Claim(KeyIdClaim, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"krxhub\"";
        return Task.CompletedTask;
    }

    /// <summary>The key a request carries, or null.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return NullIfEmpty(authorization["Bearer ".Length..]);
        }

        if (NullIfEmpty(request.Headers["X-Api-Key"].ToString()) is { } header)
        {
            return header;
        }

        return request.Path.StartsWithSegments("/ws", StringComparison.Ordinal)
            ? NullIfEmpty(request.Query[QueryParameter].ToString())
            : null;
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
}
