using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class MinuteBarTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTimeOffset Open = new(2024, 1, 2, 10, 0, 0, KrxCalendar.KstOffset);

    // 005930's first minutes on 2024-01-02 stay inside that day's real range (low 78,200, high 79,800).
    private static MinuteBar Minute(int minute, decimal open, decimal high, decimal low, decimal close, long volume) =>
        new(Samples.Samsung, Open.AddMinutes(minute), open, high, low, close, volume, close * volume, "kiwoom", Samples.FetchedAt);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Minute_bars_round_trip_in_kst_and_identical_rewrites_are_unchanged(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        MinuteBar[] bars = [Minute(1, 78300, 78500, 78200, 78400, 120_345), Minute(0, 78200, 78400, 78200, 78300, 351_002)];

        var first = await db.Store.UpsertMinuteBarsAsync(bars, Ct);
        var again = await db.Store.UpsertMinuteBarsAsync(bars, Ct);
        var corrected = await db.Store.UpsertMinuteBarsAsync([bars[0] with { Close = 78500, Volume = 120_346 }], Ct);
        var stored = await db.Store.GetMinuteBarsAsync(Samples.Samsung, Open, Open.AddMinutes(2), Ct);

        Assert.Equal(new PromotionResult(2, 0), first);
        Assert.Equal(new PromotionResult(0, 2), again);
        Assert.Equal(new PromotionResult(1, 0), corrected);
        Assert.Equal([Open, Open.AddMinutes(1)], stored.Select(b => b.Start));
        Assert.All(stored, b => Assert.Equal(KrxCalendar.KstOffset, b.Start.Offset));
        Assert.Equal((78200m, 78400m, 78200m, 78300m, 351_002L), (stored[0].Open, stored[0].High, stored[0].Low, stored[0].Close, stored[0].Volume));
        Assert.Equal((78500m, 120_346L), (stored[1].Close, stored[1].Volume));
        Assert.Equal(78300m * 351_002, stored[0].TradingValue);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_range_is_half_open_and_per_stock(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await db.Store.UpsertMinuteBarsAsync(
            [Minute(0, 78200, 78400, 78200, 78300, 1), Minute(1, 78300, 78500, 78200, 78400, 2), Minute(2, 78400, 78400, 78300, 78300, 3)], Ct);

        var middle = await db.Store.GetMinuteBarsAsync(Samples.Samsung, Open.AddMinutes(1), Open.AddMinutes(2), Ct);
        var other = await db.Store.GetMinuteBarsAsync(Samples.Hynix, Open, Open.AddHours(1), Ct);

        Assert.Equal([2L], middle.Select(b => b.Volume));
        Assert.Empty(other);
    }
}
