using System.Security.Cryptography;
using System.Text;

namespace KrxHub.Features.Access;

/// <summary>
/// Encrypts secrets the hub itself must keep at rest (the Kiwoom access token in source_tokens, the secrets of alert
/// channels set through the API in alert_channels) with AES-256-GCM under
/// KRXHUB_SECRETS__KEY (or KRXHUB_SECRETS__KEY_FILE). The key text is stretched by SHA-256, so any long random string
/// works; `openssl rand -base64 32` makes one.
/// </summary>
public sealed class SecretBox(string key)
{
    public const string SectionName = "Secrets";
    private const string Marker = "enc:v1:";
    private readonly byte[] _key = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static bool IsSealed(string value) => value?.StartsWith(Marker, StringComparison.Ordinal) == true;

    public string Seal(string plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var text = Encoding.UTF8.GetBytes(plain);
        var sealedBytes = new byte[nonce.Length + AesGcm.TagByteSizes.MaxSize + text.Length];
        nonce.CopyTo(sealedBytes, 0);
        using var aes = new AesGcm(_key, AesGcm.TagByteSizes.MaxSize);
        aes.Encrypt(nonce, text, sealedBytes.AsSpan(nonce.Length + AesGcm.TagByteSizes.MaxSize), sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize));
        return Marker + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The plain text, or null when the value was sealed under another key or is damaged.</summary>
    public string? Open(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            var bytes = Convert.FromBase64String(value[Marker.Length..]);
            var nonceSize = AesGcm.NonceByteSizes.MaxSize;
            var tagSize = AesGcm.TagByteSizes.MaxSize;
            var plain = new byte[bytes.Length - nonceSize - tagSize];
            using var aes = new AesGcm(_key, tagSize);
            aes.Decrypt(bytes.AsSpan(0, nonceSize), bytes.AsSpan(nonceSize + tagSize), bytes.AsSpan(nonceSize, tagSize), plain);
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException or OverflowException)
        {
            return null;
        }
    }
}

/// <summary>KRXHUB_SECRETS__KEY: when set, secrets kept at rest are encrypted with it.</summary>
public sealed record SecretsSettings
{
    public string? Key { get; init; }

    public SecretBox? Box => string.IsNullOrWhiteSpace(Key) ? null : new SecretBox(Key);

    public override string ToString() => $"SecretsSettings {{ Key = {(Key is null ? "unset" : "***")} }}";
}
