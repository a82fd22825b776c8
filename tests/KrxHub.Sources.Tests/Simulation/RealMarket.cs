using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Simulation;

/// <summary>
/// The real inputs of the simulator: the bundled stock master and the last raw closes the bundled history stores
/// (2024-02-13, the last session of the raw window), as the hub would read them from its store.
/// </summary>
internal static class RealMarket
{
    public static readonly DateOnly LastStoredSession = new(2024, 2, 13);

    /// <summary>The hub's calendar: the bundled session file, then the holiday rules through 2050.</summary>
    public static KrxCalendar Calendar { get; } = KrxCalendar.Layered(KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv")));

    public static KrxSessionClock Clock { get; } = new(Calendar);

    public static IReadOnlyList<Stock> Master { get; } = MasterFiles.ReadListed(TestPaths.Data("master", "krx-master-2026-04-14.csv")).Records;

    public static IReadOnlyDictionary<StockCode, decimal> LastCloses { get; } = ReadLastCloses();

    /// <summary>Each stock's mean KRX trading value over the raw window's sessions (2024-01-02..02-13), straight from the file.</summary>
    public static IReadOnlyDictionary<StockCode, decimal> AverageTradingValues { get; } = ReadAverageTradingValues();

    public static IReadOnlyDictionary<StockCode, Market> Markets { get; } = Master.ToDictionary(s => s.Code, s => s.Market);

    public static DateTimeOffset Kst(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, KrxCalendar.KstOffset);

    private static Dictionary<StockCode, decimal> ReadAverageTradingValues()
    {
        var file = ImportReader.Open(TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz"), new ImportOptions());
        var sums = new Dictionary<StockCode, (decimal Sum, int Days)>();
        foreach (var row in file.ReadDailyRows())
        {
            if (StockCode.TryParse(row.Code, out var code) &&
                decimal.TryParse(row.TradingValue, NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
            {
                var (sum, days) = sums.GetValueOrDefault(code);
                sums[code] = (sum + value, days + 1);
            }
        }

        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Days);
    }

    private static Dictionary<StockCode, decimal> ReadLastCloses()
    {
        var file = ImportReader.Open(TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz"), new ImportOptions());
        var date = LastStoredSession.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var closes = new Dictionary<StockCode, decimal>();
        foreach (var row in file.ReadDailyRows())
        {
            if (row.Date == date && StockCode.TryParse(row.Code, out var code) &&
                decimal.TryParse(row.Close, NumberStyles.Number, CultureInfo.InvariantCulture, out var close) && close > 0)
            {
                closes[code] = close;
            }
        }

        return closes;
    }
}
