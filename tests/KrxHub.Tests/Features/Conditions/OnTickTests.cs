using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Conditions;
using KrxHub.Features.Live;
using KrxHub.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>
/// An on-tick condition during a session: the trade that makes a stock match reaches a signed webhook as an entry, the trade
/// that ends it as an exit, without a scheduled pass or a manual send; a stock that did not trade keeps its state.
/// </summary>
public class OnTickTests
{
    [Fact]
    public async Task A_trade_that_makes_a_stock_match_reaches_the_webhook_as_an_entry_and_the_next_one_as_an_exit()
    {
        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        var settings = HubSettings.None with { Alerts = new AlertSettings { WebhookUrl = receiver.Url("/hook"), WebhookSecret = "s3cret" } };
        // 10:00 KST on the tests' fixed day, in the regular session.
        var session = new FixedTime(LiveTestData.TodayAt(10, 0));
        await using var hub = await LiveHub.StartAsync(time: session, settings: settings);
        await hub.Feed!.Running;
        var last = LiveTestData.Bar("005930", new DateOnly(2024, 2, 13));
        var hynix = LiveTestData.Bar("000660", new DateOnly(2024, 2, 13));

        using var created = await hub.Client.PostAsJsonAsync(new Uri("/api/conditions", UriKind.Relative), new
        {
            name = "삼성 전일 종가 돌파",
            expression = "close > ref(close, 1) and (code == \"005930\" or code == \"000660\")",
            schedule = "on-tick",
            channels = new[] { "webhook" },
        });
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
        var bus = hub.Services.GetRequiredService<LiveBus>();
        await LiveHub.EventuallyAsync(() => Task.FromResult(bus.Ticked.Enabled), "the scheduler saw the on-tick condition");

        // 000660 trades above its previous close first (an entry), then 005930 below (no event: it never matched).
        await hub.Feed.PushAsync(LiveTestData.TickOf(hynix with { Close = hynix.Close + 500m }, LiveTestData.TodayAt(10, 0, 1)));
        await hub.Feed.PushAsync(LiveTestData.TickOf(last with { Close = last.Close - 100m }, LiveTestData.TodayAt(10, 0, 2)));
        await LiveHub.EventuallyAsync(() => Task.FromResult(receiver.Requests("/hook").Count == 1), "the entry reached the webhook");

        await hub.Feed.PushAsync(LiveTestData.TickOf(last with { Close = last.Close + 100m }, LiveTestData.TodayAt(10, 0, 3)));
        await LiveHub.EventuallyAsync(() => Task.FromResult(receiver.Requests("/hook").Count == 2), "the second entry reached the webhook");
        await hub.Feed.PushAsync(LiveTestData.TickOf(last with { Close = last.Close }, LiveTestData.TodayAt(10, 0, 4)));
        await LiveHub.EventuallyAsync(() => Task.FromResult(receiver.Requests("/hook").Count == 3), "the exit reached the webhook");

        var hooks = receiver.Requests("/hook").Select(h => JsonDocument.Parse(h.Body).RootElement).ToList();
        Assert.Equal([("000660", "entry"), ("005930", "entry"), ("005930", "exit")],
            hooks.Select(h => (h.GetProperty("code").GetString(), h.GetProperty("event").GetString())));
        Assert.All(receiver.Requests("/hook"), h => Assert.Equal(AlertChannels.Signature("s3cret", h.Body), h.Signature));
        Assert.Equal("replay", hooks[0].GetProperty("live").GetString());
        Assert.Equal(hynix.Close + 500m, hooks[0].GetProperty("price").GetDecimal());
        Assert.Equal(last.Close, hooks[1].GetProperty("values").GetProperty("ref(close, 1)").GetDecimal());

        // 000660 did not trade again: it is still in the matching set.
        using var results = await hub.Client.GetAsync(new Uri($"/api/conditions/{id}/results", UriKind.Relative));
        var body = JsonDocument.Parse(await results.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["000660"], body.GetProperty("matching").EnumerateArray().Select(m => m.GetString()));
    }
}
