using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Conditions;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Storage;
using KrxHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KrxHub.Tests;

/// <summary>Saved conditions: CRUD, entries and exits over real stored sessions, the dedupe window, and delivery over each channel to local fakes.</summary>
public class ConditionsTests
{
    private static Task<HubServer> RawWindowHubAsync(string backend, HubSettings? settings = null) =>
        HubServer.StartAsync(backend, (_, store) => TestData.ImportAsync(store, BundledData.RawWindow, new ImportOptions { Format = ImportFormat.MarcapCsv }), settings);

    internal static async Task<JsonElement> SendAsync(HubServer hub, HttpMethod method, string url, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await hub.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {url}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Per stock, read one at a time: does close exceed the average of its last five closes on <paramref name="day"/>?</summary>
    private static async Task<(HashSet<string> True, HashSet<string> False)> BruteForceAsync(MarketStore store, DateOnly day)
    {
        var (yes, no) = (new HashSet<string>(), new HashSet<string>());
        foreach (var stock in await store.GetAllStocksAsync(CancellationToken.None))
        {
            var bars = await store.GetBarsAsync(stock.Code, day.AddDays(-30), day, PriceBasis.Raw, CancellationToken.None);
            if (!stock.IsListedOn(day) || bars.Count < 5 || bars[^1].Date != day)
            {
                continue;
            }

            (bars[^1].Close > bars.TakeLast(5).Average(b => b.Close) ? yes : no).Add(stock.Code.Value);
        }

        return (yes, no);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Conditions_are_saved_validated_replaced_and_deleted(string backend)
    {
        await using var hub = await HubServer.StartAsync(backend, (_, _) => Task.CompletedTask);
        var bad = await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "x", expression = "close > sam(close, 20)" }, HttpStatusCode.BadRequest);
        Assert.Equal(9, bad.GetProperty("column").GetInt32());
        foreach (var (body, field) in new (object, string)[]
        {
            (new { expression = "close > 1" }, "name"),
            (new { name = "x", expression = "close > 1", schedule = "hourly" }, "schedule"),
            (new { name = "x", expression = "close > 1", intervalSeconds = 2 }, "intervalSeconds"),
            (new { name = "x", expression = "close > 1", channels = new[] { "pager" } }, "channels"),
            (new { name = "x", expression = "close > 1", channels = new[] { "slack" } }, "channels"), // not configured
            (new { name = "x", expression = "close > 1", market = "NYSE" }, "market"),
        })
        {
            var problem = await SendAsync(hub, HttpMethod.Post, "/api/conditions", body, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field}: {problem}");
        }

        var created = await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "돌파", expression = "close > highest(ref(close, 1), 20)", market = "KOSDAQ" }, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal(("interval", 30, "KOSDAQ", "user"), (created.GetProperty("schedule").GetString(), created.GetProperty("intervalSeconds").GetInt32(),
            created.GetProperty("market").GetString(), created.GetProperty("origin").GetString()));
        await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "돌파", expression = "close > 1" }, HttpStatusCode.Conflict);
        var replaced = await SendAsync(hub, HttpMethod.Put, $"/api/conditions/{id}", new { name = "돌파", expression = "close > 2", schedule = "eod", active = false }, HttpStatusCode.OK);
        Assert.Equal(("close > 2", "eod", false), (replaced.GetProperty("expression").GetString(), replaced.GetProperty("schedule").GetString(), replaced.GetProperty("active").GetBoolean()));
        Assert.Single((await SendAsync(hub, HttpMethod.Get, "/api/conditions", null, HttpStatusCode.OK)).EnumerateArray());
        await SendAsync(hub, HttpMethod.Delete, $"/api/conditions/{id}", null, HttpStatusCode.NoContent);
        await SendAsync(hub, HttpMethod.Get, $"/api/conditions/{id}", null, HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Entries_and_exits_between_two_sessions_equal_a_brute_force_and_the_dedupe_window_holds(string backend)
    {
        await using var hub = await RawWindowHubAsync(backend);
        var id = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "5일선 위", expression = "close > sma(close, 5)" }, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        var (first, second) = (new DateOnly(2024, 2, 8), new DateOnly(2024, 2, 13));
        var before = await BruteForceAsync(hub.Store, first);
        var after = await BruteForceAsync(hub.Store, second);

        var run1 = await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-08", null, HttpStatusCode.OK);
        Assert.Equal((before.True.Count, before.True.Count, 0), (run1.GetProperty("matched").GetInt32(), run1.GetProperty("entries").GetInt32(), run1.GetProperty("exits").GetInt32()));
        var run2 = await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-13", null, HttpStatusCode.OK);
        var entries = after.True.Except(before.True).ToHashSet();
        var exits = before.True.Intersect(after.False).ToHashSet();
        Assert.True(entries.Count > 50 && exits.Count > 50, $"{entries.Count} entries, {exits.Count} exits");
        Assert.Equal((entries.Count, exits.Count), (run2.GetProperty("entries").GetInt32(), run2.GetProperty("exits").GetInt32()));

        var results = await SendAsync(hub, HttpMethod.Get, $"/api/conditions/{id}/results?from=2024-02-13&to=2024-02-13", null, HttpStatusCode.OK);
        Assert.Equal(entries.Order(), results.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("event").GetString() == "entry").Select(e => e.GetProperty("code").GetString()!).Order());
        Assert.Equal(exits.Order(), results.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("event").GetString() == "exit").Select(e => e.GetProperty("code").GetString()!).Order());
        Assert.Equal(before.True.Except(exits).Union(entries).Order(), results.GetProperty("matching").EnumerateArray().Select(c => c.GetString()!).Order());
        var samsungEvent = results.GetProperty("events").EnumerateArray().First();
        Assert.True(samsungEvent.GetProperty("values").TryGetProperty("sma(close, 5)", out _));

        // Within the 10-minute window (the test clock stands still) the re-entries of 02-08 are recorded but alert nobody again.
        var alertsBefore = (await hub.Store.GetAlertsAsync(null, 100_000, CancellationToken.None)).Count;
        Assert.Equal(before.True.Count + entries.Count + exits.Count, alertsBefore);
        var run3 = await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-08", null, HttpStatusCode.OK);
        Assert.Equal(exits.Count, run3.GetProperty("entries").GetInt32());
        var alertsAfter = await hub.Store.GetAlertsAsync(null, 100_000, CancellationToken.None);
        Assert.Equal(alertsBefore + entries.Count, alertsAfter.Count); // the 02-13 entries now exit: new events, new alerts; re-entries: none
        Assert.All(alertsAfter, a => Assert.Equal("log", a.Channel));
        Assert.Equal(10, (await SendAsync(hub, HttpMethod.Get, "/api/alerts?limit=10", null, HttpStatusCode.OK)).GetArrayLength());
        var message = alertsAfter[^1].Message;
        Assert.StartsWith("[조건 편입] 5일선 위", message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Alerts_reach_a_signed_webhook_slack_telegram_and_smtp_fake_once_each_and_a_failed_one_is_retried_with_the_same_key(string backend)
    {
        await using var receiver = await FakeReceiver.StartAsync();
        await using var smtp = FakeSmtp.Start();
        var settings = HubSettings.None with
        {
            Alerts = new AlertSettings
            {
                WebhookUrl = receiver.Url("/hook"),
                WebhookSecret = "s3cret",
                SlackWebhookUrl = receiver.Url("/slack/T000/B000/XXXX"),
                TelegramBotToken = "123:ABC",
                TelegramChatId = "-100",
                TelegramApiBase = receiver.Url(string.Empty),
                SmtpHost = "127.0.0.1",
                SmtpPort = smtp.Port,
                SmtpStartTls = false,
                SmtpFrom = "krxhub@example.test",
                SmtpTo = "trader@example.test",
            },
        };
        await using var hub = await RawWindowHubAsync(backend, settings);
        var id = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new
        {
            name = "삼성 5일선",
            expression = "code == \"005930\" and close > 0",
            channels = new[] { "webhook", "slack", "telegram", "email" },
        }, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-13", null, HttpStatusCode.OK);

        receiver.FailNext("/hook");
        var sender = hub.Services.GetRequiredService<AlertSender>();
        Assert.Equal(3, await sender.SendDueAsync(CancellationToken.None));
        var pending = Assert.Single((await SendAsync(hub, HttpMethod.Get, "/api/alerts?status=pending", null, HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal(("webhook", 1), (pending.GetProperty("channel").GetString(), pending.GetProperty("attempts").GetInt32()));
        Assert.Contains("500", pending.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await sender.SendDueAsync(CancellationToken.None)); // backing off
        await SendAsync(hub, HttpMethod.Post, $"/api/alerts/{pending.GetProperty("id").GetInt64()}/retry", null, HttpStatusCode.NoContent);
        Assert.Equal(1, await sender.SendDueAsync(CancellationToken.None));

        var hooks = receiver.Requests("/hook");
        Assert.Equal(2, hooks.Count); // the refused attempt and its retry
        Assert.Equal(hooks[0].Key, hooks[1].Key);
        Assert.Equal(pending.GetProperty("idempotencyKey").GetString(), hooks[1].Key);
        Assert.Equal(AlertChannels.Signature("s3cret", hooks[1].Body), hooks[1].Signature);
        using var hook = JsonDocument.Parse(hooks[1].Body);
        Assert.Equal(("005930", "entry", "삼성 5일선"), (hook.RootElement.GetProperty("code").GetString(), hook.RootElement.GetProperty("event").GetString(),
            hook.RootElement.GetProperty("condition").GetProperty("name").GetString()));

        using var slack = JsonDocument.Parse(Assert.Single(receiver.Requests("/slack/T000/B000/XXXX")).Body);
        Assert.Contains("삼성전자(005930)", slack.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        using var telegram = JsonDocument.Parse(Assert.Single(receiver.Requests("/bot123:ABC/sendMessage")).Body);
        Assert.Equal("-100", telegram.RootElement.GetProperty("chat_id").GetString());
        var mail = Assert.Single(smtp.Messages);
        Assert.Contains("RCPT TO:<trader@example.test>", mail.Envelope, StringComparison.Ordinal);
        Assert.Contains("X-KrxHub-Idempotency-Key: krxhub-", mail.Data, StringComparison.Ordinal);
        Assert.Empty((await SendAsync(hub, HttpMethod.Get, "/api/alerts?status=pending", null, HttpStatusCode.OK)).EnumerateArray());
        Assert.DoesNotContain("s3cret", hub.Services.GetRequiredService<AlertSettings>().ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_scheduler_runs_an_eod_condition_once_per_new_stored_session_and_leaves_interval_ones_outside_sessions(string backend)
    {
        await using var hub = await RawWindowHubAsync(backend);
        var eod = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "종가 5일선 위", expression = "close > sma(close, 5)", schedule = "eod" }, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "장중", expression = "close > 0", intervalSeconds = 5 }, HttpStatusCode.Created);
        var scheduler = hub.Services.GetRequiredService<ConditionScheduler>();

        // The test clock stands at 2025-06-30 18:00 KST, after the session: only the eod condition runs, on the newest stored session.
        var first = await scheduler.RunDueAsync(CancellationToken.None);
        var run = Assert.Single(first);
        Assert.Equal((eod, new DateOnly(2024, 2, 13)), (run.ConditionId, run.Session));
        Assert.Equal((await BruteForceAsync(hub.Store, new DateOnly(2024, 2, 13))).True.Count, run.Entries);
        Assert.Empty(await scheduler.RunDueAsync(CancellationToken.None)); // no newer session: nothing to do
        Assert.Equal(new DateOnly(2024, 2, 13), (await hub.Store.GetConditionAsync(eod, CancellationToken.None))!.LastSession);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_ws_alerts_channel_pushes_entries_and_exits_with_their_values(string backend)
    {
        await using var hub = await RawWindowHubAsync(backend);
        var feed = hub.Services.GetRequiredService<AlertFeed>();
        await feed.PollAsync(CancellationToken.None); // the feed starts from the newest event: none yet
        await using var ws = await WsClient.ConnectAsync(hub.Client.BaseAddress!);
        await ws.SendAsync(JsonSerializer.Serialize(new { op = "subscribe", channel = "alerts", id = 1 }));
        Assert.Equal("subscribed", (await ws.ReceiveAsync()).GetProperty("op").GetString());

        var id = (await SendAsync(hub, HttpMethod.Post, "/api/conditions", new { name = "삼성 70000 위", expression = "code == \"005930\" and close > 70000" }, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(hub, HttpMethod.Post, $"/api/conditions/{id}/evaluate?date=2024-02-13", null, HttpStatusCode.OK);
        await feed.PollAsync(CancellationToken.None);
        var message = await ws.ReceiveUntilAsync(m => m.GetProperty("op").GetString() == "alerts");
        var e = Assert.Single(message.GetProperty("events").EnumerateArray());
        var close = (await hub.Store.GetBarsAsync(StockCode.Parse("005930"), new DateOnly(2024, 2, 13), new DateOnly(2024, 2, 13), PriceBasis.Raw, CancellationToken.None))[0].Close;
        Assert.Equal(("005930", "entry", "삼성 70000 위", "2024-02-13"), (e.GetProperty("code").GetString(), e.GetProperty("event").GetString(),
            e.GetProperty("condition").GetString(), e.GetProperty("session").GetString()));
        Assert.Equal(close, e.GetProperty("values").GetProperty("close").GetDecimal());
        Assert.Equal(0, await feed.PollAsync(CancellationToken.None)); // nothing new, nothing pushed again
    }

    /// <summary>An HTTP server on loopback that records every POST (path, body, signature, idempotency key) and can refuse the next one.</summary>
    internal sealed class FakeReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, byte[] Body, string? Signature, string? Key)> _requests = new();
        private readonly ConcurrentDictionary<string, int> _failures = new();

        private FakeReceiver(WebApplication app) => _app = app;

        private string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FakeReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new FakeReceiver(app);
            app.Run(async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                var path = Uri.UnescapeDataString(context.Request.Path.Value!);
                receiver._requests.Enqueue((path, body.ToArray(), context.Request.Headers[AlertChannels.SignatureHeader].FirstOrDefault() ?? context.Request.Headers[AlertChannels.SignatureHeader].ToString(),
                    context.Request.Headers[AlertChannels.IdempotencyHeader].ToString()));
                context.Response.StatusCode = receiver._failures.TryRemove(path, out _) ? 500 : 200;
            });
            await app.StartAsync();
            return receiver;
        }

        public string Url(string path) => Address + path;

        public void FailNext(string path) => _failures[path] = 1;

        public List<(byte[] Body, string? Signature, string? Key)> Requests(string path) =>
            [.. _requests.Where(r => r.Path == path).Select(r => (r.Body, r.Signature, r.Key))];

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    /// <summary>A minimal SMTP server on loopback (RFC 5321 without extensions) that records each message's envelope and data.</summary>
    internal sealed class FakeSmtp : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        private FakeSmtp()
        {
            _listener.Start();
            _loop = Task.Run(() => AcceptAsync(_stop.Token));
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public ConcurrentQueue<(string Envelope, string Data)> Messages { get; } = new();

        public static FakeSmtp Start() => new();

        private async Task AcceptAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(ct);
                await using var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                await writer.WriteLineAsync("220 fake ESMTP");
                var envelope = new StringBuilder();
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    var verb = line.Split(' ')[0].ToUpperInvariant();
                    if (verb is "EHLO" or "HELO")
                    {
                        await writer.WriteLineAsync("250 fake");
                    }
                    else if (verb is "MAIL" or "RCPT")
                    {
                        envelope.AppendLine(line);
                        await writer.WriteLineAsync("250 OK");
                    }
                    else if (verb == "DATA")
                    {
                        await writer.WriteLineAsync("354 go ahead");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(ct) is { } d && d != ".")
                        {
                            data.AppendLine(d);
                        }

                        Messages.Enqueue((envelope.ToString(), data.ToString()));
                        await writer.WriteLineAsync("250 queued");
                    }
                    else if (verb == "QUIT")
                    {
                        await writer.WriteLineAsync("221 bye");
                        break;
                    }
                    else
                    {
                        await writer.WriteLineAsync("250 OK");
                    }
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }
    }
}
