using System.Data.Common;
using KrxHub.Core;

namespace KrxHub.Storage;

public static class ConditionOrigins
{
    /// <summary>A condition written in the hub's language and evaluated by the hub.</summary>
    public const string User = "user";

    /// <summary>One of Kiwoom's HTS conditions (조건검색), evaluated by Kiwoom and pushed over its WebSocket.</summary>
    public const string Kiwoom = "kiwoom";
}

/// <summary>
/// Migration 11, the same SQL on both backends: Kiwoom's HTS conditions get rows beside the user conditions, so that their
/// matching sets, entries, exits and alerts go through the same tables and the same outbox.
/// </summary>
internal static class KiwoomConditionRows
{
    public const string Name = "Kiwoom server conditions beside the user conditions";

    public const string Sql = """
        -- 'kiwoom' rows are Kiwoom's HTS conditions (kiwoom_seq is CNSRLST's seq): Kiwoom evaluates them, the hub never does.
        ALTER TABLE conditions ADD COLUMN origin text NOT NULL DEFAULT 'user' CHECK (origin IN ('user', 'kiwoom'));
        ALTER TABLE conditions ADD COLUMN kiwoom_seq text;
        CREATE UNIQUE INDEX conditions_kiwoom_seq ON conditions (kiwoom_seq) WHERE kiwoom_seq IS NOT NULL;
        """;
}

/// <summary>The rows of Kiwoom's server conditions, and the reading of condition rows of either origin.</summary>
public sealed partial class MarketStore
{
    private const string ConditionColumns =
        "id, name, expression, market, active, schedule, interval_seconds, channels, created_at, updated_at, last_run_at, last_session, origin, kiwoom_seq";

    /// <summary>The Kiwoom conditions that have a row (were activated for real time at least once), by seq.</summary>
    public async Task<IReadOnlyList<StoredCondition>> GetKiwoomConditionsAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {ConditionColumns} FROM conditions WHERE origin = 'kiwoom' ORDER BY kiwoom_seq");
        return await ReadConditionsAsync(select, ct);
    }

    /// <summary>
    /// Creates or updates the row of Kiwoom condition <paramref name="seq"/>: its name, whether it is active in real time and
    /// (unless null) its channels. Null when <paramref name="name"/> is taken by another condition.
    /// </summary>
    public async Task<StoredCondition?> SaveKiwoomConditionAsync(string seq, string name, bool active, IReadOnlyList<string>? channels, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(seq);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var taken = Command(connection, tx, "SELECT count(*) FROM conditions WHERE name = @name AND (kiwoom_seq IS NULL OR kiwoom_seq <> @seq)"))
        {
            taken.Parameters.Add(_dialect.Text("name", name));
            taken.Parameters.Add(_dialect.Text("seq", seq));
            if (Convert.ToInt64(await taken.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return null;
            }
        }

        // The expression records where the condition lives; schedule and interval mean nothing for it (Kiwoom pushes).
        await using var write = Command(connection, tx, $"""
            INSERT INTO conditions (name, expression, market, active, schedule, interval_seconds, channels, created_at, updated_at, origin, kiwoom_seq)
            VALUES (@name, @expression, NULL, @active, 'on-tick', 0, @channels, @now, @now, 'kiwoom', @seq)
            ON CONFLICT (kiwoom_seq) WHERE kiwoom_seq IS NOT NULL DO UPDATE SET name = excluded.name, active = excluded.active,
                channels = CASE WHEN @keep_channels = 1 THEN conditions.channels ELSE excluded.channels END, updated_at = excluded.updated_at
            RETURNING {ConditionColumns}
            """);
        write.Parameters.Add(_dialect.Text("name", name));
        write.Parameters.Add(_dialect.Text("expression", "kiwoom:" + seq));
        write.Parameters.Add(_dialect.Long("active", active ? 1 : 0));
        write.Parameters.Add(_dialect.Text("channels", string.Join(',', channels ?? ["log"])));
        write.Parameters.Add(_dialect.Long("keep_channels", channels is null ? 1 : 0));
        write.Parameters.Add(_dialect.Instant("now", _time.GetUtcNow()));
        write.Parameters.Add(_dialect.Text("seq", seq));
        var saved = (await ReadConditionsAsync(write, ct)).Single();
        await tx.CommitAsync(ct);
        return saved;
    }

    private async Task<List<StoredCondition>> ReadConditionsAsync(DbCommand select, CancellationToken ct)
    {
        var conditions = new List<StoredCondition>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            conditions.Add(new StoredCondition(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                StoreDialect.NullableString(reader, 3) is { } m && Markets.TryParse(m, out var market) ? market : null,
                reader.GetInt64(4) != 0,
                reader.GetString(5),
                (int)reader.GetInt64(6),
                reader.GetString(7).Split(',', StringSplitOptions.RemoveEmptyEntries),
                _dialect.ReadInstant(reader, 8),
                _dialect.ReadInstant(reader, 9),
                _dialect.NullableInstant(reader, 10),
                _dialect.NullableDate(reader, 11),
                reader.GetString(12),
                StoreDialect.NullableString(reader, 13)));
        }

        return conditions;
    }
}
