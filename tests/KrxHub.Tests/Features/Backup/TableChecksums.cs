using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace KrxHub.Tests;

/// <summary>
/// Every table of a store as (rows, SHA-256 of all its rows ordered by their text, i.e. by every column). Written apart
/// from the backup code, so that the backup cannot vouch for itself.
/// </summary>
internal static class TableChecksums
{
    public static async Task<SortedDictionary<string, (long Rows, string Sha256)>> OfAsync(DbConnection connection)
    {
        var postgres = connection is NpgsqlConnection;
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = postgres
                ? "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var result = new SortedDictionary<string, (long, string)>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var rows = new List<string>();
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var row = new StringBuilder();
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        row.Append(Text(reader.GetValue(i))).Append('\u001f');
                    }

                    rows.Add(row.ToString());
                }
            }

            rows.Sort(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(row + "\u001e"));
            }

            result[table] = (rows.Count, Convert.ToHexString(hash.GetHashAndReset()));
        }

        return result;
    }

    public static async Task<SortedDictionary<string, (long Rows, string Sha256)>> OfStoreAsync(TestStore store)
    {
        if (store.Database is { } database)
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            return await OfAsync(connection);
        }

        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(store.DataDirectory, "krxhub.db")};Mode=ReadOnly;Pooling=False");
        await sqlite.OpenAsync();
        return await OfAsync(sqlite);
    }

    private static string Text(object value) => value switch
    {
        DBNull => "∅",
        byte[] bytes => Convert.ToHexString(bytes),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => value.GetType().Name + ":" + f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
