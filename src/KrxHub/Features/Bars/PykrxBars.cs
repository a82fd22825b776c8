using System.Globalization;
using System.Text.Json.Serialization;
using KrxHub.Core;

namespace KrxHub.Features.Bars;

/// <summary>
/// A stock's adjusted daily bar as pykrx's <c>get_market_ohlcv(from, to, code)</c> DataFrame writes it with <c>to_csv()</c>:
/// the 날짜 index first, prices as integers, 등락률 = (close − previous close) ÷ previous close × 100 in float64, printed as Python does.
/// </summary>
public sealed record PykrxAdjustedBar(
    [property: JsonPropertyName("날짜")] DateOnly Date,
    [property: JsonPropertyName("시가")] decimal Open,
    [property: JsonPropertyName("고가")] decimal High,
    [property: JsonPropertyName("저가")] decimal Low,
    [property: JsonPropertyName("종가")] decimal Close,
    [property: JsonPropertyName("거래량")] long Volume,
    [property: JsonPropertyName("등락률")] string ChangePct);

/// <summary>A raw daily bar as pykrx's <c>get_market_ohlcv(from, to, code, adjusted=False)</c> (KRX) writes it: with 거래대금, 등락률 to 2 places.</summary>
public sealed record PykrxRawBar(
    [property: JsonPropertyName("날짜")] DateOnly Date,
    [property: JsonPropertyName("시가")] decimal Open,
    [property: JsonPropertyName("고가")] decimal High,
    [property: JsonPropertyName("저가")] decimal Low,
    [property: JsonPropertyName("종가")] decimal Close,
    [property: JsonPropertyName("거래량")] long Volume,
    [property: JsonPropertyName("거래대금")] decimal? TradingValue,
    [property: JsonPropertyName("등락률")] string ChangePct);

/// <summary>One stock of a session as pykrx's <c>get_market_ohlcv(date)</c> (KRX, by ticker) writes it: the 티커 index first.</summary>
public sealed record PykrxTickerBar(
    [property: JsonPropertyName("티커")] string Code,
    [property: JsonPropertyName("시가")] decimal Open,
    [property: JsonPropertyName("고가")] decimal High,
    [property: JsonPropertyName("저가")] decimal Low,
    [property: JsonPropertyName("종가")] decimal Close,
    [property: JsonPropertyName("거래량")] long Volume,
    [property: JsonPropertyName("거래대금")] decimal? TradingValue,
    [property: JsonPropertyName("등락률")] string ChangePct);

public static class PykrxBars
{
    /// <summary><paramref name="previousClose"/>: the close of the bar before the first one; without it the first 등락률 is 0.0.</summary>
    public static IEnumerable<PykrxAdjustedBar> AdjustedRows(IReadOnlyList<DailyBar> bars, decimal? previousClose)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var previous = previousClose;
        foreach (var b in bars)
        {
            yield return new PykrxAdjustedBar(b.Date, Whole(b.Open), Whole(b.High), Whole(b.Low), Whole(b.Close), b.Volume, PandasRate(b.Close, previous));
            previous = b.Close;
        }
    }

    /// <summary>등락률 against the KRX base price when the bar carries one (as KRX's FLUC_RT), else against the previous close.</summary>
    public static IEnumerable<PykrxRawBar> RawRows(IReadOnlyList<DailyBar> bars, decimal? previousClose)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var previous = previousClose;
        foreach (var b in bars)
        {
            var reference = b.BasePrice is { } bp and > 0 ? bp : previous;
            yield return new PykrxRawBar(b.Date, Whole(b.Open), Whole(b.High), Whole(b.Low), Whole(b.Close), b.Volume,
                Whole(b.TradingValue), KrxRate(b.Close, reference));
            previous = b.Close;
        }
    }

    public static PykrxTickerBar TickerRow(DailyBar b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return new PykrxTickerBar(b.Code.Value, Whole(b.Open), Whole(b.High), Whole(b.Low), Whole(b.Close), b.Volume,
            Whole(b.TradingValue), b.BasePrice is { } bp and > 0 ? KrxRate(b.Close, bp) : string.Empty);
    }

    /// <summary>pandas' float64 arithmetic, in its order: (close − previous) / previous * 100.</summary>
    private static string PandasRate(decimal close, decimal? previous) =>
        previous is { } p && p != 0m ? PythonFloat(((double)close - (double)p) / (double)p * 100) : "0.0";

    private static string KrxRate(decimal close, decimal? reference) =>
        reference is { } r && r != 0m ? PythonFloat((double)Math.Round((close - r) / r * 100m, 2, MidpointRounding.AwayFromZero)) : "0.0";

    /// <summary>Python's repr of a float: the shortest round-trip digits (as .NET's), with ".0" on whole numbers and a lower-case exponent.</summary>
    internal static string PythonFloat(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E', StringComparison.Ordinal))
        {
            return text.Replace("E", "e", StringComparison.Ordinal);
        }

        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }

    /// <summary>pykrx's prices and volumes are integers: 71200.00 is written 71200 (a fraction, where there is one, is kept).</summary>
    private static decimal Whole(decimal value) => value / 1.000000000000000000000000000m;

    private static decimal? Whole(decimal? value) => value is { } v ? Whole(v) : null;
}
