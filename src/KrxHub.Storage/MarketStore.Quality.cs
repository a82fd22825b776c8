using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Storage;

/// <summary>The quarantine (rows that failed validation, never lost) and the per-day quality counts.</summary>
public sealed partial class MarketStore
{
    /// <summary>Stores rejected rows; a row already quarantined from the same dataset and source (same payload) is kept once.</summary>
    public Task QuarantineAsync(IReadOnlyList<QuarantineEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return entries.Count == 0 ? Task.CompletedTask : _dialect.QuarantineAsync(entries, ct);
    }

    /// <summary>Quarantined rows, newest first, optionally of one date and one reason.</summary>
    public async Task<IReadOnlyList<QuarantineEntry>> GetQuarantineAsync(DateOnly? date, string? reason, int limit, int offset, CancellationToken ct)
    {
        StoredValues.CheckPage(limit, offset);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, string.Empty);
        var where = new List<string>();
        if (date is { } d)
        {
            where.Add("date = @date");
            select.Parameters.Add(_dialect.Date("date", d));
        }

        if (!string.IsNullOrWhiteSpace(reason))
        {
            where.Add(_dialect.Position("',' || reasons || ','", "',' || @reason || ','") + " > 0");
            select.Parameters.Add(_dialect.Text("reason", reason.Trim()));
        }

        select.CommandText = $"""
            SELECT id, run_id, dataset, source, code, date, reasons, payload, line, quarantined_at
            FROM quarantine {Where(where)}
            ORDER BY quarantined_at DESC, id DESC
            LIMIT @limit OFFSET @offset
            """;
        select.Parameters.Add(Int("limit", limit));
        select.Parameters.Add(Int("offset", offset));
        var entries = new List<QuarantineEntry>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new QuarantineEntry(
                reader.GetInt64(1),
                reader.GetString(2),
                reader.GetString(3),
                StoreDialect.NullableString(reader, 4),
                _dialect.NullableDate(reader, 5),
                StoredValues.SplitReasons(reader.GetString(6)),
                reader.GetString(7),
                reader.GetInt64(8),
                _dialect.ReadInstant(reader, 9))
            {
                Id = reader.GetInt64(0),
            });
        }

        return entries;
    }

    /// <summary>Bars, no-trade bars, quarantined rows by reason and listed stocks without a bar on one day, from one snapshot.</summary>
    public async Task<DayQuality> GetDayQualityAsync(DateOnly date, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await _dialect.BeginReadAsync(connection, ct);
        await using var counts = Command(connection, tx, """
            SELECT
                (SELECT count(*) FROM daily_bars WHERE date = @date AND basis = 'raw'),
                (SELECT count(*) FROM daily_bars WHERE date = @date AND basis = 'adjusted'),
                (SELECT count(*) FROM daily_bars WHERE date = @date AND no_trade),
                (SELECT count(*) FROM daily_bars WHERE date = @date AND repaired_from IS NOT NULL),
                (SELECT count(*) FROM stocks s
                 WHERE (s.listing_date IS NULL OR s.listing_date <= @date)
                   AND (s.delisting_date IS NULL OR s.delisting_date > @date)),
                (SELECT count(*) FROM stocks s
                 WHERE (s.listing_date IS NULL OR s.listing_date <= @date)
                   AND (s.delisting_date IS NULL OR s.delisting_date > @date)
                   AND NOT EXISTS (SELECT 1 FROM daily_bars b WHERE b.code = s.code AND b.date = @date))
            """);
        counts.Parameters.Add(_dialect.Date("date", date));
        long raw, adjusted, noTrade, repaired, listed, listedWithoutBar;
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (raw, adjusted, noTrade, repaired, listed, listedWithoutBar) =
                (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }

        await using var reasons = Command(connection, tx, "SELECT reasons, count(*) FROM quarantine WHERE date = @date GROUP BY reasons");
        reasons.Parameters.Add(_dialect.Date("date", date));
        var groups = new List<(string, long)>();
        await using (var reader = await reasons.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                groups.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        await tx.CommitAsync(ct);
        return new DayQuality(date, raw, adjusted, noTrade, StoredValues.CountByReason(groups), listed, listedWithoutBar) { RepairedBars = repaired };
    }

    /// <summary>For each stock with any bar (either basis) in [from, to], its distinct dates there, ascending.</summary>
    public async Task<IReadOnlyDictionary<StockCode, List<DateOnly>>> GetBarDatesByStockAsync(DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT DISTINCT code, date FROM daily_bars WHERE date BETWEEN @from AND @to ORDER BY code, date");
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var result = new Dictionary<StockCode, List<DateOnly>>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        List<DateOnly>? dates = null;
        string? current = null;
        while (await reader.ReadAsync(ct))
        {
            var code = reader.GetString(0);
            if (code != current)
            {
                current = code;
                dates = [];
                result[StockCode.Parse(code)] = dates;
            }

            dates!.Add(_dialect.ReadDate(reader, 1));
        }

        return result;
    }
}
