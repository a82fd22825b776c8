using System.Security.Cryptography;
using System.Text;
using KrxHub.Storage;

namespace KrxHub.Features.Access;

public static class Roles
{
    public const string Read = "read";
    public const string Admin = "admin";

    public static bool IsKnown(string role) => role is Read or Admin;
}

/// <summary>
/// API keys: 32 random bytes behind a recognisable "krx_" prefix. Only a SHA-256 of the key is stored — a fast hash is
/// enough because the key is random (nothing to guess from a dictionary), and it lets every request be checked in O(1).
/// </summary>
public static class ApiKeys
{
    public const string Scheme = "krx_";

    /// <summary>Characters of the key kept in clear (the scheme and 8 more), so that `keys list` can show which is which.</summary>
    public const int PrefixLength = 12;

    public static string NewKey() => Scheme + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string Prefix(string key) => key.Length <= PrefixLength ? key : key[..PrefixLength];

    /// <summary>Creates a key; the key text is returned once and never stored. Null when an active key has the name.</summary>
    public static async Task<(ApiKeyRecord Record, string Key)?> AddAsync(MarketStore store, string name, string role, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var key = NewKey();
        return await store.AddApiKeyAsync(name, role, Hash(key), Prefix(key), now, ct) is { } record ? (record, key) : null;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
