using System.Collections.Concurrent;
using KrxHub.Storage;

namespace KrxHub.Features.Access;

/// <summary>
/// The keys as the request path sees them: lookups by hash cached for a few seconds (a revocation, also one made on
/// another node or by `krxhub keys revoke`, takes effect within <see cref="CacheFor"/>), and whether the hub is open.
/// </summary>
public sealed class KeyRing(MarketStore store, TimeProvider time, AccessMode mode)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (ApiKeyRecord? Key, DateTimeOffset At)> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, DateTimeOffset> _touched = new();
    private ActiveCount? _active; // a reference, so that readers on other threads never see half of it

    public AccessMode Mode { get; } = mode;

    /// <summary>Open: no key is needed because no key exists and the hub may run open (loopback, or --insecure-open).</summary>
    public async ValueTask<bool> IsOpenAsync(CancellationToken ct)
    {
        if (!Mode.OpenAllowed)
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (_active is not { } cached || now - cached.At > CacheFor)
        {
            cached = new ActiveCount((await store.CountActiveApiKeysAsync(ct)).Active, now);
            _active = cached;
        }

        return cached.Active == 0;
    }

    /// <summary>The active key with this text, or null.</summary>
    public async ValueTask<ApiKeyRecord?> FindAsync(string key, CancellationToken ct)
    {
        var hash = ApiKeys.Hash(key);
        var now = time.GetUtcNow();
        if (!_byHash.TryGetValue(hash, out var cached) || now - cached.At > CacheFor)
        {
            if (_byHash.Count > 10_000)
            {
                _byHash.Clear(); // unknown keys sent in bulk must not grow the cache without bound
            }

            cached = (await store.FindActiveApiKeyAsync(hash, ct), now);
            _byHash[hash] = cached;
        }

        if (cached.Key is { } found && (!_touched.TryGetValue(found.Id, out var last) || now - last > TouchEvery))
        {
            _touched[found.Id] = now;
            await store.TouchApiKeyAsync(found.Id, now, ct);
        }

        return cached.Key;
    }

    /// <summary>Forgets cached answers (after a key is added or revoked through this process).</summary>
    public void Invalidate()
    {
        _byHash.Clear();
        _active = null;
    }

    private sealed record ActiveCount(int Active, DateTimeOffset At);
}

/// <summary>
/// Whether this hub may run without keys: bound to loopback only, or told so with --insecure-open. Decided once at
/// start from the addresses it listens on.
/// </summary>
public sealed record AccessMode(bool LoopbackOnly, bool InsecureOpen)
{
    public bool OpenAllowed => LoopbackOnly || InsecureOpen;

    /// <summary>Why this hub must not start with these keys (a public address and no admin key), or null.</summary>
    public string? Refusal(int adminKeys) => !LoopbackOnly && !InsecureOpen && adminKeys == 0
        ? "refusing to listen on a non-loopback address without an admin API key: run `krxhub keys add --name ops --role admin` "
          + "first (docs/access.md), or start with --insecure-open to serve the whole API to the network without keys"
        : null;

    /// <summary>The line `serve` prints about access at every start.</summary>
    public string Describe(int activeKeys) => (activeKeys, LoopbackOnly, InsecureOpen) switch
    {
        (> 0, _, _) => $"access: API keys required ({activeKeys} active; read for GET and /ws, admin for writes)",
        (0, true, _) => "access: OPEN — no API keys defined, listening on loopback only; anyone on this machine may call every endpoint (krxhub keys add … closes it)",
        _ => "WARNING: --insecure-open: no API keys and a non-loopback address; ANYONE who can reach this port may call every endpoint, including writes",
    };

    /// <summary>True when every address of a --urls list (semicolon-separated) is a loopback address or localhost.</summary>
    public static bool IsLoopbackOnly(string urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel accepts wildcards (http://*:5080, http://+:5080) that Uri does not: they bind every interface.
            var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
            var rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
            var host = rest.StartsWith('[') ? rest[1..Math.Max(1, rest.IndexOf(']', StringComparison.Ordinal))]
                : rest.Split(':', '/')[0];
            var loopback = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                || System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);
            if (!loopback)
            {
                return false;
            }
        }

        return true;
    }
}
