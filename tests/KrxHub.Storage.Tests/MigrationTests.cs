using KrxHub.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace KrxHub.Storage.Tests;

public sealed class MigrationTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_fresh_database_has_schema_version_zero(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend, migrate: false);

        Assert.Equal(0, await db.Store.GetSchemaVersionAsync(Ct));
        Assert.Equal(backend, db.Store.Backend);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Migrating_sets_the_latest_version_and_migrating_again_changes_nothing(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend, migrate: false);

        await db.Store.MigrateAsync(Ct);
        await db.Store.UpsertStocksAsync([Samples.SamsungStock], Ct);
        await db.Store.MigrateAsync(Ct);

        Assert.True(MarketStore.LatestSchemaVersion >= 1);
        Assert.Equal(MarketStore.LatestSchemaVersion, await db.Store.GetSchemaVersionAsync(Ct));
        Assert.Equal(SqliteSchema.Migrations.Count, await db.ScalarAsync("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(1, await db.Store.CountStocksAsync(Ct));
    }

    [Fact]
    public void Both_dialects_have_the_same_migration_versions()
    {
        Assert.Equal(SqliteSchema.Migrations.Select(m => m.Version), PostgresSchema.Migrations.Select(m => m.Version));
        // Strictly increasing from 1; a version may be missing while the change that owns it has not landed.
        Assert.Equal(1, SqliteSchema.Migrations[0].Version);
        Assert.All(SqliteSchema.Migrations.Zip(SqliteSchema.Migrations.Skip(1)), pair => Assert.True(pair.First.Version < pair.Second.Version));
    }

    [Fact]
    public async Task Without_a_connection_string_the_store_is_a_wal_sqlite_file_in_the_data_directory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "krxhub-storage-tests", Guid.NewGuid().ToString("N"), "nested");
        try
        {
            await using (var store = MarketStore.Open(null, directory))
            {
                await store.MigrateAsync(Ct);
                Assert.Equal("sqlite", store.Backend);
            }

            var file = Path.Combine(directory, "krxhub.db");
            Assert.True(File.Exists(file));
            await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            await connection.OpenAsync();
            await using var mode = new SqliteCommand("PRAGMA journal_mode", connection);
            Assert.Equal("wal", (string?)await mode.ExecuteScalarAsync());
            await using var pageSize = new SqliteCommand("PRAGMA page_size", connection);
            Assert.Equal(16384L, (long?)await pageSize.ExecuteScalarAsync());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Several_nodes_migrating_at_once_all_succeed_and_apply_each_migration_once(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend, migrate: false);
        var nodes = Enumerable.Range(0, 4)
            .Select(_ => backend == "sqlite" ? MarketStore.Open(null, db.Location) : MarketStore.Open(db.Location, "unused"))
            .ToList();
        try
        {
            await Task.WhenAll(nodes.Select(n => Task.Run(() => n.MigrateAsync(Ct))));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }

        Assert.Equal(MarketStore.LatestSchemaVersion, await db.Store.GetSchemaVersionAsync(Ct));
        Assert.Equal(SqliteSchema.Migrations.Count, await db.ScalarAsync("SELECT count(*) FROM schema_migrations"));
    }

    [PostgresFact]
    public async Task Daily_bars_are_partitioned_by_year_and_minute_bars_by_month_each_with_a_default()
    {
        await using var db = await TestStore.CreateAsync("postgresql");

        var daily = await PartitionsAsync(db.Location, "daily_bars");
        var minute = await PartitionsAsync(db.Location, "minute_bars");

        Assert.Equal(Enumerable.Range(1980, 51).Select(y => $"daily_bars_{y}").Append("daily_bars_default").Order(), daily.Order());
        Assert.Equal(49, minute.Count);
        Assert.Contains("minute_bars_2024_01", minute);
        Assert.Contains("minute_bars_2027_12", minute);
        Assert.Contains("minute_bars_default", minute);

        // A bar lands in its year's partition; one outside the range still has a home.
        await db.Store.StageDailyBarsAsync(1, [Samples.SamsungJan2, Samples.SamsungJan2 with { Date = new DateOnly(2040, 1, 2) }], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM daily_bars_2024"));
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM daily_bars_default"));
        Assert.Equal(1, await db.ScalarAsync("SELECT count(*) FROM pg_class WHERE relname = 'staging_daily_bars' AND relpersistence = 'u'"));
    }

    private static async Task<List<string>> PartitionsAsync(string connectionString, string parent)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("""
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = @parent AND c.relkind = 'r'
            """, connection);
        select.Parameters.AddWithValue("parent", parent);
        var names = new List<string>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
