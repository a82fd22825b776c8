using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class QuarantineTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private const string BadPayload =
        "\"005930\",\"삼성전자\",79600.0,\"\",1,1100.0,1.4,17142847.0,1356958225913.0,78200.0,69800.0,78200.0,475194690980000.0,5969782550,\"KOSPI\",\"STK\",1,\"2024-01-02\"";

    private static QuarantineEntry Entry(string payload, DateOnly? date, string[] reasons, DateTimeOffset at, string source = Samples.RawSource) =>
        new(1, "daily_bars", source, "005930", date, reasons, payload, 2, at);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Quarantining_the_same_payload_from_the_same_source_twice_keeps_one_row(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var entry = Entry(BadPayload, Samples.Jan2, [ReasonCodes.OhlcInconsistent], Samples.FetchedAt);

        await db.Store.QuarantineAsync([entry, entry], Ct);
        await db.Store.QuarantineAsync([entry with { RunId = 2, QuarantinedAt = Samples.FetchedAt.AddDays(1) }], Ct);
        await db.Store.QuarantineAsync([entry with { Source = "krx-json" }], Ct);

        var stored = await db.Store.GetQuarantineAsync(null, null, 10, 0, Ct);
        Assert.Equal(2, stored.Count);
        var original = stored.Single(e => e.Source == Samples.RawSource);
        Assert.Equal(entry with { QuarantinedAt = Samples.Stored(entry.QuarantinedAt), Id = original.Id, Reasons = original.Reasons }, original);
        Assert.Equal([ReasonCodes.OhlcInconsistent], original.Reasons);
        Assert.True(original.Id > 0);
    }

    /// <summary>SQLite inserts a batch in hash order for its unique index, but ids (and the listing) follow the batch.</summary>
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Rows_quarantined_together_are_listed_newest_first_in_reverse_file_order(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var first = Enumerable.Range(1, 50).Select(i => Entry($"row {i}", Samples.Jan2, [ReasonCodes.OffTickGrid], Samples.FetchedAt) with { Line = i }).ToList();
        var second = Enumerable.Range(51, 10).Select(i => Entry($"row {i}", Samples.Jan2, [ReasonCodes.OffTickGrid], Samples.FetchedAt) with { Line = i }).ToList();
        await db.Store.QuarantineAsync(first, Ct);
        await db.Store.QuarantineAsync([first[0], .. second], Ct); // the repeat is skipped

        var listed = await db.Store.GetQuarantineAsync(null, null, 100, 0, Ct);
        Assert.Equal(Enumerable.Range(1, 60).Reverse().Select(i => $"row {i}"), listed.Select(e => e.Payload));
        Assert.Equal(Enumerable.Range(1, 60).Reverse().Select(i => (long)i), listed.Select(e => e.Line));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Quarantine_filters_by_date_and_by_one_whole_reason_newest_first(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var t = Samples.FetchedAt;
        await db.Store.QuarantineAsync(
        [
            Entry("a", Samples.Jan2, [ReasonCodes.OutsidePriceLimit, ReasonCodes.OffTickGrid], t),
            Entry("b", Samples.Jan2, [ReasonCodes.OffTickGrid], t.AddSeconds(1)),
            Entry("c", Samples.Jan3, [ReasonCodes.OffTickGrid], t.AddSeconds(2)),
            Entry("d", null, [ReasonCodes.InvalidCode], t.AddSeconds(3)) with { Code = null },
        ], Ct);

        Assert.Equal(["d", "c", "b", "a"], (await db.Store.GetQuarantineAsync(null, null, 10, 0, Ct)).Select(e => e.Payload));
        Assert.Equal(["b", "a"], (await db.Store.GetQuarantineAsync(Samples.Jan2, null, 10, 0, Ct)).Select(e => e.Payload));
        Assert.Equal(["c", "b", "a"], (await db.Store.GetQuarantineAsync(null, ReasonCodes.OffTickGrid, 10, 0, Ct)).Select(e => e.Payload));
        Assert.Equal(["a"], (await db.Store.GetQuarantineAsync(Samples.Jan2, ReasonCodes.OutsidePriceLimit, 10, 0, Ct)).Select(e => e.Payload));
        Assert.Empty(await db.Store.GetQuarantineAsync(null, "price", 10, 0, Ct));
        Assert.Equal(["c"], (await db.Store.GetQuarantineAsync(null, null, 1, 1, Ct)).Select(e => e.Payload));
        var invalid = Assert.Single(await db.Store.GetQuarantineAsync(null, ReasonCodes.InvalidCode, 10, 0, Ct));
        Assert.Null(invalid.Code);
        Assert.Null(invalid.Date);
        Assert.Equal([ReasonCodes.OutsidePriceLimit, ReasonCodes.OffTickGrid], (await db.Store.GetQuarantineAsync(null, null, 1, 3, Ct))[0].Reasons);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_reason_with_a_comma_is_refused(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);

        await Assert.ThrowsAsync<ArgumentException>(() => db.Store.QuarantineAsync([Entry("x", null, ["a,b"], Samples.FetchedAt)], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => db.Store.QuarantineAsync([Entry("x", null, [], Samples.FetchedAt)], Ct));
        Assert.Empty(await db.Store.GetQuarantineAsync(null, null, 10, 0, Ct));
    }

    [Fact]
    public void The_payload_hash_is_the_hex_sha256_of_the_utf8_payload()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", StoredValues.PayloadHash(string.Empty));
        Assert.Equal(64, StoredValues.PayloadHash(BadPayload).Length);
    }
}
