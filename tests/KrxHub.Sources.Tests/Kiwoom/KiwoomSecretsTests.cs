using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Sources.Kiwoom;
using static KrxHub.Sources.Tests.Kiwoom.KiwoomTestKit;

namespace KrxHub.Sources.Tests.Kiwoom;

public sealed class KiwoomSecretsTests
{
    [Fact]
    public async Task The_key_the_secret_and_the_tokens_never_appear_in_logs_or_error_messages()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 9, 8, 0, 0, 0, TimeSpan.Zero));
        await using var server = await FakeKiwoomServer.StartAsync(clock);
        server.TokenLifetime = TimeSpan.FromHours(1);
        server.Rows["ka10099"] = [new JsonObject { ["code"] = "005930", ["name"] = "삼성전자" }];
        var logs = new CapturingLoggerProvider();
        var client = Client(server, clock, logger: logs.CreateLogger<KiwoomClient>(), store: KiwoomTokenStore.InMemory());
        var errors = new List<string>();
        async Task Run(Func<Task> call)
        {
            try
            {
                await call();
            }
            catch (KiwoomException e)
            {
                errors.Add(e.ToString());
            }
        }

        Task List() => client.GetStockListAsync(Market.Kospi, CancellationToken.None);

        // Issue, use, 8005 and re-issue, refresh near expiry, retries, refused and malformed answers, revoke.
        await Run(List);
        server.InvalidateAllTokens();
        await Run(List);
        clock.Advance(TimeSpan.FromMinutes(55));
        await Run(List);
        server.EnqueueFault(FakeKiwoomServer.RateLimited("ka10099"));
        server.EnqueueFault(FakeKiwoomServer.Raw(503, FakeKiwoomServer.HtmlErrorPage, "text/html"));
        await Run(List);
        server.EnqueueFault(FakeKiwoomServer.ReturnCode(8005, "Token이 유효하지 않습니다"));
        server.EnqueueFault(FakeKiwoomServer.ReturnCode(8005, "Token이 유효하지 않습니다"));
        await Run(List);
        server.EnqueueFault(FakeKiwoomServer.Raw(200, """{"list":[{"code":"0059"""));
        await Run(List);
        server.EnqueueFault(FakeKiwoomServer.BatchTooLarge());
        await Run(List);

        // Answers that echo the request's credentials (an error page or a message quoting them) are masked too.
        var token = server.IssuedTokens.Last();
        server.EnqueueFault(FakeKiwoomServer.Raw(200, $"<html><body>denied appkey={FakeKiwoomServer.AppKey} token={token}</body></html>", "text/html"));
        await Run(List);
        server.EnqueueFault(FakeKiwoomServer.ReturnCode(1517, $"입력 값 형식이 올바르지 않습니다 (secretkey={FakeKiwoomServer.SecretKey})"));
        await Run(List);
        Assert.Contains("appkey=***", errors[^2], StringComparison.Ordinal);
        await Run(() => client.RevokeTokenAsync(CancellationToken.None));

        // Refused keys: the wrong secret is a secret too.
        const string wrongSecret = "SECRET-wrong-9931";
        var refused = Client(server, clock, Options(server) with { SecretKey = wrongSecret }, logs.CreateLogger<KiwoomClient>());
        await Run(() => refused.GetStockListAsync(Market.Kospi, CancellationToken.None));

        var tokens = server.IssuedTokens.ToArray();
        Assert.True(tokens.Length >= 4, $"only {tokens.Length} tokens were issued");
        Assert.True(logs.Entries.Count > 10, "too few log entries to prove anything");
        Assert.Equal(6, errors.Count);
        var text = logs.AllText + "\n" + string.Join("\n", errors);
        Assert.Contains("token", text, StringComparison.OrdinalIgnoreCase);
        foreach (var secret in tokens.Append(FakeKiwoomServer.AppKey).Append(FakeKiwoomServer.SecretKey).Append(wrongSecret))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
