using KrxHub.Core.Indicators;

namespace KrxHub.Core.Tests.Indicators;

public class GuardClauseTests
{
    private static readonly decimal[] Values = [1, 2, 3];

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void A_period_below_one_is_out_of_range_for_every_indicator(int period)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Sma(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmaStream(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Ema(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EmaStream(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Rsi(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RsiStream(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Bollinger(period, 2m));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BollingerStream(period, 2m));
        Assert.Throws<ArgumentOutOfRangeException>(() => Indicator.Atr(Values, Values, Values, period));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AtrStream(period));
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Macd(period, 26, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacdStream(period, 26, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Macd(12, 26, period));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacdStream(12, 26, period));
    }

    [Theory]
    [InlineData(12, 12)]
    [InlineData(26, 12)]
    public void Macd_needs_the_slow_period_longer_than_the_fast(int fast, int slow)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Macd(fast, slow, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacdStream(fast, slow, 9));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Bollinger_needs_a_positive_width(int k)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Values.Bollinger(20, k));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BollingerStream(20, k));
    }

    [Fact]
    public void Atr_rejects_high_low_and_close_of_different_lengths()
    {
        decimal[] two = [1, 2];
        Assert.Throws<ArgumentException>(() => Indicator.Atr(Values, two, Values));
        Assert.Throws<ArgumentException>(() => Indicator.Atr(two, Values, Values));
        Assert.Throws<ArgumentException>(() => Indicator.Atr(Values, Values, two));
    }

    [Fact]
    public void Null_input_is_rejected()
    {
        IReadOnlyList<decimal> none = null!;
        Assert.Throws<ArgumentNullException>(() => none.Sma(3));
        Assert.Throws<ArgumentNullException>(() => none.Ema(3));
        Assert.Throws<ArgumentNullException>(() => none.Rsi());
        Assert.Throws<ArgumentNullException>(() => none.Macd());
        Assert.Throws<ArgumentNullException>(() => none.Bollinger());
        Assert.Throws<ArgumentNullException>(() => Indicator.Atr(none, Values, Values));
    }
}
