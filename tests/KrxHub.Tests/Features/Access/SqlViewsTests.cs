using System.Data.Common;
using System.Globalization;
using System.IO.Compression;
using KrxHub.Core;
using KrxHub.Features.Bars;
using KrxHub.Sources.Import;
using KrxHub.Testing;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace KrxHub.Tests;

/// <summary>The read-only SQL views (migration 10) agree with the API, and on PostgreSQL the krxhub_read role may read them and nothing else.</summary>
public sealed class SqlViewsTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    // Stocks with factor events in or near the 2024 marcap raw window (a split, a bonus issue, a rights offering).
    private static readonly string[] EventCodes = ["079370", "034220", "001440", "358570", "064960", "216080", "065170"];

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_adjusted_view_derives_the_same_bars_as_the_api_and_the_raw_view_holds_every_raw_bar(string backend)
    {
        await using var test = await TestStore.CreateAsync(backend);
        await using var store = await test.OpenAsync();
        await TestData.LoadMasterAsync(store);
        var file = Path.Combine(test.DataDirectory, "marcap-2024-events.csv");
        await using (var gz = new GZipStream(File.OpenRead(TestPaths.Reference("ohlcv", "marcap_raw", "marcap-2024.csv.gz")), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
        {
            var lines = new List<string> { (await reader.ReadLineAsync(Ct))! };
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                if (EventCodes.Any(c => line.StartsWith($"\"{c}\"", StringComparison.Ordinal)))
                {
                    lines.Add(line);
                }
            }

            await File.WriteAllLinesAsync(file, lines, Ct);
        }

        await TestData.ImportAsync(store, file, new ImportOptions { Format = ImportFormat.MarcapCsv });
        var events = await store.GetAdjustmentEventsAsync(null, Ct);
        Assert.True(events.Count >= 4, $"{events.Count} events"); // the window is 2024-01-02..02-13: 079370 and three more

        await using var connection = await OpenAsync(test);
        var compared = 0;
        foreach (var code in EventCodes)
        {
            var api = await AdjustedBars.ReadAsync(store, TestData.Calendar, StockCode.Parse(code), new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31), PriceBasis.Adjusted, Ct);
            Assert.Equal("derived", api.Adjustment);
            var view = await QueryAsync(connection,
                $"SELECT date, open, high, low, close, adjustment FROM v_daily_bars_adjusted WHERE code = '{code}' ORDER BY date");
            Assert.Equal(api.Bars.Count, view.Count);
            for (var i = 0; i < view.Count; i++)
            {
                var (bar, row) = (api.Bars[i], view[i]);
                Assert.Equal(bar.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), row[0]);
                Assert.Equal((bar.Open, bar.High, bar.Low, bar.Close, "derived"),
                    (decimal.Parse(row[1], CultureInfo.InvariantCulture), decimal.Parse(row[2], CultureInfo.InvariantCulture),
                     decimal.Parse(row[3], CultureInfo.InvariantCulture), decimal.Parse(row[4], CultureInfo.InvariantCulture), row[5]));
                compared++;
            }
        }

        Assert.True(compared > 150, $"{compared} bars compared");
        var raw = await QueryAsync(connection, "SELECT count(*) FROM v_daily_bars_raw");
        Assert.Equal(compared.ToString(CultureInfo.InvariantCulture), raw[0][0]);
        Assert.NotEmpty(await QueryAsync(connection, "SELECT code, name, market FROM v_stocks WHERE code = '005930'"));
        Assert.Empty(await QueryAsync(connection, "SELECT * FROM v_investor_flows"));
        Assert.Empty(await QueryAsync(connection, "SELECT * FROM v_index_bars"));
    }

    [PostgresFact]
    public async Task A_login_with_the_krxhub_read_role_reads_the_views_and_nothing_else()
    {
        await using var test = await TestStore.CreateAsync("postgresql");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var login = "reader_" + Guid.NewGuid().ToString("n")[..8];
        await using (var admin = new NpgsqlConnection(test.Database))
        {
            await admin.OpenAsync(Ct);
            await Execute(admin, $"CREATE ROLE {login} LOGIN PASSWORD 'reader-pw' IN ROLE krxhub_read");
        }

        try
        {
            var asReader = new NpgsqlConnectionStringBuilder(test.Database) { Username = login, Password = "reader-pw", Pooling = false }.ConnectionString;
            await using var reader = new NpgsqlConnection(asReader);
            await reader.OpenAsync(Ct);
            var count = await QueryAsync(reader, "SELECT count(*) FROM v_stocks");
            Assert.True(int.Parse(count[0][0], CultureInfo.InvariantCulture) > 2000);
            await Assert.ThrowsAsync<PostgresException>(() => QueryAsync(reader, "SELECT * FROM api_keys"));
            await Assert.ThrowsAsync<PostgresException>(() => QueryAsync(reader, "SELECT * FROM stocks"));
            await Assert.ThrowsAsync<PostgresException>(() => Execute(reader, "DELETE FROM stocks"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(test.Database);
            await admin.OpenAsync(Ct);
            await Execute(admin, $"DROP ROLE {login}");
        }
    }

    private static async Task<DbConnection> OpenAsync(TestStore test)
    {
        DbConnection connection = test.Database is null
            ? new SqliteConnection($"Data Source={Path.Combine(test.DataDirectory, "krxhub.db")};Mode=ReadOnly")
            : new NpgsqlConnection(test.Database);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task Execute(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>Every row as invariant text (dates as yyyy-MM-dd), as a pandas user would see the values.</summary>
    private static async Task<List<string[]>> QueryAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string[]>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetValue(i) switch
            {
                DateTime d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var v => v.ToString() ?? string.Empty,
            })]);
        }

        return rows;
    }
}
