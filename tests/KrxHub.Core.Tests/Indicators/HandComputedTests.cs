using KrxHub.Core.Indicators;

namespace KrxHub.Core.Tests.Indicators;

/// <summary>Small series whose values can be worked out on paper.</summary>
public class HandComputedTests
{
    private static readonly decimal[] OneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Fact]
    public void Sma_of_one_to_ten_is_the_middle_of_each_window()
    {
        Assert.Equal([null, null, 2m, 3m, 4m, 5m, 6m, 7m, 8m, 9m], OneToTen.Sma(3));
        Assert.Equal([null, null, null, 2.5m, 3.5m, 4.5m, 5.5m, 6.5m, 7.5m, 8.5m], OneToTen.Sma(4));
        Assert.Equal([null, null, null, null, null, null, null, null, null, 5.5m], OneToTen.Sma(10));
        Assert.Equal(OneToTen.Select(v => (decimal?)v), OneToTen.Sma(1));
    }

    [Fact]
    public void Ema_is_seeded_with_the_sma_and_then_moves_by_k()
    {
        // period 3: k = 2/4 = 0.5 exactly; seed = (2 + 4 + 6)/3 = 4; then 4 + 0.5·(10 − 4) = 7; 7 + 0.5·(1 − 7) = 4.
        Assert.Equal([null, null, 4m, 7m, 4m], new decimal[] { 2, 4, 6, 10, 1 }.Ema(3));
        Assert.Equal([null, null, 2m, 3m, 4m], new decimal[] { 1, 2, 3, 4, 5 }.Ema(3));
        Assert.All(Enumerable.Repeat(70_000m, 50).ToArray().Ema(20).Skip(19), v => Assert.Equal(70_000m, v));
    }

    [Fact]
    public void Rsi_of_a_strictly_rising_series_is_100_of_a_falling_one_0_and_of_a_flat_one_50()
    {
        var rising = Enumerable.Range(1, 40).Select(i => (decimal)i).ToArray();
        var falling = rising.Reverse().ToArray();
        var flat = Enumerable.Repeat(5m, 40).ToArray();

        Assert.All(rising.Rsi(14).Skip(14), v => Assert.Equal(100m, v));
        Assert.All(falling.Rsi(14).Skip(14), v => Assert.Equal(0m, v));
        Assert.All(flat.Rsi(14).Skip(14), v => Assert.Equal(50m, v));
        Assert.All(rising.Rsi(14).Take(14), v => Assert.Null(v));
    }

    [Fact]
    public void Rsi_uses_wilder_smoothing_after_the_simple_mean()
    {
        // period 2, changes +1, −1, +2. At index 2: gain (1 + 0)/2 = 0.5, loss (0 + 1)/2 = 0.5 → RS 1 → 50.
        // At index 3: gain (0.5·1 + 2)/2 = 1.25, loss (0.5·1 + 0)/2 = 0.25 → RS 5 → 100 − 100/6 = 83.33….
        var rsi = new decimal[] { 10, 11, 10, 12 }.Rsi(2);
        Assert.Null(rsi[0]);
        Assert.Null(rsi[1]);
        Assert.Equal(50m, rsi[2]);
        Assert.Equal(83.33333333333333333333m, Math.Round(rsi[3]!.Value, 20));
    }

    [Fact]
    public void Macd_line_signal_and_histogram_warm_up_in_turn()
    {
        // fast 1 (the value itself), slow 3 (k = 0.5): EMA3 of 1..5 is 2, 3, 4 from index 2, so macd = 1, 1, 1.
        // The signal (period 2) is the SMA of the first two macd values at index 3, then stays 1; histogram 0.
        var macd = new decimal[] { 1, 2, 3, 4, 5 }.Macd(1, 3, 2);
        Assert.Equal(
            [default, default, new MacdValue(1m, null, null), new MacdValue(1m, 1m, 0m), new MacdValue(1m, 1m, 0m)],
            macd);
    }

    [Fact]
    public void Bollinger_uses_the_population_standard_deviation()
    {
        // Mean 5, squared deviations sum to 32, population variance 32/8 = 4, sd 2 (the sample sd would be 2.138…).
        var bands = new decimal[] { 2, 4, 4, 4, 5, 5, 7, 9 }.Bollinger(8, 2m);
        Assert.All(bands.Take(7), b => Assert.Equal(default, b));
        Assert.Equal(new BollingerValue(5m, 9m, 1m), bands[7]);
    }

    [Fact]
    public void Bollinger_square_root_is_accurate_to_decimal_precision()
    {
        // Mean 2.5, variance 1.25, sd = √5/2 = 1.1180339887498948482045868343656…; upper = 2.5 + sd.
        var bands = new decimal[] { 1, 2, 3, 4 }.Bollinger(4, 1m);
        Assert.Equal(3.6180339887498948482045868m, Math.Round(bands[3].Upper!.Value, 25));
        Assert.Equal(1.3819660112501051517954132m, Math.Round(bands[3].Lower!.Value, 25));
    }

    [Fact]
    public void Bollinger_bands_collapse_on_a_flat_window()
    {
        Assert.All(Enumerable.Repeat(66_500m, 30).ToArray().Bollinger(20, 2m).Skip(19),
            b => Assert.Equal(new BollingerValue(66_500m, 66_500m, 66_500m), b));
        Assert.Equal(new BollingerValue(7m, 7m, 7m), new decimal[] { 3, 7 }.Bollinger(1, 2m)[1]);
    }

    [Fact]
    public void Atr_starts_with_the_mean_true_range_and_counts_gaps_from_the_previous_close()
    {
        decimal[] high = [10, 11, 12, 11, 20];
        decimal[] low = [8, 9, 10, 7, 19];
        decimal[] close = [9, 10, 11, 8, 19.5m];
        // TR1 = max(2, |11 − 9|, |9 − 9|) = 2; TR2 = 2 → ATR at index 2 = 2.
        // TR3 = max(4, |11 − 11|, |7 − 11|) = 4 → (2·1 + 4)/2 = 3.
        // TR4 = max(1, |20 − 8|, |19 − 8|) = 12 (the gap up) → (3 + 12)/2 = 7.5.
        Assert.Equal([null, null, 2m, 3m, 7.5m], Indicator.Atr(high, low, close, 2));

        var stream = new AtrStream(2);
        Assert.Equal([null, null, 2m, 3m, 7.5m], high.Select((h, i) => stream.Add(h, low[i], close[i])));
    }

    [Fact]
    public void Warm_up_on_real_bars_ends_where_the_definitions_say()
    {
        var bars = GoldenSeries.Load("005930");
        var close = bars.Close;
        Assert.Equal(19, FirstDefined(close.Sma(20)));
        Assert.Equal(19, FirstDefined(close.Ema(20)));
        Assert.Equal(14, FirstDefined(close.Rsi(14)));
        Assert.Equal(14, FirstDefined(Indicator.Atr(bars.High, bars.Low, bars.Close, 14)));
        Assert.Equal(19, FirstDefined(close.Bollinger(20, 2m).Select(b => b.Upper).ToArray()));
        var macd = close.Macd(12, 26, 9);
        Assert.Equal(25, FirstDefined(macd.Select(m => m.Macd).ToArray()));
        Assert.Equal(33, FirstDefined(macd.Select(m => m.Signal).ToArray()));
        Assert.Equal(33, FirstDefined(macd.Select(m => m.Histogram).ToArray()));
        // And nothing is null after it.
        Assert.All(macd.Skip(33), m => Assert.NotNull(m.Histogram));
    }

    [Fact]
    public void Series_shorter_than_the_warm_up_are_all_null_and_empty_input_gives_empty_output()
    {
        decimal[] two = [1, 2];
        Assert.Equal([null, null], two.Sma(3));
        Assert.Equal([null, null], two.Ema(3));
        Assert.Equal([null, null], two.Rsi(2));
        Assert.Equal([null, null], Indicator.Atr(two, two, two, 2));
        Assert.Equal([default, default], two.Bollinger(3, 2m));
        Assert.Equal([default, default], two.Macd(1, 3, 1));

        decimal[] none = [];
        Assert.Empty(none.Sma(3));
        Assert.Empty(none.Ema(3));
        Assert.Empty(none.Rsi());
        Assert.Empty(Indicator.Atr(none, none, none));
        Assert.Empty(none.Bollinger());
        Assert.Empty(none.Macd());
    }

    private static int FirstDefined(decimal?[] values) => Array.FindIndex(values, v => v is not null);
}
