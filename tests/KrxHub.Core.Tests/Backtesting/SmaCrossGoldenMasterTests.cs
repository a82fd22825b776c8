using System.Globalization;
using System.Text.Json;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Backtesting.Strategies;
using KrxHub.Testing;

namespace KrxHub.Core.Tests.Backtesting;

/// <summary>
/// Regression in the style of LEAN's regression algorithms: sma-cross on real 005930 bars (2015-01-02..2023-12-22)
/// against figures computed by golden/make_golden.py, a separate Python implementation written from the rules only.
/// </summary>
public sealed class SmaCrossGoldenMasterTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(
        TestPaths.RepoRoot, "tests", "KrxHub.Core.Tests", "Backtesting", "golden", "sma_cross_005930.json"))).RootElement;

    public static TheoryData<string> Variants() => new(Golden.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Variants))]
    public void Sma_cross_on_005930_matches_the_independent_computation(string variant)
    {
        var expected = Golden.GetProperty("variants").EnumerateArray().Single(v => v.GetProperty("name").GetString() == variant);
        var p = expected.GetProperty("params");
        var sellTax = p.GetProperty("sellTax").GetString() == "dated-kospi" ? (decimal?)null : Dec(p.GetProperty("sellTax"));
        var settings = new BacktestSettings(
            Date(p.GetProperty("from")),
            Date(p.GetProperty("to")),
            Dec(p.GetProperty("initialCash")),
            p.GetProperty("fill").GetString() == "close" ? FillModel.Close : FillModel.NextOpen,
            Dec(p.GetProperty("commission")),
            sellTax);
        var strategy = new SmaCross(BacktestData.SamsungCode, p.GetProperty("fast").GetInt32(), p.GetProperty("slow").GetInt32());

        var result = BacktestData.Run(strategy, settings, BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), BacktestData.Samsung);

        var trades = expected.GetProperty("trades").EnumerateArray().ToArray();
        Assert.Equal(trades.Length, result.Trades.Count);
        for (var i = 0; i < trades.Length; i++)
        {
            var want = trades[i];
            var got = result.Trades[i];
            var where = $"trade {i} on {got.Date:yyyy-MM-dd}";
            Assert.True(Date(want.GetProperty("date")) == got.Date, where);
            Assert.True(want.GetProperty("side").GetString() == (got.Side == TradeSide.Buy ? "buy" : "sell"), where);
            Assert.True(Dec(want.GetProperty("price")) == got.Price, where);
            Assert.True(want.GetProperty("quantity").GetInt64() == got.Quantity, where);
            Assert.True(Dec(want.GetProperty("commission")) == got.Commission, where);
            Assert.True(Dec(want.GetProperty("tax")) == got.Tax, where);
        }

        var m = expected.GetProperty("metrics");
        Assert.Equal(Dec(m.GetProperty("finalEquity")), result.Metrics.FinalEquity);
        Assert.Equal(m.GetProperty("trades").GetInt32(), result.Metrics.Trades);
        Assert.Equal(m.GetProperty("roundTrips").GetInt32(), result.Metrics.RoundTrips);
        Assert.Equal(m.GetProperty("curvePoints").GetInt32(), result.Equity.Count);
        Close(m, "totalReturn", result.Metrics.TotalReturn);
        Close(m, "cagr", result.Metrics.Cagr);
        Close(m, "volatility", result.Metrics.Volatility);
        Close(m, "sharpe", result.Metrics.Sharpe);
        Close(m, "sortino", result.Metrics.Sortino);
        Close(m, "maxDrawdown", result.Metrics.MaxDrawdown);
        Close(m, "winRate", result.Metrics.WinRate);
        Close(m, "turnover", result.Metrics.Turnover);
        Close(m, "exposure", result.Metrics.Exposure);
        Assert.Equal(Date(m.GetProperty("maxDrawdownPeakDate")), result.Metrics.MaxDrawdownPeak);
        Assert.Equal(Date(m.GetProperty("maxDrawdownTroughDate")), result.Metrics.MaxDrawdownTrough);

        var last = expected.GetProperty("equityLast5").EnumerateArray().ToArray();
        var curveTail = result.Equity.TakeLast(last.Length).ToArray();
        for (var i = 0; i < last.Length; i++)
        {
            Assert.Equal(Date(last[i].GetProperty("date")), curveTail[i].Date);
            Assert.Equal(Dec(last[i].GetProperty("equity")), curveTail[i].Equity);
            Assert.Equal(Dec(last[i].GetProperty("cash")), curveTail[i].Cash);
        }

        Assert.Empty(result.Rejected);
    }

    [Fact]
    public void The_golden_figures_pin_a_known_trade_count_and_final_equity()
    {
        // Fixed expectations, LEAN-style: if the engine or the Python reference drifts, this fails loudly.
        var settings = new BacktestSettings(new DateOnly(2015, 1, 2), new DateOnly(2023, 12, 22), 100_000_000m);
        var result = BacktestData.Run(new SmaCross(BacktestData.SamsungCode, 5, 20), settings,
            BacktestData.Master(BacktestData.Listed("005930", Market.Kospi)), BacktestData.Samsung);

        Assert.Equal(155, result.Metrics.Trades);
        Assert.Equal(77, result.Metrics.RoundTrips);
        Assert.Equal(115_565_675.80000m, result.Metrics.FinalEquity);
        Assert.Equal(new DateOnly(2021, 1, 11), result.Metrics.MaxDrawdownPeak);
        Assert.Equal(new DateOnly(2022, 7, 14), result.Metrics.MaxDrawdownTrough);
    }

    private static void Close(JsonElement metrics, string name, double? actual)
    {
        var expected = metrics.GetProperty(name).GetDouble();
        Assert.True(actual is { } a && Math.Abs(a - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{name}: expected {expected}, got {actual}");
    }

    private static decimal Dec(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDecimal() : decimal.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    private static DateOnly Date(JsonElement e) => DateOnly.ParseExact(e.GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
