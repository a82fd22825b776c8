using System.Data.Common;

namespace KrxHub.Storage;

/// <summary>An API key as stored: never the key, only its hash and the prefix its owner recognises it by.</summary>
public sealed record ApiKeyRecord(
    long Id,
    string Name,
    string Role,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt);

/// <summary>API keys (migration 9).</summary>
public sealed partial class MarketStore
{
    private const string ApiKeyColumns = "id, name, role, prefix, created_at, revoked_at, last_used_at";

    /// <summary>Adds a key by its hash; null when an active key already has that name.</summary>
    public async Task<ApiKeyRecord?> AddApiKeyAsync(string name, string role, string keyHash, string prefix, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var taken = Command(connection, tx, "SELECT count(*) FROM api_keys WHERE name = @name AND revoked_at IS NULL"))
        {
            taken.Parameters.Add(_dialect.Text("name", name));
            if (Convert.ToInt64(await taken.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return null;
            }
        }

        await using var insert = Command(connection, tx, $"""
            INSERT INTO api_keys (name, role, key_hash, prefix, created_at) VALUES (@name, @role, @hash, @prefix, @now)
            RETURNING {ApiKeyColumns}
            """);
        insert.Parameters.Add(_dialect.Text("name", name));
        insert.Parameters.Add(_dialect.Text("role", role));
        insert.Parameters.Add(_dialect.Text("hash", keyHash));
        insert.Parameters.Add(_dialect.Text("prefix", prefix));
        insert.Parameters.Add(_dialect.Instant("now", now));
        var added = (await ReadApiKeysAsync(insert, ct)).Single();
        await tx.CommitAsync(ct);
        return added;
    }

    /// <summary>Every key, revoked ones included, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> GetApiKeysAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {ApiKeyColumns} FROM api_keys ORDER BY id");
        return await ReadApiKeysAsync(select, ct);
    }

    /// <summary>The active key with this hash, or null.</summary>
    public async Task<ApiKeyRecord?> FindActiveApiKeyAsync(string keyHash, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {ApiKeyColumns} FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL");
        select.Parameters.Add(_dialect.Text("hash", keyHash));
        return (await ReadApiKeysAsync(select, ct)).SingleOrDefault();
    }

    /// <summary>How many keys are active, and how many of them are admin keys.</summary>
    public async Task<(int Active, int Admins)> CountActiveApiKeysAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null,
            "SELECT count(*), coalesce(sum(CASE WHEN role = 'admin' THEN 1 ELSE 0 END), 0) FROM api_keys WHERE revoked_at IS NULL");
        await using var reader = await select.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    /// <summary>Revokes the active keys named <paramref name="nameOrPrefix"/> or starting with that prefix; the revoked keys.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> RevokeApiKeysAsync(string nameOrPrefix, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var update = Command(connection, null, $"""
            UPDATE api_keys SET revoked_at = @now WHERE revoked_at IS NULL AND (name = @key OR prefix = @key)
            RETURNING {ApiKeyColumns}
            """);
        update.Parameters.Add(_dialect.Text("key", nameOrPrefix));
        update.Parameters.Add(_dialect.Instant("now", now));
        return await ReadApiKeysAsync(update, ct);
    }

    /// <summary>Records when a key was last used (callers throttle this; it is a hint for `keys list`, not an audit log).</summary>
    public async Task TouchApiKeyAsync(long id, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var update = Command(connection, null, "UPDATE api_keys SET last_used_at = @now WHERE id = @id");
        update.Parameters.Add(_dialect.Long("id", id));
        update.Parameters.Add(_dialect.Instant("now", now));
        await update.ExecuteNonQueryAsync(ct);
    }

    private async Task<List<ApiKeyRecord>> ReadApiKeysAsync(DbCommand select, CancellationToken ct)
    {
        var keys = new List<ApiKeyRecord>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            keys.Add(new ApiKeyRecord(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                _dialect.ReadInstant(reader, 4),
                _dialect.NullableInstant(reader, 5),
                _dialect.NullableInstant(reader, 6)));
        }

        return keys;
    }
}
