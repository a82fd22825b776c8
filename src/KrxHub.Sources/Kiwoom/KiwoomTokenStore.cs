using System.Text.Json;

namespace KrxHub.Sources.Kiwoom;

/// <summary>An issued access token. <paramref name="BaseUrl"/> keeps a mock token from being used against the real host.</summary>
public sealed record CachedToken(string Token, DateTimeOffset ExpiresAt, string BaseUrl)
{
    // The generated ToString would print the token into any log line that includes the record.
    public override string ToString() => $"CachedToken {{ Token = ***, ExpiresAt = {ExpiresAt:O}, BaseUrl = {BaseUrl} }}";
}

/// <summary>
/// Where the token survives restarts (Kiwoom limits how often one may be issued). Two delegates so the hub can put it
/// in its database; <see cref="InMemory"/> and <see cref="File"/> for everything else. Saving null forgets the token.
/// </summary>
public sealed class KiwoomTokenStore(
    Func<CancellationToken, Task<CachedToken?>> load,
    Func<CachedToken?, CancellationToken, Task> save)
{
    public Task<CachedToken?> LoadAsync(CancellationToken cancellationToken) => load(cancellationToken);

    public Task SaveAsync(CachedToken? token, CancellationToken cancellationToken) => save(token, cancellationToken);

    public static KiwoomTokenStore InMemory()
    {
        CachedToken? held = null;
        return new KiwoomTokenStore(_ => Task.FromResult(Volatile.Read(ref held)), (t, _) =>
        {
            Volatile.Write(ref held, t);
            return Task.CompletedTask;
        });
    }

    /// <summary>A JSON file, readable by its owner only. An unreadable file counts as no token.</summary>
    public static KiwoomTokenStore File(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new KiwoomTokenStore(
            async ct =>
            {
                try
                {
                    await using var stream = System.IO.File.OpenRead(path);
                    return await JsonSerializer.DeserializeAsync<CachedToken>(stream, cancellationToken: ct);
                }
                catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
                {
                    return null;
                }
            },
            async (token, ct) =>
            {
                if (token is null)
                {
                    System.IO.File.Delete(path);
                    return;
                }

                var temp = path + ".tmp";
                var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                await using (var stream = new FileStream(temp, options))
                {
                    await JsonSerializer.SerializeAsync(stream, token, cancellationToken: ct);
                }

                System.IO.File.Move(temp, path, overwrite: true);
            });
    }
}
