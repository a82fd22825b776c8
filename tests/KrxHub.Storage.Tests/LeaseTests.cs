using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class LeaseTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task One_holder_per_name_across_stores_on_the_same_database(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        await using var otherNode = await db.OpenSecondStoreAsync();

        var first = await db.Store.TryAcquireLeaseAsync("job:eod", Ct);
        var rival = await otherNode.TryAcquireLeaseAsync("job:eod", Ct);
        var otherName = await otherNode.TryAcquireLeaseAsync("live-source", Ct);

        Assert.NotNull(first);
        Assert.Null(rival);
        Assert.NotNull(otherName);
        Assert.True(await first.IsHeldAsync(Ct));

        await first.DisposeAsync();
        Assert.False(await first.IsHeldAsync(Ct));
        await using var taken = await otherNode.TryAcquireLeaseAsync("job:eod", Ct);
        Assert.NotNull(taken);
        Assert.Null(await db.Store.TryAcquireLeaseAsync("job:eod", Ct));
        await otherName.DisposeAsync();
    }
}
