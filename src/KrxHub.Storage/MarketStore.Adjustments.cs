using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>Corporate-action events found in the raw bars, and the raw closes and base prices they come from.</summary>
public sealed partial class MarketStore
{
    /// <summary>
    /// Rebuilds the stored events of <paramref name="codes"/> from their whole raw history, in one transaction. Called after
    /// every promotion of raw bars: a new bar can reveal an event, and a corrected one can take one back.
    /// </summary>
    public async Task<int> RefreshAdjustmentEventsAsync(IReadOnlyCollection<StockCode> codes, KrxCalendar calendar, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(calendar);
        if (codes.Count == 0)
        {
            return 0;
        }

        var found = 0;
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var select = Command(connection, tx, "SELECT date, close, base_price, source FROM daily_bars WHERE code = @code AND basis = 'raw' ORDER BY date");
        var selectCode = _dialect.Text("code", null);
        select.Parameters.Add(selectCode);
        await using var delete = Command(connection, tx, "DELETE FROM adjustment_events WHERE code = @code");
        var deleteCode = _dialect.Text("code", null);
        delete.Parameters.Add(deleteCode);
        foreach (var code in codes)
        {
            ct.ThrowIfCancellationRequested();
            selectCode.Value = code.Value;
            var series = await ReadRawClosesAsync(select, ct);
            deleteCode.Value = code.Value;
            await delete.ExecuteNonQueryAsync(ct);
            foreach (var e in PriceAdjustment.DetectEvents(code, series, calendar))
            {
                await using var insert = Command(connection, tx, """
                    INSERT INTO adjustment_events (code, date, previous_date, previous_close, base_price, source)
                    VALUES (@code, @date, @previous_date, @previous_close, @base_price, @source)
                    """);
                insert.Parameters.Add(_dialect.Text("code", e.Code.Value));
                insert.Parameters.Add(_dialect.Date("date", e.Date));
                insert.Parameters.Add(_dialect.Date("previous_date", e.PreviousDate));
                insert.Parameters.Add(_dialect.Decimal("previous_close", e.PreviousClose));
                insert.Parameters.Add(_dialect.Decimal("base_price", e.BasePrice));
                insert.Parameters.Add(_dialect.Text("source", e.Source));
                await insert.ExecuteNonQueryAsync(ct);
                found++;
            }
        }

        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>The stored events of one stock (all of them when <paramref name="code"/> is null), ordered by code and date.</summary>
    public async Task<IReadOnlyList<AdjustmentEvent>> GetAdjustmentEventsAsync(StockCode? code, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT code, date, previous_date, previous_close, base_price, source FROM adjustment_events
            {(code is null ? string.Empty : "WHERE code = @code")}
            ORDER BY code, date
            """);
        if (code is { } c)
        {
            select.Parameters.Add(_dialect.Text("code", c.Value));
        }

        var events = new List<AdjustmentEvent>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new AdjustmentEvent(StockCode.Parse(reader.GetString(0)), _dialect.ReadDate(reader, 1), _dialect.ReadDate(reader, 2),
                _dialect.ReadDecimal(reader, 3), _dialect.ReadDecimal(reader, 4), reader.GetString(5)));
        }

        return events;
    }

    /// <summary>One stock's raw closes and base prices from <paramref name="from"/> to its newest raw bar: what factor coverage is judged on.</summary>
    public async Task<IReadOnlyList<RawClose>> GetRawClosesFromAsync(StockCode code, DateOnly from, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null,
            "SELECT date, close, base_price, source FROM daily_bars WHERE code = @code AND basis = 'raw' AND date >= @from ORDER BY date");
        select.Parameters.Add(_dialect.Text("code", code.Value));
        select.Parameters.Add(_dialect.Date("from", from));
        return await ReadRawClosesAsync(select, ct);
    }

    private async Task<List<RawClose>> ReadRawClosesAsync(System.Data.Common.DbCommand select, CancellationToken ct)
    {
        var series = new List<RawClose>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            series.Add(new RawClose(_dialect.ReadDate(reader, 0), _dialect.ReadDecimal(reader, 1), _dialect.NullableDecimal(reader, 2), reader.GetString(3)));
        }

        return series;
    }
}
