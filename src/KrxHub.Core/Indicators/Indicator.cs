namespace KrxHub.Core.Indicators;

/// <summary>
/// Technical indicators over daily values, after the conventions of Stock.Indicators: every batch method
/// returns an array aligned to its input with null during warm-up, and each has a streaming twin
/// (<see cref="SmaStream"/>, <see cref="EmaStream"/>, …) that yields the identical decimal, O(1) per value.
/// Batch and streaming perform the same decimal operations in the same order; that is what makes them
/// agree exactly, not merely closely.
/// </summary>
public static partial class Indicator
{
    /// <summary>Wilder smoothing: (prev·(period − 1) + current) / period.</summary>
    internal static decimal Wilder(decimal previous, decimal current, int period) =>
        (previous * (period - 1) + current) / period;

    /// <summary>The EMA weight k = 2 / (period + 1), rounded once to decimal.</summary>
    internal static decimal EmaWeight(int period) => 2m / (period + 1m);

    /// <summary>100 − 100 / (1 + avgGain / avgLoss); 100 when avgLoss = 0 and avgGain &gt; 0; 50 when both are 0.</summary>
    internal static decimal RsiOf(decimal averageGain, decimal averageLoss) =>
        averageLoss == 0m
            ? averageGain > 0m ? 100m : 50m
            : 100m - 100m / (1m + averageGain / averageLoss);

    /// <summary>max(high − low, |high − previous close|, |low − previous close|).</summary>
    internal static decimal TrueRange(decimal high, decimal low, decimal previousClose) =>
        Math.Max(high - low, Math.Max(Math.Abs(high - previousClose), Math.Abs(low - previousClose)));
}

/// <summary>Decimal square root that is a pure function of its input, so batch and streaming agree exactly.</summary>
internal static class DecimalMath
{
    /// <summary>
    /// √x by Newton's iteration r ← (r + x/r)/2 in decimal, seeded from <see cref="Math.Sqrt"/> (about 15
    /// correct digits), so two steps reach decimal precision; it stops when a step changes nothing (at most 8).
    /// </summary>
    public static decimal Sqrt(decimal x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        if (x == 0m)
        {
            return 0m;
        }

        // The smallest positive decimal is 1e-28, whose root 1e-14 converts from double without underflow.
        var root = (decimal)Math.Sqrt((double)x);
        for (var i = 0; i < 8; i++)
        {
            var next = (root + x / root) / 2m;
            if (next == root)
            {
                break;
            }

            root = next;
        }

        return root;
    }
}
