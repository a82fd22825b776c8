using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>The one Kiwoom client of a process: its token kept in the store, its limiter on the real clock.</summary>
public static class KiwoomWiring
{
    /// <summary>The source name of the Kiwoom token in source_tokens.</summary>
    public const string TokenSource = "kiwoom";

    /// <summary>The token in the store, so that a restart (or another node) reuses it instead of issuing a new one.</summary>
    /// <remarks>
    /// With <paramref name="secrets"/> the token is sealed at rest. A sealed token that does not open (another key) reads as
    /// none, so the client issues a new one; a plain token from before a key was set is used, and sealed at its next save.
    /// </remarks>
    public static KiwoomTokenStore TokenStore(MarketStore store, Access.SecretBox? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new KiwoomTokenStore(
            async ct => await store.GetSourceTokenAsync(TokenSource, ct) is { } t && Unseal(t.Token, secrets) is { } token
                ? new CachedToken(token, t.ExpiresAt, t.Scope)
                : null,
            (token, ct) => store.SaveSourceTokenAsync(TokenSource, token is null ? null
                : new SourceToken(secrets?.Seal(token.Token) ?? token.Token, token.ExpiresAt, token.BaseUrl), ct));
    }

    private static string? Unseal(string stored, Access.SecretBox? secrets) =>
        !Access.SecretBox.IsSealed(stored) ? stored : secrets?.Open(stored);

    public static KiwoomClient CreateClient(KiwoomOptions options, MarketStore store, TimeProvider time, ILogger<KiwoomClient>? logger,
        Access.SecretBox? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Permits return after a real second whatever clock the hub runs on: the limit is about real requests.
        var limiter = KiwoomRateLimiter.FromOptions(options, TimeProvider.System);
        return new KiwoomClient(new HttpClient(), options, time, limiter, TokenStore(store, secrets), logger);
    }
}
