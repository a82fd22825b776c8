using KrxHub.Core.Indicators;
using Xunit.Abstractions;

namespace KrxHub.Core.Tests.Indicators;

/// <summary>C# against the values make_golden.py computed from the definitions in Python, on 400 real daily bars.</summary>
public class GoldenTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Sma_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        Check(bars.Expected("sma5"), bars.Close.Sma(5), $"{code} sma5");
        Check(bars.Expected("sma20"), bars.Close.Sma(20), $"{code} sma20");
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Ema_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        Check(bars.Expected("ema5"), bars.Close.Ema(5), $"{code} ema5");
        Check(bars.Expected("ema20"), bars.Close.Ema(20), $"{code} ema20");
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Rsi_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        Check(bars.Expected("rsi14"), bars.Close.Rsi(14), $"{code} rsi14");
        Check(bars.Expected("rsi3"), bars.Close.Rsi(3), $"{code} rsi3");
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Macd_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        var macd = bars.Close.Macd(12, 26, 9);
        Check(bars.Expected("macd"), macd.Select(m => m.Macd).ToArray(), $"{code} macd");
        Check(bars.Expected("macd_signal"), macd.Select(m => m.Signal).ToArray(), $"{code} macd signal");
        Check(bars.Expected("macd_hist"), macd.Select(m => m.Histogram).ToArray(), $"{code} macd histogram");
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Bollinger_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        foreach (var (period, k) in new[] { (20, 2m), (10, 1.5m) })
        {
            var bands = bars.Close.Bollinger(period, k);
            Check(bars.Expected($"bb{period}_mid"), bands.Select(b => b.Middle).ToArray(), $"{code} bb{period} middle");
            Check(bars.Expected($"bb{period}_upper"), bands.Select(b => b.Upper).ToArray(), $"{code} bb{period} upper");
            Check(bars.Expected($"bb{period}_lower"), bands.Select(b => b.Lower).ToArray(), $"{code} bb{period} lower");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenSeries.Codes), MemberType = typeof(GoldenSeries))]
    public void Atr_matches_the_independent_python_values_on_real_bars(string code)
    {
        var bars = GoldenSeries.Load(code);
        Check(bars.Expected("atr14"), Indicator.Atr(bars.High, bars.Low, bars.Close, 14), $"{code} atr14");
        Check(bars.Expected("atr5"), Indicator.Atr(bars.High, bars.Low, bars.Close, 5), $"{code} atr5");
    }

    [Fact]
    public void Golden_comparison_rejects_a_wrong_definition()
    {
        // The tolerance must be tight enough to tell definitions apart: the sample standard deviation (N − 1)
        // and an EMA seeded with the first value instead of the SMA both fail it.
        var bars = GoldenSeries.Load("005930");
        var sampleSd = bars.Close.Bollinger(20, 2m * (decimal)Math.Sqrt(20.0 / 19.0));
        Assert.Throws<Xunit.Sdk.TrueException>(() =>
            GoldenSeries.AssertMatches(bars.Expected("bb20_upper"), sampleSd.Select(b => b.Upper).ToArray(), "sample sd"));

        var seededWithFirst = new decimal?[bars.Close.Length];
        var ema = bars.Close[0];
        for (var i = 0; i < bars.Close.Length; i++)
        {
            ema += 2m / 21m * (bars.Close[i] - ema);
            seededWithFirst[i] = i >= 19 ? ema : null;
        }

        Assert.Throws<Xunit.Sdk.TrueException>(() => GoldenSeries.AssertMatches(bars.Expected("ema20"), seededWithFirst, "first-value seed"));
    }

    private void Check(decimal?[] expected, decimal?[] actual, string what)
    {
        var worst = GoldenSeries.AssertMatches(expected, actual, what);
        output.WriteLine($"{what}: largest relative difference {worst:E2}");
    }
}
