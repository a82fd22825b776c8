using KrxHub.Storage;
using KrxHub.Testing;
using Npgsql;

namespace KrxHub.Tests;

/// <summary>A fresh, real store for one test: a SQLite file in a temp directory, or a new PostgreSQL database.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private TestStore(string backend, string dataDirectory, string? database)
    {
        Backend = backend;
        DataDirectory = dataDirectory;
        Database = database;
    }

    public string Backend { get; }

    public string DataDirectory { get; }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    public string? Database { get; }

    /// <summary>
    /// A SQLite connection outside the store (no pool), with the staging file attached as the store attaches it when
    /// one exists, so that staging_daily_bars reads as the store sees it.
    /// </summary>
    public async Task<Microsoft.Data.Sqlite.SqliteConnection> OpenSqliteAsync()
    {
        var path = Path.Combine(DataDirectory, MarketStore.SqliteFileName);
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        if (File.Exists(path + MarketStore.SqliteStagingSuffix))
        {
            await SqliteDialect.AttachStagingFileAsync(connection, path + MarketStore.SqliteStagingSuffix, CancellationToken.None);
        }

        return connection;
    }

    /// <summary>CLI arguments that select this store.</summary>
    public string[] CliArgs => Database is null ? ["--data-dir", DataDirectory] : ["--database", Database];

    public static async Task<TestStore> CreateAsync(string backend)
    {
        var dir = Directory.CreateTempSubdirectory("krxhub-test-").FullName;
        if (backend == "sqlite")
        {
            return new TestStore(backend, dir, null);
        }

        var admin = TestPaths.Postgres ?? throw new InvalidOperationException("KRXHUB_TEST_POSTGRES is not set: run the tests through bash .ci/run");
        var name = $"krxhub_t_{Guid.NewGuid():N}";
        await using (var conn = new NpgsqlConnection(admin))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestStore(backend, dir, builder.ConnectionString);
    }

    public async Task<MarketStore> OpenAsync()
    {
        var store = MarketStore.Open(Database, DataDirectory);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        if (Database is not null)
        {
            NpgsqlConnection.ClearAllPools();
            var name = new NpgsqlConnectionStringBuilder(Database).Database;
            await using var conn = new NpgsqlConnection(TestPaths.Postgres);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a killed child process; the temp directory is left behind.
        }
    }
}
