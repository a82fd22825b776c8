namespace KrxHub.Core.Indicators;

/// <summary>One MACD point; each part is null while it is warming up.</summary>
public readonly record struct MacdValue(decimal? Macd, decimal? Signal, decimal? Histogram);

public static partial class Indicator
{
    /// <summary>
    /// Moving average convergence/divergence. macd = EMA(fast) − EMA(slow), defined from index slow − 1;
    /// signal = EMA(signal) of the macd series, seeded with the SMA of its first <paramref name="signal"/>
    /// defined values (so defined from index slow + signal − 2); histogram = macd − signal.
    /// Both EMAs are <see cref="Ema"/> (each seeded with its own SMA).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fast"/> &lt; 1, <paramref name="slow"/> ≤
    /// <paramref name="fast"/> or <paramref name="signal"/> &lt; 1.</exception>
    public static MacdValue[] Macd(this IReadOnlyList<decimal> values, int fast = 12, int slow = 26, int signal = 9)
    {
        ArgumentNullException.ThrowIfNull(values);
        MacdStream.Check(fast, slow, signal);

        var result = new MacdValue[values.Count];
        if (values.Count < slow)
        {
            return result;
        }

        var fastEma = values.Ema(fast);
        var slowEma = values.Ema(slow);
        var line = new decimal[values.Count - (slow - 1)];
        for (var i = 0; i < line.Length; i++)
        {
            line[i] = fastEma[i + slow - 1]!.Value - slowEma[i + slow - 1]!.Value;
        }

        var signalLine = line.Ema(signal);
        for (var i = 0; i < line.Length; i++)
        {
            var s = signalLine[i];
            result[i + slow - 1] = new MacdValue(line[i], s, line[i] - s);
        }

        return result;
    }
}

/// <summary>Streaming <see cref="Indicator.Macd"/>: three <see cref="EmaStream"/>s.</summary>
public sealed class MacdStream
{
    private readonly EmaStream fastEma;
    private readonly EmaStream slowEma;
    private readonly EmaStream signalEma;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fast"/> &lt; 1, <paramref name="slow"/> ≤
    /// <paramref name="fast"/> or <paramref name="signal"/> &lt; 1.</exception>
    public MacdStream(int fast = 12, int slow = 26, int signal = 9)
    {
        Check(fast, slow, signal);
        fastEma = new EmaStream(fast);
        slowEma = new EmaStream(slow);
        signalEma = new EmaStream(signal);
    }

    /// <summary>Adds the next value; returns the MACD point, whose parts are null while warming up (never throws for that).</summary>
    public MacdValue Add(decimal value) => Step(value, commit: true);

    /// <summary>What <see cref="Add"/> would return, leaving the state as it is (see <see cref="EmaStream.Peek"/>).</summary>
    internal MacdValue Peek(decimal value) => Step(value, commit: false);

    private MacdValue Step(decimal value, bool commit)
    {
        var fast = commit ? fastEma.Add(value) : fastEma.Peek(value);
        if ((commit ? slowEma.Add(value) : slowEma.Peek(value)) is not { } slow)
        {
            return default;
        }

        var macd = fast!.Value - slow;
        var signal = commit ? signalEma.Add(macd) : signalEma.Peek(macd);
        return new MacdValue(macd, signal, macd - signal);
    }

    internal static void Check(int fast, int slow, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fast, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(slow, fast);
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
    }
}
