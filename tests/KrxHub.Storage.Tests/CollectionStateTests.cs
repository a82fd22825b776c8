using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

/// <summary>Migration 3: what collection keeps between runs and between nodes.</summary>
public sealed class CollectionStateTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_source_token_is_stored_replaced_and_forgotten_and_another_node_reads_it(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await using var otherNode = await db.OpenSecondStoreAsync();
        var expires = new DateTimeOffset(2026, 4, 15, 8, 37, 13, TimeSpan.FromHours(9));

        Assert.Null(await db.Store.GetSourceTokenAsync("kiwoom", Ct));
        await db.Store.SaveSourceTokenAsync("kiwoom", new SourceToken("WQJCwyqInphKnR3bSRtB9NE1lv-first", expires, "https://api.kiwoom.com"), Ct);
        await db.Store.SaveSourceTokenAsync("kiwoom", new SourceToken("WQJCwyqInphKnR3bSRtB9NE1lv-second", expires.AddDays(1), "https://mockapi.kiwoom.com"), Ct);

        var read = await otherNode.GetSourceTokenAsync("kiwoom", Ct);
        Assert.Equal(new SourceToken("WQJCwyqInphKnR3bSRtB9NE1lv-second", expires.AddDays(1), "https://mockapi.kiwoom.com"), read);
        Assert.Equal(expires.AddDays(1).UtcDateTime, read!.ExpiresAt.UtcDateTime);
        Assert.DoesNotContain("WQJCwyqInphKnR3bSRtB9NE1lv-second", read.ToString(), StringComparison.Ordinal);
        Assert.Null(await otherNode.GetSourceTokenAsync("krx", Ct));

        await otherNode.SaveSourceTokenAsync("kiwoom", null, Ct);
        Assert.Null(await db.Store.GetSourceTokenAsync("kiwoom", Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Completed_backfill_units_are_found_by_overlap_and_recording_one_twice_changes_nothing(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var jan = new BackfillUnit("daily", "raw", "005930", new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 31));
        var feb = jan with { From = new DateOnly(2024, 2, 1), To = new DateOnly(2024, 2, 29) };
        var hynix = jan with { Key = "000660" };
        var adjusted = jan with { Basis = "adjusted" };
        await db.Store.CompleteUnitsAsync([jan, feb, hynix, adjusted], Samples.FetchedAt, Ct);
        await db.Store.CompleteUnitsAsync([jan], Samples.FetchedAt, Ct);

        Assert.Equal(4, await db.ScalarAsync("SELECT count(*) FROM backfill_progress"));
        Assert.Equal([hynix, jan, feb], await db.Store.GetCompletedUnitsAsync("daily", "raw", new DateOnly(2024, 1, 31), new DateOnly(2024, 2, 1), Ct));
        Assert.Equal([feb], await db.Store.GetCompletedUnitsAsync("daily", "raw", new DateOnly(2024, 2, 29), new DateOnly(2024, 3, 31), Ct));
        Assert.Empty(await db.Store.GetCompletedUnitsAsync("daily", "raw", new DateOnly(2024, 3, 1), new DateOnly(2024, 3, 31), Ct));
        Assert.Empty(await db.Store.GetCompletedUnitsAsync("investors", "-", new DateOnly(2024, 1, 1), new DateOnly(2024, 3, 31), Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task An_occurrence_is_recorded_once_whichever_node_records_it_first(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await using var otherNode = await db.OpenSecondStoreAsync();

        Assert.False(await otherNode.IsOccurrenceDoneAsync("eod", "2026-04-14", Ct));
        Assert.True(await db.Store.RecordOccurrenceAsync("eod", "2026-04-14", 7, Samples.FetchedAt, Ct));
        Assert.False(await otherNode.RecordOccurrenceAsync("eod", "2026-04-14", 8, Samples.FetchedAt, Ct));
        Assert.True(await otherNode.IsOccurrenceDoneAsync("eod", "2026-04-14", Ct));
        Assert.False(await otherNode.IsOccurrenceDoneAsync("eod", "2026-04-15", Ct));
        Assert.False(await otherNode.IsOccurrenceDoneAsync("master", "2026-04-14", Ct));
        Assert.Equal(7, await db.ScalarAsync("SELECT run_id FROM job_occurrences WHERE job = 'eod'"));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_latest_run_of_each_job_is_listed_once(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var a1 = await db.Store.StartRunAsync("collect:daily", "{}", Samples.FetchedAt, Ct);
        var b1 = await db.Store.StartRunAsync("collect:master", "{}", Samples.FetchedAt, Ct);
        var a2 = await db.Store.StartRunAsync("collect:daily", "{}", Samples.FetchedAt.AddMinutes(1), Ct);
        await db.Store.FinishRunAsync(a1, new RunOutcome(RunStatus.Failed, 0, 0, 0, 0, Samples.FetchedAt, "boom"), Ct);

        var latest = await db.Store.GetLatestRunPerJobAsync(Ct);
        Assert.Equal([("collect:daily", a2), ("collect:master", b1)], latest.Select(r => (r.Job, r.Id)));
        Assert.Equal(RunStatus.Running, latest[0].Status);
    }
}
