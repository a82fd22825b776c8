using System.Globalization;
using KrxHub.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace KrxHub.Storage.Tests;

/// <summary>
/// A store on a fresh database of its own: a temporary directory for SQLite, a new database on the test server
/// for PostgreSQL. Disposing drops it.
/// </summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string _backend;
    private readonly string _location;
    private readonly string? _adminConnectionString;

    private TestStore(string backend, MarketStore store, string location, string? adminConnectionString)
    {
        _backend = backend;
        Store = store;
        _location = location;
        _adminConnectionString = adminConnectionString;
    }

    public MarketStore Store { get; }

    /// <summary>The SQLite data directory, or the PostgreSQL connection string of the fresh database.</summary>
    public string Location => _location;

    public static async Task<TestStore> CreateAsync(string backend, bool migrate = true)
    {
        TestStore store;
        if (backend == "sqlite")
        {
            var directory = Path.Combine(Path.GetTempPath(), "krxhub-storage-tests", Guid.NewGuid().ToString("N"));
            store = new TestStore(backend, MarketStore.Open(null, directory), directory, null);
        }
        else
        {
            var admin = TestPaths.Postgres ?? throw new InvalidOperationException("KRXHUB_TEST_POSTGRES is not set");
            var database = "krxhub_test_" + Guid.NewGuid().ToString("N");
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
                await create.ExecuteNonQueryAsync();
            }

            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
            store = new TestStore(backend, MarketStore.Open(connectionString, "unused"), connectionString, admin);
        }

        if (migrate)
        {
            await store.Store.MigrateAsync(CancellationToken.None);
        }

        return store;
    }

    /// <summary>Another store on the same database, as a second hub node would open it.</summary>
    public Task<MarketStore> OpenSecondStoreAsync() =>
        Task.FromResult(_backend == "sqlite" ? MarketStore.Open(null, _location) : MarketStore.Open(_location, "unused"));

    /// <summary>Runs SQL straight against the database, for setting up states the store API cannot reach.</summary>
    public async Task<long> ExecuteAsync(string sql)
    {
        if (_backend == "sqlite")
        {
            await using var connection = await OpenSqliteAsync();
            await using var command = new SqliteCommand(sql, connection);
            return await command.ExecuteNonQueryAsync();
        }

        await using var pg = new NpgsqlConnection(_location);
        await pg.OpenAsync();
        await using var pgCommand = new NpgsqlCommand(sql, pg);
        return await pgCommand.ExecuteNonQueryAsync();
    }

    /// <summary>The database file outside the store (no pool), with the staging file attached as the store attaches it, once it exists.</summary>
    private async Task<SqliteConnection> OpenSqliteAsync()
    {
        var path = Path.Combine(_location, MarketStore.SqliteFileName);
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        if (File.Exists(path + MarketStore.SqliteStagingSuffix))
        {
            await SqliteDialect.AttachStagingFileAsync(connection, path + MarketStore.SqliteStagingSuffix, CancellationToken.None);
        }

        return connection;
    }

    /// <summary>The first column of the first row, as a long.</summary>
    public async Task<long> ScalarAsync(string sql)
    {
        object? value;
        if (_backend == "sqlite")
        {
            await using var connection = await OpenSqliteAsync();
            await using var command = new SqliteCommand(sql, connection);
            value = await command.ExecuteScalarAsync();
        }
        else
        {
            await using var pg = new NpgsqlConnection(_location);
            await pg.OpenAsync();
            await using var pgCommand = new NpgsqlCommand(sql, pg);
            value = await pgCommand.ExecuteScalarAsync();
        }

        return Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        if (_backend == "sqlite")
        {
            Directory.Delete(_location, recursive: true);
            return;
        }

        var database = new NpgsqlConnectionStringBuilder(_location).Database;
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
