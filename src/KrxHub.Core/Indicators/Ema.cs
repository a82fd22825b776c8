namespace KrxHub.Core.Indicators;

public static partial class Indicator
{
    /// <summary>
    /// Exponential moving average with k = 2 / (period + 1): at index period − 1 the SMA of the first
    /// <paramref name="period"/> values, then ema = prev + k·(value − prev). Null before index period − 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public static decimal?[] Ema(this IReadOnlyList<decimal> values, int period)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);

        var result = new decimal?[values.Count];
        var k = EmaWeight(period);
        var sum = 0m;
        var ema = 0m;
        for (var i = 0; i < values.Count; i++)
        {
            if (i < period)
            {
                sum += values[i];
                if (i < period - 1)
                {
                    continue;
                }

                ema = sum / period;
            }
            else
            {
                ema += k * (values[i] - ema);
            }

            result[i] = ema;
        }

        return result;
    }
}

/// <summary>Streaming <see cref="Indicator.Ema"/>.</summary>
public sealed class EmaStream
{
    private readonly decimal k;
    private int count;
    private decimal sum;
    private decimal ema;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public EmaStream(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
        k = Indicator.EmaWeight(period);
    }

    public int Period { get; }

    /// <summary>Adds the next value; returns the EMA, or null until <see cref="Period"/> values have been added.</summary>
    public decimal? Add(decimal value) => Step(value, commit: true);

    /// <summary>What <see cref="Add"/> would return, leaving the state as it is: a live cycle steps the state after the stored history with today's value.</summary>
    internal decimal? Peek(decimal value) => Step(value, commit: false);

    private decimal? Step(decimal value, bool commit)
    {
        var (n, s, e) = (count, sum, ema);
        if (n < Period)
        {
            s += value;
            n++;
            if (commit)
            {
                (count, sum) = (n, s);
            }

            if (n < Period)
            {
                return null;
            }

            e = s / Period;
        }
        else
        {
            e += k * (value - e);
        }

        if (commit)
        {
            ema = e;
        }

        return e;
    }
}
