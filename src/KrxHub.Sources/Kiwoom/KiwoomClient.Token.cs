using System.Text.Json;
using KrxHub.Core;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Kiwoom;

public sealed partial class KiwoomClient
{
    private const string TokenPath = "/oauth2/token";
    private const string RevokePath = "/oauth2/revoke";
    private const string IssueApiId = "au10001";
    private const string RevokeApiId = "au10002";

    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private CachedToken? _token;
    private bool _storeLoaded;

    /// <summary>When the token in use expires (KST instant), or null before the first call.</summary>
    public DateTimeOffset? TokenExpiresAt => Volatile.Read(ref _token)?.ExpiresAt;

    /// <summary>
    /// Revokes the token (au10002), for shutdown, and forgets it in the store. False when there was no token.
    /// Not retried: at shutdown a failed revoke only means the token lives out its expiry.
    /// </summary>
    public async Task<bool> RevokeTokenAsync(CancellationToken cancellationToken)
    {
        await _tokenLock.WaitAsync(cancellationToken);
        try
        {
            await LoadStoredTokenAsync(cancellationToken);
            if (_token is not { } token)
            {
                return false;
            }

            var json = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["appkey"] = _options.AppKey!,
                ["secretkey"] = _options.SecretKey!,
                ["token"] = token.Token,
            });
            var raw = await SendAsync(RevokePath, RevokeApiId, json, null, null, cancellationToken);
            Check(RevokeApiId, raw, Parse(raw), showBody: false);
            Volatile.Write(ref _token, null);
            await SaveTokenAsync(null, cancellationToken);
            _logger.LogInformation("Kiwoom token revoked");
            return true;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    /// <summary>
    /// The access token for callers outside the REST calls: the WebSocket LOGIN. Pass the token the server just refused as
    /// <paramref name="rejected"/> to get a freshly issued one (unless another caller has replaced it already).
    /// </summary>
    public Task<string> GetAccessTokenAsync(string? rejected, CancellationToken cancellationToken) => GetTokenAsync(rejected, cancellationToken);

    /// <summary>
    /// A token valid for at least <see cref="KiwoomOptions.TokenRefreshBefore"/> more. <paramref name="rejected"/> is a token
    /// the server just refused: it is replaced unless another caller has replaced it already.
    /// </summary>
    private async Task<string> GetTokenAsync(string? rejected, CancellationToken cancellationToken)
    {
        if (Usable(Volatile.Read(ref _token), rejected) is { } fast)
        {
            return fast;
        }

        await _tokenLock.WaitAsync(cancellationToken);
        try
        {
            await LoadStoredTokenAsync(cancellationToken);
            if (Usable(_token, rejected) is { } current)
            {
                return current;
            }

            var issued = await IssueTokenAsync(cancellationToken);
            Volatile.Write(ref _token, issued);
            await SaveTokenAsync(issued, cancellationToken);
            return issued.Token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private string? Usable(CachedToken? token, string? rejected) =>
        token is not null && token.Token != rejected && _time.GetUtcNow() < token.ExpiresAt - _options.TokenRefreshBefore
            ? token.Token
            : null;

    private async Task<CachedToken> IssueTokenAsync(CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["appkey"] = _options.AppKey!,
            ["secretkey"] = _options.SecretKey!,
        });
        var raw = await SendAsync(TokenPath, IssueApiId, json, null, null, cancellationToken);
        var parsed = Parse(raw);

        // Refused keys (8001/8002 …) are not something a retry fixes; only the rate-limit answer is.
        if (raw.Status is 401 or 403 ||
            (parsed.ReturnCode is { } rc and not 0 && KiwoomResponse.DetailCode(parsed.ReturnMessage) != KiwoomResponse.RateLimitDetail))
        {
            throw new KiwoomAuthException(IssueApiId, $"token not issued: HTTP {raw.Status}, return_code {parsed.ReturnCode}: {Scrub(parsed.ReturnMessage)}");
        }

        var root = Check(IssueApiId, raw, parsed, showBody: false);
        var token = KiwoomRowReader.Text(root, "token");
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new KiwoomPayloadException(IssueApiId, "answer has no token");
        }

        var expiresText = KiwoomRowReader.Text(root, "expires_dt");
        if (KiwoomValue.TryKstTime(expiresText, out var expiresAt) != FieldStatus.Ok)
        {
            throw new KiwoomPayloadException(IssueApiId, $"answer has no valid expires_dt ('{expiresText}'; expected yyyyMMddHHmmss, Korean time)");
        }

        var now = _time.GetUtcNow();
        if (expiresAt - _options.TokenRefreshBefore <= now)
        {
            _logger.LogWarning("Kiwoom issued a token that expires at {ExpiresAt:O}, within the refresh margin of now ({Now:O})", expiresAt, now);
        }
        else
        {
            _logger.LogInformation("Kiwoom token issued; expires {ExpiresAt:O}", expiresAt);
        }

        return new CachedToken(token.Trim(), expiresAt, _options.EffectiveBaseUrl);
    }

    private async Task LoadStoredTokenAsync(CancellationToken cancellationToken)
    {
        if (_storeLoaded)
        {
            return;
        }

        _storeLoaded = true;
        try
        {
            if (await _tokenStore.LoadAsync(cancellationToken) is { } stored &&
                string.Equals(stored.BaseUrl, _options.EffectiveBaseUrl, StringComparison.OrdinalIgnoreCase) &&
                !string.IsNullOrWhiteSpace(stored.Token))
            {
                Volatile.Write(ref _token, stored);
                _logger.LogInformation("Kiwoom token loaded from the store; expires {ExpiresAt:O}", stored.ExpiresAt);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Kiwoom token store could not be read ({Error}); a new token will be issued", e.GetType().Name);
        }
    }

    private async Task SaveTokenAsync(CachedToken? token, CancellationToken cancellationToken)
    {
        try
        {
            await _tokenStore.SaveAsync(token, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Kiwoom token store could not be written ({Error}); the token is kept in memory only", e.GetType().Name);
        }
    }
}
