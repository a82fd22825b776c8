using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class DayQualityTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Day_quality_counts_bars_quarantine_reasons_and_listed_stocks_without_a_bar(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var delisted = Samples.HynixStock with { Code = Core.StockCode.Parse("000001"), DelistingDate = Samples.Jan2 };
        var notYetListed = Samples.HynixStock with { Code = Core.StockCode.Parse("000002"), ListingDate = Samples.Jan3 };
        var listedWithoutDate = Samples.HynixStock with { Code = Core.StockCode.Parse("000003"), ListingDate = null };
        await db.Store.UpsertStocksAsync(
            [Samples.SamsungStock, Samples.HynixStock, Samples.CelltrionHealthcareStock, delisted, notYetListed, listedWithoutDate], Ct);
        await db.Store.StageDailyBarsAsync(1,
            [Samples.SamsungJan2, Samples.SamsungJan2Adjusted, Samples.CelltrionHealthcareJan2Halted, Samples.SamsungJan3, Samples.HynixJan3], Ct);
        await db.Store.PromoteDailyBarsAsync(1, Ct);
        QuarantineEntry Entry(string payload, DateOnly date, params string[] reasons) =>
            new(1, "daily_bars", "test", "000660", date, reasons, payload, 1, Samples.FetchedAt);
        await db.Store.QuarantineAsync(
        [
            Entry("1", Samples.Jan2, ReasonCodes.OutsidePriceLimit, ReasonCodes.OffTickGrid),
            Entry("2", Samples.Jan2, ReasonCodes.OffTickGrid),
            Entry("3", Samples.Jan2, ReasonCodes.OffTickGrid),
            Entry("4", Samples.Jan3, ReasonCodes.NegativeVolume),
        ], Ct);

        var quality = await db.Store.GetDayQualityAsync(Samples.Jan2, Ct);

        Assert.Equal(Samples.Jan2, quality.Date);
        Assert.Equal(2, quality.RawBars);
        Assert.Equal(1, quality.AdjustedBars);
        Assert.Equal(1, quality.NoTradeBars);
        Assert.Equal(
            new Dictionary<string, long> { [ReasonCodes.OffTickGrid] = 3, [ReasonCodes.OutsidePriceLimit] = 1 },
            quality.QuarantinedByReason);
        Assert.Equal(4, quality.ListedStocks); // Samsung, Hynix, Celltrion Healthcare, the one without a listing date
        Assert.Equal(2, quality.ListedWithoutBar); // Hynix and the one without a listing date
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task An_empty_day_has_zero_counts(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);

        var quality = await db.Store.GetDayQualityAsync(Samples.Jan2, Ct);

        Assert.Equal(new DayQuality(Samples.Jan2, 0, 0, 0, quality.QuarantinedByReason, 0, 0), quality);
        Assert.Empty(quality.QuarantinedByReason);
    }
}
