using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Backtesting;

/// <summary>Real bars and the real calendar for backtest tests.</summary>
internal static class BacktestData
{
    private static readonly Lazy<KrxCalendar> LazyCalendar = new(() => KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv")));
    private static readonly Lazy<BarSeries> LazySamsung = new(() => LoadQuantKang("005930"));

    public static KrxCalendar Calendar => LazyCalendar.Value;

    /// <summary>005930 adjusted daily bars 1990-09-11..2023-12-22 (QuantKang, see ../shared/reference/PROVENANCE.md).</summary>
    public static BarSeries Samsung => LazySamsung.Value;

    public static readonly StockCode SamsungCode = StockCode.Parse("005930");

    public static Stock Listed(string code, Market market, DateOnly? listing = null, DateOnly? delisting = null) =>
        new(StockCode.Parse(code), code, market, listing, delisting);

    public static Dictionary<StockCode, Stock> Master(params Stock[] stocks) => stocks.ToDictionary(s => s.Code);

    public static BarSeries LoadQuantKang(string code)
    {
        var lines = File.ReadAllLines(TestPaths.Reference("ohlcv", "quantkang_stock_data", $"{code}_D.csv"));
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        decimal D(string s) => decimal.Parse(s, CultureInfo.InvariantCulture);
        return new BarSeries(
            StockCode.Parse(code),
            PriceBasis.Adjusted,
            [.. rows.Select(r => DateOnly.ParseExact(r[0], "yyyyMMdd", CultureInfo.InvariantCulture))],
            [.. rows.Select(r => D(r[1]))],
            [.. rows.Select(r => D(r[2]))],
            [.. rows.Select(r => D(r[3]))],
            [.. rows.Select(r => D(r[4]))],
            [.. rows.Select(r => long.Parse(r[5], CultureInfo.InvariantCulture))]);
    }

    /// <summary>A series of bars on consecutive calendar sessions from <paramref name="start"/>, one close per session
    /// (open = close unless given), volume 1,000.</summary>
    public static BarSeries Synthetic(string code, DateOnly start, decimal[] closes, PriceBasis basis = PriceBasis.Adjusted, decimal[]? opens = null, long[]? volumes = null)
    {
        var dates = Calendar.Sessions(start, start.AddYears(5)).ToArray().Take(closes.Length).ToArray();
        return new BarSeries(
            StockCode.Parse(code),
            basis,
            dates,
            opens ?? (decimal[])closes.Clone(),
            [.. closes.Select((c, i) => Math.Max(c, opens?[i] ?? c))],
            [.. closes.Select((c, i) => Math.Min(c, opens?[i] ?? c))],
            closes,
            volumes ?? [.. closes.Select(_ => 1_000L)]);
    }

    public static BacktestResult Run(Strategy strategy, BacktestSettings settings, IReadOnlyDictionary<StockCode, Stock> master, params BarSeries[] series) =>
        new BacktestEngine(settings, Calendar, series, master).Run(strategy);
}
