namespace KrxHub.Storage;

/// <summary>Chooses the backend: PostgreSQL when a connection string is configured, else the embedded SQLite file.</summary>
public static class MarketStore
{
    /// <summary>The file name of the SQLite database inside the data directory.</summary>
    public const string SqliteFileName = "krxhub.db";

    /// <summary>The schema version both dialects reach after <see cref="IMarketStore.MigrateAsync"/>.</summary>
    public static int LatestSchemaVersion { get; } = SqliteSchema.Migrations[^1].Version;

    /// <summary>
    /// Opens the PostgreSQL store when <paramref name="postgresConnectionString"/> is set, otherwise the SQLite
    /// store at <c>{dataDirectory}/krxhub.db</c> (creating the directory). Call MigrateAsync before use.
    /// </summary>
    public static IMarketStore Open(string? postgresConnectionString, string dataDirectory, TimeProvider? time = null)
    {
        if (!string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            return new PostgresMarketStore(postgresConnectionString, time);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        return new SqliteMarketStore(Path.Combine(dataDirectory, SqliteFileName), time);
    }
}

/// <summary>One schema step of one dialect; versions are shared by both dialects.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
