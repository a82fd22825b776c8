using KrxHub.Core;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Sources.Tests.Kiwoom;
using static KrxHub.Sources.Tests.KrxOpenApi.KrxTestKit;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public sealed class KrxSecretsTests
{
    [Fact]
    public async Task The_AUTH_KEY_never_appears_in_logs_or_error_messages_even_when_the_server_echoes_it()
    {
        await using var server = await FakeKrxServer.StartAsync();
        ServeJan4(server);
        var logs = new CapturingLoggerProvider();
        var client = Client(server, logger: logs.CreateLogger<KrxOpenApiClient>());
        var errors = new List<string>();
        async Task Run(KrxOpenApiClient c)
        {
            try
            {
                await c.GetDailyAsync(Market.Kospi, Jan4, CancellationToken.None);
            }
            catch (KrxSourceException e)
            {
                errors.Add(e.ToString());
            }
        }

        // Success, retried echoing 5xx pages, an echoing page with 200, an echoing 400, a stall, truncated JSON, then a refused key.
        await Run(client);
        server.EnqueueFault(FakeKrxServer.EchoKeyPage(503));
        server.EnqueueFault(FakeKrxServer.EchoKeyPage(500));
        await Run(client);
        server.EnqueueFault(FakeKrxServer.EchoKeyPage(200));
        await Run(client);
        server.EnqueueFault(FakeKrxServer.EchoKeyPage(400));
        await Run(client);
        server.EnqueueFault(ctx => FakeKrxServer.Raw(200, "{\"OutBlock_1\":[{\"ISU_CD\":\"" + ctx.Request.Headers["AUTH_KEY"])(ctx));
        await Run(client);
        const string wrongKey = "KRXKEY-wrong-5521";
        await Run(Client(server, Options(server) with { AuthKey = wrongKey }, logs.CreateLogger<KrxOpenApiClient>()));

        Assert.Equal(4, errors.Count);
        Assert.True(logs.Entries.Count >= 8, $"only {logs.Entries.Count} log entries: too few to prove anything");
        var text = logs.AllText + "\n" + string.Join("\n", errors);
        Assert.Contains("AUTH_KEY=***", text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeKrxServer.AuthKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeKrxServer.AuthKey, Options(server).ToString(), StringComparison.Ordinal);
    }
}
