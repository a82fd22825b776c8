using System.Numerics;

namespace KrxHub.Core;

/// <summary>
/// A corporate action as KRX reveals it: on <see cref="Date"/> the exchange's base price (기준가) was not the previous
/// session's raw close. Splits, bonus and rights issues, stock dividends, mergers and capital reductions all move the
/// base; cash dividends do not. Every price before <see cref="Date"/> is multiplied by <see cref="Factor"/>.
/// </summary>
public sealed record AdjustmentEvent(
    StockCode Code,
    DateOnly Date,
    DateOnly PreviousDate,
    decimal PreviousClose,
    decimal BasePrice,
    string Source)
{
    /// <summary>Base ÷ previous close (e.g. 53,000 ÷ 2,650,000 = 0.02 for a 50:1 split). Adjustments use the exact ratio, not this rounded form.</summary>
    public decimal Factor => BasePrice / PreviousClose;
}

/// <summary>A stored raw bar as the adjustment needs it: its close and the base price its source reported (null when the source has no change field).</summary>
public readonly record struct RawClose(DateOnly Date, decimal Close, decimal? BasePrice, string Source);

/// <summary>Whether the events known for a range are all the events there were, and if not, the first place where knowledge stops.</summary>
public sealed record FactorCoverage(bool Complete, int UnknownSteps, DateOnly? FirstUnknown, string? Reason);

/// <summary>
/// Adjusted prices derived from raw bars the way KRX does it: exactly, from the base prices it publishes.
/// Adjusted price of a day = raw × the product of the factors of all later events, computed as an exact fraction and
/// rounded to the won (half away from zero) only at the end. Volumes are not adjusted: they stay as traded.
/// </summary>
public static class PriceAdjustment
{
    /// <summary>
    /// The events in one stock's raw series (ascending by date). A step reveals an event only when both bars are on
    /// consecutive sessions and the later one carries a base price; any other step is unknown (see <see cref="Coverage"/>).
    /// </summary>
    public static IReadOnlyList<AdjustmentEvent> DetectEvents(StockCode code, IReadOnlyList<RawClose> series, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(calendar);
        var events = new List<AdjustmentEvent>();
        for (var i = 1; i < series.Count; i++)
        {
            var (previous, bar) = (series[i - 1], series[i]);
            if (bar.BasePrice is { } basePrice && basePrice > 0m && previous.Close > 0m &&
                basePrice != previous.Close && IsNextSession(calendar, previous.Date, bar.Date))
            {
                events.Add(new AdjustmentEvent(code, bar.Date, previous.Date, previous.Close, basePrice, bar.Source));
            }
        }

        return events;
    }

    /// <summary>
    /// Whether the events found in <paramref name="series"/> (the stock's raw bars from the first requested day to its newest
    /// stored bar) are complete: every step after the first bar is between consecutive sessions and carries a base price.
    /// </summary>
    public static FactorCoverage Coverage(IReadOnlyList<RawClose> series, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(calendar);
        var unknown = 0;
        DateOnly? first = null;
        string? reason = null;
        for (var i = 1; i < series.Count; i++)
        {
            var (previous, bar) = (series[i - 1], series[i]);
            string? why = null;
            if (!IsNextSession(calendar, previous.Date, bar.Date))
            {
                why = $"no raw bar between {previous.Date:yyyy-MM-dd} and {bar.Date:yyyy-MM-dd}";
            }
            else if (bar.BasePrice is null)
            {
                why = $"the raw bar of {bar.Date:yyyy-MM-dd} ({bar.Source}) has no change field, so its base price is unknown";
            }

            if (why is not null)
            {
                unknown++;
                first ??= bar.Date;
                reason ??= why;
            }
        }

        return new FactorCoverage(unknown == 0, unknown, first, reason);
    }

    /// <summary>
    /// The adjusted form of raw bars (any order) given all events of the stock: OHLC multiplied by the exact product of the
    /// factors of events after each bar's date, rounded to the won at the end. Volume, value and shares stay as stored.
    /// </summary>
    public static IReadOnlyList<DailyBar> Adjust(IReadOnlyList<DailyBar> raw, IReadOnlyList<AdjustmentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(events);
        // Suffix products: the factor for a bar is the product over events strictly after its date.
        var ordered = events.OrderBy(e => e.Date).ToArray();
        var suffix = new Fraction[ordered.Length + 1];
        suffix[ordered.Length] = Fraction.One;
        for (var i = ordered.Length - 1; i >= 0; i--)
        {
            suffix[i] = suffix[i + 1] * Fraction.Of(ordered[i].BasePrice, ordered[i].PreviousClose);
        }

        var result = new List<DailyBar>(raw.Count);
        foreach (var bar in raw)
        {
            var firstLater = FirstAfter(ordered, bar.Date);
            var factor = suffix[firstLater];
            result.Add(factor.IsOne ? bar with { Basis = PriceBasis.Adjusted } : bar with
            {
                Basis = PriceBasis.Adjusted,
                Open = factor.ApplyToWon(bar.Open),
                High = factor.ApplyToWon(bar.High),
                Low = factor.ApplyToWon(bar.Low),
                Close = factor.ApplyToWon(bar.Close),
                BasePrice = bar.BasePrice is { } b ? factor.ApplyToWon(b) : null,
            });
        }

        return result;
    }

    private static int FirstAfter(AdjustmentEvent[] ordered, DateOnly date)
    {
        var (lo, hi) = (0, ordered.Length);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (ordered[mid].Date > date)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    private static bool IsNextSession(KrxCalendar calendar, DateOnly previous, DateOnly date) =>
        calendar.Covers(date) ? calendar.PreviousSession(date) == previous : date > previous;

    /// <summary>An exact non-negative fraction; decimals convert without loss (mantissa ÷ 10^scale).</summary>
    private readonly record struct Fraction(BigInteger Numerator, BigInteger Denominator)
    {
        public static Fraction One => new(BigInteger.One, BigInteger.One);

        public bool IsOne => Numerator == Denominator;

        public static Fraction Of(decimal numerator, decimal denominator)
        {
            var (n, nScale) = Exact(numerator);
            var (d, dScale) = Exact(denominator);
            // n / 10^ns ÷ d / 10^ds = n · 10^ds / (d · 10^ns)
            return Reduce(n * BigInteger.Pow(10, dScale), d * BigInteger.Pow(10, nScale));
        }

        public static Fraction operator *(Fraction a, Fraction b) => Reduce(a.Numerator * b.Numerator, a.Denominator * b.Denominator);

        /// <summary>value × this, rounded to a whole won, half away from zero.</summary>
        public decimal ApplyToWon(decimal value)
        {
            var (v, scale) = Exact(value);
            var numerator = v * Numerator;
            var denominator = Denominator * BigInteger.Pow(10, scale);
            var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
            if (BigInteger.Abs(remainder) * 2 >= denominator)
            {
                quotient += numerator.Sign;
            }

            return (decimal)quotient;
        }

        private static Fraction Reduce(BigInteger n, BigInteger d)
        {
            var g = BigInteger.GreatestCommonDivisor(n, d);
            return g.IsOne || g.IsZero ? new(n, d) : new(n / g, d / g);
        }

        private static (BigInteger Mantissa, int Scale) Exact(decimal value)
        {
            Span<int> bits = stackalloc int[4];
            decimal.GetBits(value, bits);
            var mantissa = new BigInteger((uint)bits[0]) | (new BigInteger((uint)bits[1]) << 32) | (new BigInteger((uint)bits[2]) << 64);
            var scale = (bits[3] >> 16) & 0xFF;
            return (value < 0 ? -mantissa : mantissa, scale);
        }
    }
}
