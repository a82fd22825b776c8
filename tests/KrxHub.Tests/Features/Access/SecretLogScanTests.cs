using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using KrxHub.Features.Access;
using KrxHub.Features.Collection;
using KrxHub.Features.Conditions;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Tests.Kiwoom;
using KrxHub.Storage;
using KrxHub.Testing;
using KrxHub.Tests.Collection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrxHub.Tests;

/// <summary>
/// A full hub run with every secret set — Kiwoom keys and token, the KRX key, every alert channel's secret, the secrets
/// key, two API keys, and a Telegram token and SMTP password set through the API — through scheduled collection, alerts (one refused), REST and /ws: no log line carries any of them,
/// and the Kiwoom token is encrypted at rest.
/// </summary>
public sealed class SecretLogScanTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task No_log_line_of_a_full_hub_run_carries_a_secret_and_the_kiwoom_token_is_encrypted_at_rest()
    {
        var clock = new FixedTime(new DateTimeOffset(2024, 1, 15, 18, 5, 0, TimeSpan.FromHours(9)));
        await using var market = await KiwoomMarket.StartAsync(clock);
        await using var receiver = await ConditionsTests.FakeReceiver.StartAsync();
        await using var smtp = ConditionsTests.FakeSmtp.Start();
        var codes = KiwoomMarket.TradedEverySession(3);
        market.MasterOnly = [.. codes];

        const string KrxKey = "KRXAUTHKEY-5d1c0ffee";
        const string WebhookSecret = "hmac-secret-9f8e7d";
        const string SlackPath = "/slack/T0SECRET/B0SECRET/slacksecret123";
        const string TelegramToken = "987654:TELEGRAM-SECRET-TOKEN";
        const string SmtpPassword = "smtp-password-42!";
        const string SecretsKey = "secrets-key-for-at-rest-encryption-0123456789";
        const string ApiTelegramToken = "555777:API-TELEGRAM-SECRET";
        const string ApiSmtpPassword = "api-smtp-password-77";
        var environment = market.Environment();
        environment["KRXHUB_COLLECTION__MINUTE"] = "false";
        environment["KRXHUB_COLLECTION__POLLINTERVAL"] = "00:00:00.05";
        environment["KRXHUB_COLLECTION__RETRYAFTER"] = "01:00:00";
        environment["KRXHUB_KRX__AUTHKEY"] = KrxKey;
        environment["KRXHUB_KRX__OPENAPIURL"] = "http://127.0.0.1:9/"; // nothing listens: the KRX job fails, and its errors are logged
        environment["KRXHUB_ALERTS__WEBHOOKURL"] = receiver.Url("/hook");
        environment["KRXHUB_ALERTS__WEBHOOKSECRET"] = WebhookSecret;
        environment["KRXHUB_ALERTS__SLACKWEBHOOKURL"] = receiver.Url(SlackPath);
        environment["KRXHUB_ALERTS__TELEGRAMBOTTOKEN"] = TelegramToken;
        environment["KRXHUB_ALERTS__TELEGRAMCHATID"] = "-100";
        environment["KRXHUB_ALERTS__TELEGRAMAPIBASE"] = receiver.Url(string.Empty);
        environment["KRXHUB_ALERTS__SMTPHOST"] = "127.0.0.1";
        environment["KRXHUB_ALERTS__SMTPPORT"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["KRXHUB_ALERTS__SMTPSTARTTLS"] = "false";
        environment["KRXHUB_ALERTS__SMTPUSER"] = "krxhub";
        environment["KRXHUB_ALERTS__SMTPPASSWORD"] = SmtpPassword; // the fake offers no AUTH: every mail fails, and the failure is logged
        environment["KRXHUB_ALERTS__SMTPFROM"] = "krxhub@example.test";
        environment["KRXHUB_ALERTS__SMTPTO"] = "trader@example.test";
        environment["KRXHUB_SECRETS__KEY"] = SecretsKey;

        await using var test = await TestStore.CreateAsync("sqlite");
        string adminKey, readKey;
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            await TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv });
            adminKey = (await ApiKeys.AddAsync(store, "ops", Roles.Admin, clock.GetUtcNow(), Ct))!.Value.Key;
            readKey = (await ApiKeys.AddAsync(store, "notebook", Roles.Read, clock.GetUtcNow(), Ct))!.Value.Key;
        }

        var logs = new CapturingLoggerProvider();
        var options = new HubOptions(new StoreLocation(test.DataDirectory, null), "http://127.0.0.1:0", false)
        {
            Settings = KiwoomMarket.Settings(environment),
            Time = clock,
            ShowProgress = true,
            RunConditionWorkers = false,
            ConfigureLogging = l => l.SetMinimumLevel(LogLevel.Trace).AddFilter("KrxHub", LogLevel.Trace).AddProvider(logs),
        };
        var hub = HubApp.Build(options, await test.OpenAsync(), TestData.Calendar);
        await hub.StartAsync();
        var address = new Uri(hub.Urls.First());
        using var http = new HttpClient { BaseAddress = address };
        await using var check = await test.OpenAsync();

        // Scheduled collection: the Kiwoom token is issued and kept.
        await Eventually.TrueAsync(async () => await check.IsOccurrenceDoneAsync(JobSchedule.Master, "2024-01-15", Ct),
            TimeSpan.FromSeconds(30), () => "the master job ran; logs: " + logs.AllText);

        // REST with keys (right, wrong, by header and bearer), a condition and its alerts over every channel, one refused.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/conditions")
        {
            Content = JsonContent.Create(new { name = "삼성", expression = "code == \"005930\" and close > 0", channels = new[] { "webhook", "slack", "telegram", "email", "log" } }),
        })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using var created = await http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
            using var evaluate = new HttpRequestMessage(HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-13");
            evaluate.Headers.Add("X-Api-Key", adminKey);
            using var evaluated = await http.SendAsync(evaluate, Ct);
            Assert.Equal(HttpStatusCode.OK, evaluated.StatusCode);
        }

        var answers = new System.Text.StringBuilder();
        // Secrets set through the API: a Telegram token and an SMTP password (the fake has no AUTH: its test fails and is logged).
        foreach (var (method, url, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Put, "/api/alerts/channels/telegram", new { botToken = ApiTelegramToken, chatId = "-200", apiBase = receiver.Url(string.Empty) }),
            (HttpMethod.Put, "/api/alerts/channels/email", new { host = "127.0.0.1", port = smtp.Port, startTls = false, user = "krxhub", password = ApiSmtpPassword,
                from = "krxhub@example.test", to = "trader@example.test" }),
            (HttpMethod.Post, "/api/alerts/channels/telegram/test", null), (HttpMethod.Post, "/api/alerts/channels/email/test", null),
            (HttpMethod.Get, "/api/alerts/channels", null),
        })
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using var response = await http.SendAsync(request, Ct);
            var answer = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, $"{method} {url}: {answer}");
            answers.AppendLine(answer);
        }

        receiver.FailNext("/hook");
        receiver.FailNext(SlackPath);
        var sender = hub.Services.GetRequiredService<AlertSender>();
        await sender.SendDueAsync(Ct);
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/stocks/005930"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", readKey + "x");
            using var refused = await http.SendAsync(wrong, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var ws = new ClientWebSocket())
        {
            await ws.ConnectAsync(new Uri($"ws://{address.Authority}/ws?{ApiKeyAuthentication.QueryParameter}={Uri.EscapeDataString(readKey)}"), Ct);
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
        }

        await hub.StopAsync();
        await hub.DisposeAsync();

        var issued = market.Server.IssuedTokens;
        Assert.NotEmpty(issued);
        var stored = await check.GetSourceTokenAsync(KiwoomWiring.TokenSource, Ct);
        Assert.True(SecretBox.IsSealed(stored!.Token), "the Kiwoom token is stored sealed");
        Assert.Equal(issued.Last(), new SecretBox(SecretsKey).Open(stored.Token));
        Assert.Contains("Kiwoom token issued", logs.AllText, StringComparison.Ordinal); // the lines were captured
        Assert.Contains((await check.GetAlertsAsync(null, 100, Ct)), a => a.Channel == "email" && a.LastError is not null); // the SMTP failure happened
        Assert.Contains("alert channel email tested: ", logs.AllText, StringComparison.Ordinal);
        Assert.Equal(2, receiver.Requests($"/bot{ApiTelegramToken}/sendMessage").Count); // the test message and the alert took the API's token
        var storedChannels = await check.GetAlertChannelsAsync(Ct);
        var sealedToken = JsonDocument.Parse(storedChannels.Single(c => c.Channel == "telegram").Settings).RootElement.GetProperty("botToken").GetString()!;
        Assert.Equal(ApiTelegramToken, new SecretBox(SecretsKey).Open(sealedToken)); // sealed under the key, and it opens

        var secrets = new[]
        {
            FakeKiwoomServer.AppKey, FakeKiwoomServer.SecretKey, KrxKey, WebhookSecret, SlackPath, "slacksecret123", TelegramToken, SmtpPassword,
            SecretsKey, adminKey, readKey, ApiTelegramToken, ApiSmtpPassword,
        }.Concat(issued);
        var everything = logs.AllText + answers + string.Join('\n', storedChannels.Select(c => c.Settings)) + string.Join('\n', (await check.GetAlertsAsync(null, 100, Ct)).Select(a => a.LastError))
            + string.Join('\n', (await check.GetRunsAsync(100, 0, Ct)).Select(r => $"{r.Parameters} {r.Error}"));
        foreach (var secret in secrets)
        {
            Assert.False(everything.Contains(secret, StringComparison.Ordinal),
                $"'{secret}' appears in: {string.Join('\n', everything.Split('\n').Where(l => l.Contains(secret, StringComparison.Ordinal)).Take(3))}");
        }
    }
}
