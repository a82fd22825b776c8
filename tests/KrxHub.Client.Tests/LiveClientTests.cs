namespace KrxHub.Client.Tests;

/// <summary>/ws through the client against a running hub with its simulated exchange: typed messages, refusals, and a hub restart.</summary>
[Collection(ClientHubCollection.Name)]
public class LiveClientTests(ClientHub hub)
{
    // A guard against a hang, never an assertion on time: the simulator trades 005930 many times a second.
    private static CancellationTokenSource Guard() => new(TimeSpan.FromSeconds(90));

    [Fact]
    public async Task Subscriptions_arrive_as_typed_messages_with_the_key_in_the_query_string()
    {
        using var guard = Guard();
        using (var escaped = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = "krx_live key" }))
        {
            Assert.Equal($"ws://{hub.Address.Authority}/ws?access_token=krx_live%20key", escaped.LiveAddress.AbsoluteUri);
        }

        using var client = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key });
        bool ticks = false, book = false, session = false;
        LiveTick? tick = null;
        await foreach (var message in client.LiveAsync([LiveTopic.Ticks("005930"), LiveTopic.Book("005930"), LiveTopic.Session()], guard.Token))
        {
            switch (message)
            {
                case LiveSubscribed { Channel: "ticks" } s:
                    Assert.Equal(["005930"], s.Codes);
                    ticks = true;
                    break;
                case LiveSubscribed { Channel: "book" }:
                    book = true;
                    break;
                case LiveSession s:
                    Assert.True(s.AlwaysOpen);
                    session = true;
                    break;
                case LiveTick { Stale: false } t:
                    tick = t;
                    break;
            }

            if (ticks && book && session && tick is not null)
            {
                break;
            }
        }

        Assert.Equal("005930", tick!.Code);
        Assert.True(tick.Price > 0);
        Assert.Equal("simulated", tick.Source);
    }

    [Fact]
    public async Task A_refused_subscription_is_thrown_with_the_hubs_error_code()
    {
        using var guard = Guard();
        using var client = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key });
        var refused = await Assert.ThrowsAsync<KrxHubLiveException>(async () =>
        {
            await foreach (var _ in client.LiveAsync([LiveTopic.Ticks("999999")], guard.Token))
            {
            }
        });
        Assert.Equal("unknown_code", refused.Code);
    }

    [Fact]
    public async Task After_the_hub_restarts_the_stream_reconnects_subscribes_again_and_goes_on_with_ticks()
    {
        using var guard = Guard();
        using var client = new KrxHubClient(new KrxHubClientOptions { BaseAddress = hub.Address, ApiKey = hub.Key, ReconnectDelay = TimeSpan.FromMilliseconds(100) });
        var stream = client.LiveAsync([LiveTopic.Ticks("005930"), LiveTopic.Rankings("KOSPI", "volume", 5)], guard.Token).GetAsyncEnumerator(guard.Token);
        await using (stream)
        {
            while (await stream.MoveNextAsync() && stream.Current is not LiveTick)
            {
            }

            await hub.RestartAsync();

            // Messages already in flight may come first; then the reconnect, the hub's acks to the repeated subscribes, and new ticks.
            LiveReconnected? reconnected = null;
            while (reconnected is null && await stream.MoveNextAsync())
            {
                reconnected = stream.Current as LiveReconnected;
            }

            Assert.NotNull(reconnected);
            var after = new List<LiveMessage>();
            while (await stream.MoveNextAsync())
            {
                after.Add(stream.Current);
                if (after.OfType<LiveSubscribed>().Count() == 2 && after.OfType<LiveTick>().Any(t => !t.Stale) && after.OfType<LiveRanking>().Any())
                {
                    break;
                }
            }

            Assert.Contains(after, m => m is LiveSubscribed { Channel: "ticks" });
            Assert.Contains(after, m => m is LiveSubscribed { Channel: "rankings", Market: "KOSPI", N: 5 });
            Assert.Contains(after, m => m is LiveTick { Code: "005930", Stale: false });
        }
    }
}
