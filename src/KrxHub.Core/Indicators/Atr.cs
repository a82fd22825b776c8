namespace KrxHub.Core.Indicators;

public static partial class Indicator
{
    /// <summary>
    /// Wilder's average true range. TR₀ is undefined (no previous close); for i ≥ 1
    /// TRᵢ = max(highᵢ − lowᵢ, |highᵢ − closeᵢ₋₁|, |lowᵢ − closeᵢ₋₁|). At index <paramref name="period"/>
    /// ATR = mean of TR₁..TR_period; afterwards atr = (prev·(period − 1) + TRᵢ) / period.
    /// Null before index <paramref name="period"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The three lists differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public static decimal?[] Atr(IReadOnlyList<decimal> high, IReadOnlyList<decimal> low, IReadOnlyList<decimal> close, int period = 14)
    {
        ArgumentNullException.ThrowIfNull(high);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(close);
        if (high.Count != close.Count || low.Count != close.Count)
        {
            throw new ArgumentException(
                $"high ({high.Count}), low ({low.Count}) and close ({close.Count}) must have the same length", nameof(close));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);

        var result = new decimal?[close.Count];
        var atr = 0m;
        for (var i = 1; i < close.Count; i++)
        {
            var trueRange = TrueRange(high[i], low[i], close[i - 1]);
            if (i <= period)
            {
                // The sum during warm-up; divided into the mean at index period.
                atr += trueRange;
                if (i < period)
                {
                    continue;
                }

                atr /= period;
            }
            else
            {
                atr = Wilder(atr, trueRange, period);
            }

            result[i] = atr;
        }

        return result;
    }
}

/// <summary>Streaming <see cref="Indicator.Atr"/>.</summary>
public sealed class AtrStream
{
    private decimal? previousClose;
    private int ranges;
    private decimal atr;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> &lt; 1.</exception>
    public AtrStream(int period = 14)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
    }

    public int Period { get; }

    /// <summary>Adds the next bar; returns the ATR, or null until <see cref="Period"/> true ranges (period + 1 bars) are seen.</summary>
    public decimal? Add(decimal high, decimal low, decimal close) => Step(high, low, close, commit: true);

    /// <summary>What <see cref="Add"/> would return, leaving the state as it is: a live cycle steps the state after the stored history with today's bar.</summary>
    internal decimal? Peek(decimal high, decimal low, decimal close) => Step(high, low, close, commit: false);

    private decimal? Step(decimal high, decimal low, decimal close, bool commit)
    {
        if (previousClose is not { } last)
        {
            if (commit)
            {
                previousClose = close;
            }

            return null;
        }

        var (n, value) = (ranges, atr);
        var trueRange = Indicator.TrueRange(high, low, last);
        var ready = true;
        if (n < Period)
        {
            value += trueRange;
            n++;
            ready = n == Period;
            if (ready)
            {
                value /= Period;
            }
        }
        else
        {
            value = Indicator.Wilder(value, trueRange, Period);
        }

        if (commit)
        {
            (previousClose, ranges, atr) = (close, n, value);
        }

        return ready ? value : null;
    }
}
