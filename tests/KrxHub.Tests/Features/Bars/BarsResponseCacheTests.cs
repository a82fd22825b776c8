using KrxHub.Features.Bars;

namespace KrxHub.Tests;

public class BarsResponseCacheTests
{
    private sealed class MovableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Concurrent_misses_for_one_key_share_one_build()
    {
        var cache = new BarsResponseCache(TimeProvider.System);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builds = 0;
        async Task<CachedBars?> Build()
        {
            Interlocked.Increment(ref builds);
            await release.Task;
            return new CachedBars([1, 2, 3], "raw", null);
        }

        var requests = Enumerable.Range(0, 16).Select(_ => cache.GetOrBuildAsync("005930|a", Build)).ToList();
        release.SetResult();
        var bodies = await Task.WhenAll(requests);

        Assert.Equal(1, builds);
        Assert.All(bodies, b => Assert.Equal(new byte[] { 1, 2, 3 }, b!.Json));
    }

    [Fact]
    public async Task Entries_expire_after_the_time_to_live_and_failures_and_missing_stocks_are_not_kept()
    {
        var time = new MovableTime(new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero));
        var cache = new BarsResponseCache(time);
        var version = 0;
        Task<CachedBars?> Build() => Task.FromResult<CachedBars?>(new CachedBars([(byte)++version], "raw", null));

        Assert.Equal([1], (await cache.GetOrBuildAsync("k", Build))!.Json);
        time.Now += BarsResponseCache.TimeToLive - TimeSpan.FromMilliseconds(1);
        Assert.Equal([1], (await cache.GetOrBuildAsync("k", Build))!.Json);
        time.Now += TimeSpan.FromMilliseconds(1);
        Assert.Equal([2], (await cache.GetOrBuildAsync("k", Build))!.Json);
        cache.Clear();
        Assert.Equal([3], (await cache.GetOrBuildAsync("k", Build))!.Json);

        Assert.Null(await cache.GetOrBuildAsync("unknown", () => Task.FromResult<CachedBars?>(null)));
        Assert.Equal([4], (await cache.GetOrBuildAsync("unknown", Build))!.Json);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrBuildAsync("bad", () => throw new InvalidOperationException("store down")));
        Assert.Equal([5], (await cache.GetOrBuildAsync("bad", Build))!.Json);
    }
}
