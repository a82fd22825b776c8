namespace KrxHub.Core.Indicators;

public static partial class Indicator
{
    /// <summary>
    /// Simple moving average: the mean of the last <paramref name="period"/> values, defined from index
    /// period − 1 (null before).
    /// </summary>
    /// <remarks>
    /// The window sum is a running total: add the new value, then subtract the one leaving the window; the
    /// mean is sum / period. <see cref="SmaStream"/> does exactly the same operations in the same order, so
    /// the two agree to the last decimal digit. For prices decimal addition is exact, so the running total
    /// also equals the window sum recomputed from scratch.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public static decimal?[] Sma(this IReadOnlyList<decimal> values, int period)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);

        var result = new decimal?[values.Count];
        var sum = 0m;
        for (var i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= period)
            {
                sum -= values[i - period];
            }

            if (i >= period - 1)
            {
                result[i] = sum / period;
            }
        }

        return result;
    }
}

/// <summary>Streaming <see cref="Indicator.Sma"/>: a ring buffer of the window and its running sum.</summary>
public sealed class SmaStream
{
    private readonly decimal[] window;
    private int count;
    private int next;
    private decimal sum;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public SmaStream(int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        window = new decimal[period];
    }

    public int Period => window.Length;

    /// <summary>The sum of the last <see cref="Period"/> values (of fewer until the window is full).</summary>
    public decimal Sum => sum;

    /// <summary>True once <see cref="Period"/> values have been added.</summary>
    public bool IsFull => count == window.Length;

    /// <summary>Adds the next value; returns the SMA, or null until <see cref="Period"/> values have been added.</summary>
    public decimal? Add(decimal value)
    {
        Push(value);
        return count == window.Length ? sum / window.Length : null;
    }

    /// <summary>Adds the next value without dividing: for callers that only compare averages (see SmaCross).</summary>
    public void Push(decimal value)
    {
        sum += value;
        if (count == window.Length)
        {
            sum -= window[next];
        }
        else
        {
            count++;
        }

        window[next] = value;
        next = (next + 1) % window.Length;
    }
}
