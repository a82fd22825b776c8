using KrxHub.Core;
using KrxHub.Storage;

namespace KrxHub.Features.Bars;

/// <summary>How a response's bars were made: as traded, derived from raw bars and KRX base prices, or as a source adjusted them.</summary>
public static class BarMaking
{
    public const string Raw = "raw";
    public const string Derived = "derived";
    public const string Imported = "imported";
}

/// <summary>A stock's bars in a range on one basis, and how they were made.</summary>
public sealed record BarsAnswer(IReadOnlyList<DailyBar> Bars, string Adjustment, FactorCoverage? Coverage);

/// <summary>
/// The adjusted basis, the KRX way: wherever the stored raw bars cover the requested range, adjusted bars are derived from
/// them and the stored corporate-action events (exact, see <see cref="PriceAdjustment"/>). Imported adjusted series
/// (pykrx, Naver, Kiwoom upd_stkpc_tp=1) serve ranges the raw bars do not cover. One answer never mixes the two.
/// </summary>
public static class AdjustedBars
{
    public static async Task<BarsAnswer> ReadAsync(MarketStore store, KrxCalendar calendar, StockCode code, DateOnly from, DateOnly to,
        PriceBasis basis, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(calendar);
        var raw = await store.GetBarsAsync(code, from, to, PriceBasis.Raw, ct);
        if (basis == PriceBasis.Raw)
        {
            return new BarsAnswer(raw, BarMaking.Raw, null);
        }

        var imported = await store.GetBarsAsync(code, from, to, PriceBasis.Adjusted, ct);
        var rawDates = raw.Select(b => b.Date).ToHashSet();
        // Raw covers the range when it has every day the imported series has: then deriving loses nothing.
        if (raw.Count == 0 || !imported.All(b => rawDates.Contains(b.Date)))
        {
            return new BarsAnswer(imported, BarMaking.Imported, null);
        }

        var events = await store.GetAdjustmentEventsAsync(code, ct);
        var closes = await store.GetRawClosesFromAsync(code, raw[0].Date, ct);
        return new BarsAnswer(PriceAdjustment.Adjust(raw, events), BarMaking.Derived, PriceAdjustment.Coverage(closes, calendar));
    }

    /// <summary>The X-Factor-Coverage header: "complete", or "incomplete; unknown-steps=N; first-unknown=yyyy-MM-dd; reason=…".</summary>
    public static string CoverageHeader(FactorCoverage coverage)
    {
        ArgumentNullException.ThrowIfNull(coverage);
        return coverage.Complete
            ? "complete"
            : FormattableString.Invariant($"incomplete; unknown-steps={coverage.UnknownSteps}; first-unknown={coverage.FirstUnknown:yyyy-MM-dd}");
    }
}
