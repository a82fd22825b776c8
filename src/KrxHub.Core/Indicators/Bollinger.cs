namespace KrxHub.Core.Indicators;

/// <summary>One Bollinger Bands point; all parts are null during warm-up.</summary>
public readonly record struct BollingerValue(decimal? Middle, decimal? Upper, decimal? Lower);

public static partial class Indicator
{
    /// <summary>
    /// Bollinger Bands: middle = SMA(period); sd = the POPULATION standard deviation of the window (divided
    /// by N = period); upper/lower = middle ± k·sd. Defined from index period − 1.
    /// </summary>
    /// <remarks>
    /// The window is kept as running sums Σx and Σx² (added, then the leaving value subtracted, as in
    /// <see cref="Sma"/>, so the middle band equals <see cref="Sma"/> exactly). The variance is
    /// (N·Σx² − (Σx)²) / N², whose numerator is exact for prices; it is clamped at 0 in case running sums of
    /// inputs with very many digits ever round below it. sd = <see cref="DecimalMath.Sqrt"/>, a deterministic
    /// decimal Newton root, so the result is decimal throughout. N·Σx² must fit in decimal (prices below
    /// about 10¹² for period 20), otherwise <see cref="OverflowException"/>.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1 or <paramref name="k"/> ≤ 0.</exception>
    public static BollingerValue[] Bollinger(this IReadOnlyList<decimal> values, int period = 20, decimal k = 2m)
    {
        ArgumentNullException.ThrowIfNull(values);
        BollingerStream.Check(period, k);

        var result = new BollingerValue[values.Count];
        var sum = 0m;
        var sumOfSquares = 0m;
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            sum += value;
            sumOfSquares += value * value;
            if (i >= period)
            {
                var leaving = values[i - period];
                sum -= leaving;
                sumOfSquares -= leaving * leaving;
            }

            if (i >= period - 1)
            {
                result[i] = BollingerOf(sum, sumOfSquares, period, k);
            }
        }

        return result;
    }

    internal static BollingerValue BollingerOf(decimal sum, decimal sumOfSquares, int period, decimal k)
    {
        var middle = sum / period;
        var numerator = Math.Max(0m, period * sumOfSquares - sum * sum);
        var sd = DecimalMath.Sqrt(numerator / ((decimal)period * period));
        return new BollingerValue(middle, middle + k * sd, middle - k * sd);
    }
}

/// <summary>Streaming <see cref="Indicator.Bollinger"/>: a ring buffer with running Σx and Σx².</summary>
public sealed class BollingerStream
{
    private readonly decimal[] window;
    private readonly decimal k;
    private int count;
    private int next;
    private decimal sum;
    private decimal sumOfSquares;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1 or <paramref name="k"/> ≤ 0.</exception>
    public BollingerStream(int period = 20, decimal k = 2m)
    {
        Check(period, k);
        window = new decimal[period];
        this.k = k;
    }

    public int Period => window.Length;

    /// <summary>Adds the next value; returns the bands, all null until <see cref="Period"/> values have been added.</summary>
    public BollingerValue Add(decimal value)
    {
        sum += value;
        sumOfSquares += value * value;
        if (count == window.Length)
        {
            var leaving = window[next];
            sum -= leaving;
            sumOfSquares -= leaving * leaving;
        }
        else
        {
            count++;
        }

        window[next] = value;
        next = (next + 1) % window.Length;
        return count == window.Length ? Indicator.BollingerOf(sum, sumOfSquares, window.Length, k) : default;
    }

    internal static void Check(int period, decimal k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
    }
}
