using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>Whole-market reads for condition screening: one query per input, never one per stock.</summary>
public sealed partial class MarketStore
{
    /// <summary>Net buying value of one investor type ("foreign", …) for every stock in [from, to]: stock → date → KRW.</summary>
    public async Task<IReadOnlyDictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>> GetNetBuyingValueAsync(
        string investor, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT code, date, net_value FROM investor_flows
            WHERE investor = @investor AND date BETWEEN @from AND @to AND net_value IS NOT NULL
            ORDER BY code
            """);
        select.Parameters.Add(_dialect.Text("investor", investor));
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var result = new Dictionary<StockCode, IReadOnlyDictionary<DateOnly, decimal>>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        Dictionary<DateOnly, decimal>? dates = null;
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

            dates![_dialect.ReadDate(reader, 1)] = _dialect.ReadDecimal(reader, 2);
        }

        return result;
    }

    /// <summary>The newest date on or before <paramref name="onOrBefore"/> with at least <paramref name="minimumBars"/> bars on <paramref name="basis"/>.</summary>
    public async Task<DateOnly?> GetLatestBroadSessionAsync(PriceBasis basis, DateOnly onOrBefore, int minimumBars, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT date FROM daily_bars WHERE basis = @basis AND date <= @date
            GROUP BY date HAVING count(*) >= @minimum
            ORDER BY date DESC LIMIT 1
            """);
        select.Parameters.Add(_dialect.Text("basis", basis.Name()));
        select.Parameters.Add(_dialect.Date("date", onOrBefore));
        select.Parameters.Add(_dialect.Long("minimum", minimumBars));
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? _dialect.ReadDate(reader, 0) : null;
    }
}
