using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>The one Kiwoom client of a process: its token kept in the store, its limiter on the real clock.</summary>
public static class KiwoomWiring
{
    /// <summary>The source name of the Kiwoom token in source_tokens.</summary>
    public const string TokenSource = "kiwoom";

    /// <summary>The token in the store, so that a restart (or another node) reuses it instead of issuing a new one.</summary>
    public static KiwoomTokenStore TokenStore(MarketStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new KiwoomTokenStore(
            async ct => await store.GetSourceTokenAsync(TokenSource, ct) is { } t ? new CachedToken(t.Token, t.ExpiresAt, t.Scope) : null,
            (token, ct) => store.SaveSourceTokenAsync(TokenSource, token is null ? null : new SourceToken(token.Token, token.ExpiresAt, token.BaseUrl), ct));
    }

    public static KiwoomClient CreateClient(KiwoomOptions options, MarketStore store, TimeProvider time, ILogger<KiwoomClient>? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Permits return after a real second whatever clock the hub runs on: the limit is about real requests.
        var limiter = KiwoomRateLimiter.FromOptions(options, TimeProvider.System);
        return new KiwoomClient(new HttpClient(), options, time, limiter, TokenStore(store), logger);
    }
}
