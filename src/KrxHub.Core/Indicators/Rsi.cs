namespace KrxHub.Core.Indicators;

public static partial class Indicator
{
    /// <summary>
    /// Wilder's relative strength index. Changes dᵢ = vᵢ − vᵢ₋₁ split into gains max(d, 0) and losses
    /// max(−d, 0). At index <paramref name="period"/> the averages are the simple means of the gains and
    /// losses of changes 1..period; afterwards avg = (prev·(period − 1) + current) / period.
    /// RSI = 100 − 100 / (1 + avgGain / avgLoss); when avgLoss = 0 it is 100 if avgGain &gt; 0, else 50.
    /// Null before index <paramref name="period"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public static decimal?[] Rsi(this IReadOnlyList<decimal> values, int period = 14)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);

        var result = new decimal?[values.Count];
        var averageGain = 0m;
        var averageLoss = 0m;
        for (var i = 1; i < values.Count; i++)
        {
            var change = values[i] - values[i - 1];
            var gain = change > 0m ? change : 0m;
            var loss = change < 0m ? -change : 0m;
            if (i <= period)
            {
                // Sums during warm-up; divided into means at index period.
                averageGain += gain;
                averageLoss += loss;
                if (i < period)
                {
                    continue;
                }

                averageGain /= period;
                averageLoss /= period;
            }
            else
            {
                averageGain = Wilder(averageGain, gain, period);
                averageLoss = Wilder(averageLoss, loss, period);
            }

            result[i] = RsiOf(averageGain, averageLoss);
        }

        return result;
    }
}

/// <summary>Streaming <see cref="Indicator.Rsi"/>.</summary>
public sealed class RsiStream
{
    private decimal? previous;
    private int changes;
    private decimal averageGain;
    private decimal averageLoss;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public RsiStream(int period = 14)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
    }

    public int Period { get; }

    /// <summary>Adds the next value; returns the RSI, or null until <see cref="Period"/> changes (period + 1 values) are seen.</summary>
    public decimal? Add(decimal value) => Step(value, commit: true);

    /// <summary>What <see cref="Add"/> would return, leaving the state as it is: a live cycle steps the state after the stored history with today's value.</summary>
    internal decimal? Peek(decimal value) => Step(value, commit: false);

    private decimal? Step(decimal value, bool commit)
    {
        if (previous is not { } last)
        {
            if (commit)
            {
                previous = value;
            }

            return null;
        }

        var (n, gains, losses) = (changes, averageGain, averageLoss);
        var change = value - last;
        var gain = change > 0m ? change : 0m;
        var loss = change < 0m ? -change : 0m;
        var ready = true;
        if (n < Period)
        {
            gains += gain;
            losses += loss;
            n++;
            ready = n == Period;
            if (ready)
            {
                gains /= Period;
                losses /= Period;
            }
        }
        else
        {
            gains = Indicator.Wilder(gains, gain, Period);
            losses = Indicator.Wilder(losses, loss, Period);
        }

        if (commit)
        {
            (previous, changes, averageGain, averageLoss) = (value, n, gains, losses);
        }

        return ready ? Indicator.RsiOf(gains, losses) : null;
    }
}
