using System.Globalization;
using KrxHub.Core.Indicators;

namespace KrxHub.Core.Tests.Indicators;

/// <summary>Batch and streaming forms give the identical decimal (==, not within a tolerance) at every index.</summary>
public class StreamingAgreementTests
{
    // Periods from the degenerate 1 up to longer than the 400-bar series (all warm-up).
    private static readonly int[] Periods = [1, 2, 5, 14, 20, 200, 399, 400, 401];

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Sma_batch_and_streaming_agree_on_real_bars(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        foreach (var period in Periods)
        {
            var batch = close.Sma(period);
            var stream = new SmaStream(period);
            for (var i = 0; i < close.Length; i++)
            {
                AssertSame(batch[i], stream.Add(close[i]), $"sma{period}[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Ema_batch_and_streaming_agree_on_real_bars(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        foreach (var period in Periods)
        {
            var batch = close.Ema(period);
            var stream = new EmaStream(period);
            for (var i = 0; i < close.Length; i++)
            {
                AssertSame(batch[i], stream.Add(close[i]), $"ema{period}[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Rsi_batch_and_streaming_agree_on_real_bars(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        foreach (var period in Periods)
        {
            var batch = close.Rsi(period);
            var stream = new RsiStream(period);
            for (var i = 0; i < close.Length; i++)
            {
                AssertSame(batch[i], stream.Add(close[i]), $"rsi{period}[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Macd_batch_and_streaming_agree_on_real_bars(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        foreach (var (fast, slow, signal) in new[] { (12, 26, 9), (1, 2, 1), (5, 35, 5), (50, 200, 150), (12, 390, 20) })
        {
            var batch = close.Macd(fast, slow, signal);
            var stream = new MacdStream(fast, slow, signal);
            for (var i = 0; i < close.Length; i++)
            {
                var streamed = stream.Add(close[i]);
                var what = $"macd({fast},{slow},{signal})[{i}]";
                AssertSame(batch[i].Macd, streamed.Macd, what + ".Macd");
                AssertSame(batch[i].Signal, streamed.Signal, what + ".Signal");
                AssertSame(batch[i].Histogram, streamed.Histogram, what + ".Histogram");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Bollinger_batch_and_streaming_agree_on_real_bars(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        foreach (var period in Periods)
        {
            foreach (var k in new[] { 2m, 1.5m, 0.1m })
            {
                var batch = close.Bollinger(period, k);
                var stream = new BollingerStream(period, k);
                for (var i = 0; i < close.Length; i++)
                {
                    var streamed = stream.Add(close[i]);
                    var what = $"bb({period},{k})[{i}]";
                    AssertSame(batch[i].Middle, streamed.Middle, what + ".Middle");
                    AssertSame(batch[i].Upper, streamed.Upper, what + ".Upper");
                    AssertSame(batch[i].Lower, streamed.Lower, what + ".Lower");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Atr_batch_and_streaming_agree_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        foreach (var period in Periods)
        {
            var batch = Indicator.Atr(bars.High, bars.Low, bars.Close, period);
            var stream = new AtrStream(period);
            for (var i = 0; i < bars.Close.Length; i++)
            {
                AssertSame(batch[i], stream.Add(bars.High[i], bars.Low[i], bars.Close[i]), $"atr{period}[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void The_bollinger_middle_band_is_exactly_the_sma(string code)
    {
        var close = GoldenSeries.Load(code).Close;
        var sma = close.Sma(20);
        var bands = close.Bollinger(20, 2m);
        for (var i = 0; i < close.Length; i++)
        {
            AssertSame(sma[i], bands[i].Middle, $"[{i}]");
        }
    }

    [Fact]
    public void Batch_and_streaming_agree_on_prices_with_many_decimal_places()
    {
        // Quotients with 28 decimal places: running sums of them round, and subtract-then-add would give another
        // SMA than add-then-subtract at 98 of these indices. The forms agree because both round in the same order.
        var values = Enumerable.Range(0, 300)
            .Select(i => (decimal)(i * i % 97 + 1) / (i % 13 + 3))
            .ToArray();
        var sma = values.Sma(20);
        var bands = values.Bollinger(20, 2m);
        var rsi = values.Rsi(14);
        var smaStream = new SmaStream(20);
        var bandStream = new BollingerStream(20, 2m);
        var rsiStream = new RsiStream(14);
        for (var i = 0; i < values.Length; i++)
        {
            AssertSame(sma[i], smaStream.Add(values[i]), $"sma[{i}]");
            var streamed = bandStream.Add(values[i]);
            AssertSame(bands[i].Upper, streamed.Upper, $"bb upper[{i}]");
            AssertSame(bands[i].Lower, streamed.Lower, $"bb lower[{i}]");
            AssertSame(rsi[i], rsiStream.Add(values[i]), $"rsi[{i}]");
        }

        Assert.NotNull(sma[^1]);
    }

    private static void AssertSame(decimal? batch, decimal? streamed, string what) =>
        Assert.True(batch == streamed, $"{what}: batch {batch?.ToString(CultureInfo.InvariantCulture) ?? "null"} != stream {streamed?.ToString(CultureInfo.InvariantCulture) ?? "null"}");
}
