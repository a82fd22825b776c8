using System.Text.Json;
using System.Text.Json.Nodes;
using KrxHub.Sources.Kiwoom;
using static KrxHub.Sources.Tests.Kiwoom.KiwoomTestKit;

namespace KrxHub.Sources.Tests.Kiwoom;

public sealed class KiwoomTokenTests : IAsyncLifetime
{
    // 23:00 UTC is 08:00 the next morning in Seoul: a clock in UTC and expires_dt in KST disagree on the date.
    private static readonly DateTimeOffset Start = new(2024, 11, 6, 23, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _clock = new(Start);
    private FakeKiwoomServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKiwoomServer.StartAsync(_clock);
        _server.Rows["ka10099"] = [new JsonObject { ["code"] = "005930", ["name"] = "삼성전자" }];
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<KiwoomRows<KiwoomListedStock>> Call(KiwoomClient client) => client.GetStockListAsync(KrxHub.Core.Market.Kospi, CancellationToken.None);

    [Fact]
    public async Task The_token_is_issued_with_grant_type_appkey_and_secretkey()
    {
        var client = Client(_server, _clock);

        await Call(client);

        var issue = Assert.Single(_server.Arrivals, a => a.Path == "/oauth2/token");
        var body = JsonSerializer.Deserialize<Dictionary<string, string>>(issue.Body)!;
        Assert.Equal(("client_credentials", FakeKiwoomServer.AppKey, FakeKiwoomServer.SecretKey), (body["grant_type"], body["appkey"], body["secretkey"]));
        Assert.Equal($"Bearer {_server.IssuedTokens.Single()}", _server.Calls("ka10099").Single().Authorization);
    }

    [Fact]
    public async Task Expires_dt_is_read_as_Korean_time_when_the_clock_is_UTC()
    {
        _server.TokenLifetime = TimeSpan.FromHours(1);
        var client = Client(_server, _clock);

        await Call(client);

        // The server wrote expires_dt = "20241107090000" (09:00 in Seoul) = 00:00 UTC, one hour from now, not nine plus one.
        Assert.Equal(Start.AddHours(1), client.TokenExpiresAt);
    }

    [Fact]
    public async Task The_token_is_reused_until_ten_minutes_before_expiry_and_then_refreshed()
    {
        _server.TokenLifetime = TimeSpan.FromHours(1);
        var client = Client(_server, _clock);

        await Call(client);
        _clock.Advance(TimeSpan.FromMinutes(49));
        await Call(client);
        Assert.Equal(1, _server.TokenRequests);

        // 51 minutes in: 9 minutes left, inside the 10-minute margin. Reading expires_dt as UTC would put expiry 9 hours
        // later and keep the old token (until the server refuses it).
        _clock.Advance(TimeSpan.FromMinutes(2));
        await Call(client);

        Assert.Equal(2, _server.TokenRequests);
        var tokens = _server.IssuedTokens.ToArray();
        Assert.Equal(["Bearer " + tokens[0], "Bearer " + tokens[0], "Bearer " + tokens[1]], _server.Calls("ka10099").Select(c => c.Authorization));
    }

    [Fact]
    public async Task A_token_refused_with_8005_is_reissued_once_and_the_call_retried()
    {
        var client = Client(_server, _clock);
        await Call(client);
        _server.InvalidateAllTokens();

        var rows = await Call(client);

        Assert.Single(rows.Rows);
        Assert.Equal(2, _server.TokenRequests);
        var tokens = _server.IssuedTokens.ToArray();
        Assert.Equal(["Bearer " + tokens[0], "Bearer " + tokens[0], "Bearer " + tokens[1]], _server.Calls("ka10099").Select(c => c.Authorization));
    }

    [Theory]
    [InlineData(401, "인증에 실패했습니다")]
    [InlineData(8031, "투자구분(실전/모의)이 달라서 Appkey/Token 사용 불가")]
    [InlineData(8103, "토큰 인증 또는 단말기인증 실패")]
    [InlineData(3, "Token이 유효하지 않습니다[8005:Token이 유효하지 않습니다]")]
    public async Task HTTP_401_and_the_other_token_codes_also_reissue_once(int answer, string message)
    {
        var client = Client(_server, _clock);
        _server.EnqueueFault(answer == 401
            ? FakeKiwoomServer.Raw(401, $$"""{"return_code":3,"return_msg":"{{message}}"}""")
            : FakeKiwoomServer.ReturnCode(answer, message));

        var rows = await Call(client);

        Assert.Single(rows.Rows);
        Assert.Equal(2, _server.TokenRequests);
        Assert.Equal(2, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task A_token_refused_again_after_the_reissue_fails_without_looping()
    {
        var client = Client(_server, _clock);
        _server.EnqueueFault(FakeKiwoomServer.ReturnCode(8005, "Token이 유효하지 않습니다"));
        _server.EnqueueFault(FakeKiwoomServer.ReturnCode(8005, "Token이 유효하지 않습니다"));

        var e = await Assert.ThrowsAsync<KiwoomAuthException>(() => Call(client));

        Assert.Contains("8005", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.TokenRequests);
        Assert.Equal(2, _server.Calls("ka10099").Count);
    }

    [Fact]
    public async Task Wrong_keys_fail_with_an_auth_error_and_are_not_retried()
    {
        var options = Options(_server) with { SecretKey = "not-the-secret" };
        var client = Client(_server, _clock, options);

        var e = await Assert.ThrowsAsync<KiwoomAuthException>(() => Call(client));

        Assert.Contains("8001", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.TokenRequests);
        Assert.Empty(_server.Calls("ka10099"));
    }

    [Fact]
    public async Task A_stored_token_is_used_after_a_restart_and_a_new_one_is_saved()
    {
        var store = KiwoomTokenStore.InMemory();
        await Call(Client(_server, _clock, store: store));
        var saved = await store.LoadAsync(CancellationToken.None);
        Assert.Equal(_server.IssuedTokens.Single(), saved!.Token);

        // A second process with the same store issues nothing.
        await Call(Client(_server, _clock, store: store));
        Assert.Equal(1, _server.TokenRequests);

        // A stored token for another host (the mock server, say) is ignored.
        await store.SaveAsync(saved with { BaseUrl = KiwoomOptions.MockBaseUrl }, CancellationToken.None);
        await Call(Client(_server, _clock, store: store));
        Assert.Equal(2, _server.TokenRequests);
    }

    [Fact]
    public async Task A_stored_token_inside_the_refresh_margin_is_not_used()
    {
        var store = KiwoomTokenStore.InMemory();
        await store.SaveAsync(new CachedToken("TOKEN-old", Start.AddMinutes(5), _server.BaseUrl), CancellationToken.None);

        await Call(Client(_server, _clock, store: store));

        Assert.Equal(1, _server.TokenRequests);
        Assert.DoesNotContain(_server.Arrivals, a => a.Authorization == "Bearer TOKEN-old");
    }

    [Fact]
    public async Task The_file_store_keeps_the_token_between_processes_and_forgets_it_on_revoke()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kiwoom-token-{Guid.NewGuid():N}.json");
        try
        {
            var first = Client(_server, _clock, store: KiwoomTokenStore.File(path));
            await Call(first);
            Assert.True(File.Exists(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var second = Client(_server, _clock, store: KiwoomTokenStore.File(path));
            await Call(second);
            Assert.Equal(1, _server.TokenRequests);

            Assert.True(await second.RevokeTokenAsync(CancellationToken.None));
            Assert.False(File.Exists(path));
            Assert.Equal(_server.IssuedTokens.Single(), _server.RevokedTokens.Single());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Revoke_sends_appkey_secretkey_and_token_and_the_next_call_issues_a_new_token()
    {
        var client = Client(_server, _clock);
        Assert.False(await client.RevokeTokenAsync(CancellationToken.None));
        await Call(client);

        Assert.True(await client.RevokeTokenAsync(CancellationToken.None));

        var revoke = Assert.Single(_server.Arrivals, a => a.Path == "/oauth2/revoke");
        var body = JsonSerializer.Deserialize<Dictionary<string, string>>(revoke.Body)!;
        Assert.Equal((FakeKiwoomServer.AppKey, FakeKiwoomServer.SecretKey, _server.IssuedTokens.Single()), (body["appkey"], body["secretkey"], body["token"]));
        Assert.Null(client.TokenExpiresAt);
        await Call(client);
        Assert.Equal(2, _server.TokenRequests);
    }

    [Fact]
    public async Task Concurrent_first_calls_share_one_token_issue()
    {
        var client = Client(_server, _clock);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Call(client)));

        Assert.Equal(1, _server.TokenRequests);
    }
}
