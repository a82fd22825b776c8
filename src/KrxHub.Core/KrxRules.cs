namespace KrxHub.Core;

/// <summary>
/// KRX price rules as dated data (see ../docs and data/README.md for sources).
/// <list type="bullet">
/// <item>Tick size: one unified table for all markets since 2023-01-25; per-market tables from 2010-01-01
/// to 2023-01-24 (KOSDAQ/KONEX stop at 100 KRW above 50,000). Before 2010 the grid is not checked:
/// <see cref="TickSize"/> returns null.</item>
/// <item>Daily price limit: ±30% of the base price (previous close) since 2015-06-15, ±15% before; KONEX ±15%.
/// The upper limit is truncated to the tick grid, the lower limit rounded up to it.</item>
/// </list>
/// </summary>
public static class KrxRules
{
    public static readonly DateOnly UnifiedTickTableSince = new(2023, 1, 25);
    public static readonly DateOnly PerMarketTickTableSince = new(2010, 1, 1);
    public static readonly DateOnly ThirtyPercentLimitSince = new(2015, 6, 15);

    // Lower bound of each band and its tick; the last band is open-ended.
    private static readonly (decimal From, decimal Tick)[] Unified2023 =
    [
        (0m, 1m), (2_000m, 5m), (5_000m, 10m), (20_000m, 50m), (50_000m, 100m), (200_000m, 500m), (500_000m, 1_000m),
    ];

    private static readonly (decimal From, decimal Tick)[] Kospi2010 =
    [
        (0m, 1m), (1_000m, 5m), (5_000m, 10m), (10_000m, 50m), (50_000m, 100m), (100_000m, 500m), (500_000m, 1_000m),
    ];

    private static readonly (decimal From, decimal Tick)[] Kosdaq2010 =
    [
        (0m, 1m), (1_000m, 5m), (5_000m, 10m), (10_000m, 50m), (50_000m, 100m),
    ];

    /// <summary>The tick size for a price on a date and market, or null when no grid is enforced (before 2010).</summary>
    public static decimal? TickSize(decimal price, Market market, DateOnly date)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(price);
        var table = TickTable(market, date);
        if (table is null)
        {
            return null;
        }

        var tick = table[0].Tick;
        foreach (var (from, t) in table)
        {
            if (price >= from)
            {
                tick = t;
            }
            else
            {
                break;
            }
        }

        return tick;
    }

    public static bool IsOnTickGrid(decimal price, Market market, DateOnly date) =>
        TickSize(price, market, date) is not { } tick || price % tick == 0m;

    /// <summary>The largest price on the grid that is ≤ <paramref name="price"/>.</summary>
    public static decimal FloorToTick(decimal price, Market market, DateOnly date)
    {
        if (TickSize(price, market, date) is not { } tick)
        {
            return decimal.Floor(price);
        }

        return decimal.Floor(price / tick) * tick;
    }

    /// <summary>The smallest price on the grid that is ≥ <paramref name="price"/>.</summary>
    public static decimal CeilingToTick(decimal price, Market market, DateOnly date)
    {
        var floor = FloorToTick(price, market, date);
        if (floor == price)
        {
            return price;
        }

        // The next grid point above the floor uses the tick of the band the floor is in.
        var tick = TickSize(floor, market, date) ?? 1m;
        return floor + tick;
    }

    /// <summary>The daily limit as a fraction of the base price.</summary>
    public static decimal LimitRate(Market market, DateOnly date) =>
        market == Market.Konex || date < ThirtyPercentLimitSince ? 0.15m : 0.30m;

    /// <summary>The lower and upper limit prices for a base price (usually the previous close).</summary>
    public static (decimal Lower, decimal Upper) PriceLimits(decimal basePrice, Market market, DateOnly date)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(basePrice);
        var rate = LimitRate(market, date);
        var upper = FloorToTick(basePrice * (1 + rate), market, date);
        var lower = CeilingToTick(basePrice * (1 - rate), market, date);
        return (lower, upper);
    }

    private static (decimal From, decimal Tick)[]? TickTable(Market market, DateOnly date)
    {
        if (date >= UnifiedTickTableSince)
        {
            return Unified2023;
        }

        if (date >= PerMarketTickTableSince)
        {
            return market == Market.Kospi ? Kospi2010 : Kosdaq2010;
        }

        return null;
    }
}
