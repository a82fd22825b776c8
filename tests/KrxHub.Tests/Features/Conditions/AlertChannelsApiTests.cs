using System.Net;
using System.Text.Json;
using KrxHub.Features.Access;
using KrxHub.Features.Conditions;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Testing;
using KrxHub.Tests.Collection;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>Alert channels set through the API: masking, sealing at rest, override of the environment, validation, the test endpoint and pickup by the sender.</summary>
public class AlertChannelsApiTests
{
    private const string SecretsKey = "channel-secrets-key-0123456789abcdef";

    private static Task<JsonElement> SendAsync(HubServer hub, HttpMethod method, string url, object? body, HttpStatusCode expected) =>
        ConditionsTests.SendAsync(hub, method, url, body, expected);

    private static async Task<JsonElement> ChannelAsync(HubServer hub, string channel) =>
        (await SendAsync(hub, HttpMethod.Get, "/api/alerts/channels", null, HttpStatusCode.OK)).EnumerateArray().Single(c => c.GetProperty("channel").GetString() == channel);

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Api_settings_override_the_environment_per_channel_are_masked_sealed_at_rest_keep_omitted_secrets_and_are_validated(string backend)
    {
        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        var settings = HubSettings.None with
        {
            Alerts = new AlertSettings { WebhookUrl = receiver.Url("/env-hook"), WebhookSecret = "env-hmac-secret" },
            Secrets = new SecretsSettings { Key = SecretsKey },
        };
        await using var hub = await HubServer.StartAsync(backend, (_, _) => Task.CompletedTask, settings);

        var all = await SendAsync(hub, HttpMethod.Get, "/api/alerts/channels", null, HttpStatusCode.OK);
        Assert.Equal(AlertSettings.AllChannels, all.EnumerateArray().Select(c => c.GetProperty("channel").GetString()));
        var webhook = await ChannelAsync(hub, "webhook");
        Assert.Equal((true, "env", receiver.Url("/env-hook"), "***"), (webhook.GetProperty("configured").GetBoolean(), webhook.GetProperty("source").GetString(),
            webhook.GetProperty("settings").GetProperty("url").GetString(), webhook.GetProperty("settings").GetProperty("secret").GetString()));
        var slack = await ChannelAsync(hub, "slack");
        Assert.Equal((false, JsonValueKind.Null, JsonValueKind.Null), (slack.GetProperty("configured").GetBoolean(), slack.GetProperty("source").ValueKind,
            slack.GetProperty("settings").GetProperty("webhookUrl").ValueKind));
        Assert.Equal("builtin", (await ChannelAsync(hub, "log")).GetProperty("source").GetString());

        // The API's webhook replaces the environment's (url and secret together); the answer masks the secret.
        var put = await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/api-hook"), secret = "api-hmac-secret-1" }, HttpStatusCode.OK);
        Assert.Equal(("api", true, "***"), (put.GetProperty("source").GetString(), put.GetProperty("environmentConfigured").GetBoolean(),
            put.GetProperty("settings").GetProperty("secret").GetString()));
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/slack", new { webhookUrl = receiver.Url("/slack/T1/B1/api-slack-path") }, HttpStatusCode.OK);
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/email", new { host = "127.0.0.1", port = 2525, user = "krxhub", password = "api-smtp-password", startTls = false,
            from = "krxhub@example.test", to = "a@example.test, b@example.test" }, HttpStatusCode.OK);

        // Sealed at rest under KRXHUB_SECRETS__KEY: the stored JSON holds none of the secrets, and they open with the key.
        var rows = await hub.Store.GetAlertChannelsAsync(CancellationToken.None);
        Assert.Equal(["email", "slack", "webhook"], rows.Select(r => r.Channel));
        var stored = JsonDocument.Parse(rows.Single(r => r.Channel == "webhook").Settings).RootElement;
        Assert.Equal(receiver.Url("/api-hook"), stored.GetProperty("url").GetString());
        Assert.True(SecretBox.IsSealed(stored.GetProperty("secret").GetString()!));
        Assert.Equal("api-hmac-secret-1", new SecretBox(SecretsKey).Open(stored.GetProperty("secret").GetString()!));
        var state = await hub.Services.GetRequiredService<AlertChannelConfig>().CurrentAsync(CancellationToken.None);
        var printed = string.Join('\n', state.Api.Values.Select(a => a.ToString()).Concat(rows.Select(r => r.ToString())).Append(state.Effective.ToString()));
        Assert.Contains("Secret = ***", printed, StringComparison.Ordinal);
        foreach (var secret in new[] { "api-hmac-secret-1", "api-slack-path", "api-smtp-password" })
        {
            Assert.DoesNotContain(secret, printed, StringComparison.Ordinal);
        }

        // A PUT without the secret changes the url and keeps the secret: the test message is signed with it.
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/api-hook-2") }, HttpStatusCode.OK);
        var tested = await SendAsync(hub, HttpMethod.Post, "/api/alerts/channels/webhook/test", null, HttpStatusCode.OK);
        Assert.True(tested.GetProperty("ok").GetBoolean(), tested.ToString());
        var hook = Assert.Single(receiver.Requests("/api-hook-2"));
        Assert.Equal(AlertChannels.Signature("api-hmac-secret-1", hook.Body), hook.Signature);
        Assert.Empty(receiver.Requests("/env-hook"));

        // An empty secret removes it: unsigned.
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/api-hook-2"), secret = "" }, HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, (await ChannelAsync(hub, "webhook")).GetProperty("settings").GetProperty("secret").ValueKind);

        foreach (var (channel, body, field) in new (string, object, string)[]
        {
            ("webhook", new { url = "ftp://example.test/x" }, "url"),
            ("webhook", new { }, "url"),
            ("webhook", new { url = receiver.Url("/x"), host = "smtp.example.test" }, "host"),
            ("slack", new { webhookUrl = "hooks.slack.com/services/x" }, "webhookUrl"),
            ("telegram", new { chatId = "-100" }, "botToken"),
            ("telegram", new { botToken = "1:A", chatId = "-100", apiBase = "file:///etc" }, "apiBase"),
            ("email", new { host = "smtp.example.test", port = 70_000, from = "a@example.test", to = "b@example.test" }, "port"),
            ("email", new { host = "smtp.example.test", from = "not-an-address", to = "b@example.test" }, "from"),
            ("email", new { host = "smtp.example.test", from = "a@example.test", to = "b@example.test, nobody" }, "to"),
            ("email", new { host = "bad host!", from = "a@example.test", to = "b@example.test" }, "host"),
            ("log", new { }, "channel"),
        })
        {
            var problem = await SendAsync(hub, HttpMethod.Put, $"/api/alerts/channels/{channel}", body, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{channel} {field}: {problem}");
        }

        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/pager", new { }, HttpStatusCode.NotFound);

        // No answer carries a secret; a dropped override gives the channel back to the environment.
        using (var listed = await hub.Client.GetAsync(new Uri("/api/alerts/channels", UriKind.Relative)))
        {
            var text = await listed.Content.ReadAsStringAsync();
            foreach (var secret in new[] { "env-hmac-secret", "api-hmac-secret-1", "api-slack-path", "api-smtp-password" })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }

        await SendAsync(hub, HttpMethod.Delete, "/api/alerts/channels/webhook", null, HttpStatusCode.NoContent);
        await SendAsync(hub, HttpMethod.Delete, "/api/alerts/channels/webhook", null, HttpStatusCode.NotFound);
        Assert.Equal(("env", "***"), ((await ChannelAsync(hub, "webhook")).GetProperty("source").GetString(),
            (await ChannelAsync(hub, "webhook")).GetProperty("settings").GetProperty("secret").GetString()));
        await SendAsync(hub, HttpMethod.Post, "/api/alerts/channels/webhook/test", null, HttpStatusCode.OK);
        Assert.Equal(AlertChannels.Signature("env-hmac-secret", receiver.Requests("/env-hook")[0].Body), receiver.Requests("/env-hook")[0].Signature);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_test_endpoint_reaches_each_fake_and_reports_a_refusal_and_the_sender_uses_api_channels_without_a_restart(string backend)
    {
        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        await using var smtp = ConditionsTests.FakeSmtp.Start();
        await using var hub = await HubServer.StartAsync(backend,
            (_, store) => TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv }));

        // Nothing from the environment: a condition may not use the webhook, and it cannot be tested.
        await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "x", expression = "close > 0", channels = new[] { "webhook" } }, HttpStatusCode.BadRequest);
        await SendAsync(hub, HttpMethod.Post, "/api/alerts/channels/webhook/test", null, HttpStatusCode.Conflict);

        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/hook"), secret = "s3cret" }, HttpStatusCode.OK);
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/slack", new { webhookUrl = receiver.Url("/slack/T000/B000/XXXX") }, HttpStatusCode.OK);
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/telegram", new { botToken = "123:ABC", chatId = "-100", apiBase = receiver.Url(string.Empty) }, HttpStatusCode.OK);
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/email", new { host = "127.0.0.1", port = smtp.Port, startTls = false,
            from = "krxhub@example.test", to = "trader@example.test" }, HttpStatusCode.OK);
        foreach (var channel in new[] { "webhook", "slack", "telegram", "email", "log" })
        {
            var result = await SendAsync(hub, HttpMethod.Post, $"/api/alerts/channels/{channel}/test", null, HttpStatusCode.OK);
            Assert.True(result.GetProperty("ok").GetBoolean(), $"{channel}: {result}");
        }

        var hook = Assert.Single(receiver.Requests("/hook"));
        Assert.Equal(AlertChannels.Signature("s3cret", hook.Body), hook.Signature);
        Assert.True(JsonDocument.Parse(hook.Body).RootElement.GetProperty("test").GetBoolean());
        Assert.StartsWith("krxhub-test-", hook.Key, StringComparison.Ordinal);
        Assert.Contains("[KrxHub 테스트]", JsonDocument.Parse(Assert.Single(receiver.Requests("/slack/T000/B000/XXXX")).Body).RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("-100", JsonDocument.Parse(Assert.Single(receiver.Requests("/bot123:ABC/sendMessage")).Body).RootElement.GetProperty("chat_id").GetString());
        Assert.Contains("RCPT TO:<trader@example.test>", Assert.Single(smtp.Messages).Envelope, StringComparison.Ordinal);

        // A refusal is reported, not thrown; the Telegram error names the channel, not its token.
        receiver.FailNext("/bot123:ABC/sendMessage");
        var refused = await SendAsync(hub, HttpMethod.Post, "/api/alerts/channels/telegram/test", null, HttpStatusCode.OK);
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.Contains("500", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("123:ABC", refused.ToString(), StringComparison.Ordinal);

        // The sender delivers a condition's alert over the API's webhook, and over the changed one after a PUT, without a restart.
        var id = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "삼성", expression = "code == \"005930\" and close > 0", channels = new[] { "webhook" } },
            HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-08", null, HttpStatusCode.OK);
        var sender = hub.Services.GetRequiredService<AlertSender>();
        Assert.Equal(1, await sender.SendDueAsync(CancellationToken.None));
        Assert.Equal(2, receiver.Requests("/hook").Count);
        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/hook-2") }, HttpStatusCode.OK);
        var second = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "하이닉스", expression = "code == \"000660\" and close > 0", channels = new[] { "webhook" } },
            HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{second}/evaluate?date=2024-02-13", null, HttpStatusCode.OK);
        Assert.Equal(1, await sender.SendDueAsync(CancellationToken.None));
        var moved = Assert.Single(receiver.Requests("/hook-2"));
        Assert.Equal(AlertChannels.Signature("s3cret", moved.Body), moved.Signature); // the kept secret
        Assert.Equal("000660", JsonDocument.Parse(moved.Body).RootElement.GetProperty("code").GetString());
        Assert.Equal(2, receiver.Requests("/hook").Count);
    }

    [Fact]
    public async Task A_channel_set_through_one_node_reaches_the_sender_of_another_node_within_the_cache_time()
    {
        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        var settings = HubSettings.None with
        {
            Alerts = new AlertSettings { WebhookUrl = receiver.Url("/env-hook") },
            Secrets = new SecretsSettings { Key = SecretsKey },
        };
        await using var hub = await HubServer.StartAsync("sqlite",
            (_, store) => TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv }), settings);
        var options = new HubOptions(new StoreLocation(hub.Test.DataDirectory, hub.Test.Database), "http://127.0.0.1:0", false)
        {
            Time = FixedTime.Default,
            ShowProgress = false,
            Settings = settings,
            RunConditionWorkers = false,
        };
        await using var other = HubApp.Build(options, await hub.Test.OpenAsync(), TestData.Calendar);
        var otherConfig = other.Services.GetRequiredService<AlertChannelConfig>();
        Assert.Equal(receiver.Url("/env-hook"), (await otherConfig.CurrentAsync(CancellationToken.None)).Effective.WebhookUrl); // cached now

        await SendAsync(hub, HttpMethod.Put, "/api/alerts/channels/webhook", new { url = receiver.Url("/api-hook"), secret = "node-secret" }, HttpStatusCode.OK);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () => (await otherConfig.CurrentAsync(CancellationToken.None)).Effective.WebhookUrl == receiver.Url("/api-hook"),
            AlertChannelConfig.CacheFor + TimeSpan.FromSeconds(5), "the other node reads the API's webhook");
        Assert.True(started.Elapsed < AlertChannelConfig.CacheFor + TimeSpan.FromSeconds(1), $"{started.Elapsed}");

        var id = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "삼성", expression = "code == \"005930\" and close > 0", channels = new[] { "webhook" } },
            HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-13", null, HttpStatusCode.OK);
        Assert.Equal(1, await other.Services.GetRequiredService<AlertSender>().SendDueAsync(CancellationToken.None));
        var hook = Assert.Single(receiver.Requests("/api-hook"));
        Assert.Equal(AlertChannels.Signature("node-secret", hook.Body), hook.Signature);
        Assert.Empty(receiver.Requests("/env-hook"));
    }
}
