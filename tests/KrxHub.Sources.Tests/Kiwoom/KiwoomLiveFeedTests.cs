using System.Text;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Sources.Kiwoom;

namespace KrxHub.Sources.Tests.Kiwoom;

public sealed class KiwoomLiveFeedTests
{
    private static readonly DateOnly Day = new(2024, 1, 2);
    private static readonly StockCode Samsung = StockCode.Parse("005930");
    private static readonly StockCode Hynix = StockCode.Parse("000660");
    private static readonly StockCode Naver = StockCode.Parse("035420");
    private static readonly StockCode[] Three = [Samsung, Hynix, Naver];

    [Fact]
    public async Task Trades_parse_back_to_the_real_closes_of_005930_exactly()
    {
        var bars = RealBar.Of("005930");
        Assert.Equal(29, bars.Count);
        await using var h = await LiveHarness.StartAsync(Live.At(bars[0].Date, 15, 35));
        h.Rest.TokenLifetime = TimeSpan.FromDays(365);
        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();
        var session = await h.LoggedInAsync(1, [Samsung]);

        // Each day's closing trade on its own date: the clock says which day the HHMMSS belongs to.
        foreach (var bar in bars)
        {
            h.Clock.Now = Live.At(bar.Date, 15, 35);
            var before = h.Events.Count;
            await session.SendAsync(Live.Real(TradeSpec.Close(bar).Entry()));
            await h.Until(() => h.Events.Count > before, $"the close of {bar.Date}");
        }

        var expected = bars.Select(b => TradeSpec.Close(b).Expected(b.Date)).ToList();
        Assert.Equal(expected, h.Ticks("005930"));

        // Spot values straight from the data file, not from the spec the server was fed.
        var first = h.Ticks("005930")[0];
        Assert.Equal((79_600m, 1_100m, 1.40m, 17_142_847L, 1_356_958_000_000m, 78_200m, 79_800m, 78_200m),
            (first.Price, first.Change, first.ChangePct, first.AccVolume, first.AccValue, first.Open, first.High, first.Low));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 15, 30, 0, TimeSpan.FromHours(9)), first.Time);
        var down = h.Ticks("005930")[1];
        Assert.Equal((77_000m, -2_600m, -3.27m), (down.Price, down.Change, down.ChangePct));
        Assert.All(h.Events, e => Assert.Equal(LiveSources.Kiwoom, e.Source));
    }

    [Fact]
    public async Task After_a_dropped_connection_the_client_logs_in_again_registers_everything_and_delivers_each_trade_once()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0));

        // A token the WebSocket server no longer accepts (as after a server-side revocation): LOGIN gets 8005 once.
        var stale = await h.Client.GetAccessTokenAsync(null, CancellationToken.None);
        h.Rest.InvalidateAllTokens();
        await h.Feed.SetCodesAsync(Three, CancellationToken.None);
        h.Start();
        var first = await h.LoggedInAsync(1, Three);

        var tokens = h.Rest.IssuedTokens.ToArray();
        Assert.Equal(2, tokens.Length);
        var refused = Assert.Single(h.Ws.Sessions, s => s.LoginRefused);
        Assert.Equal(stale, refused.LoginToken);
        Assert.Equal(tokens[1], first.LoginToken);
        Assert.StartsWith("""{"trnm":"LOGIN","token":"TOKEN""", first.Received.First(), StringComparison.Ordinal);

        // PING: the echo must be the very bytes sent, odd spacing and escapes included.
        var ping = Encoding.UTF8.GetBytes("""{ "trnm" : "PING", "seq":17,"note":"\u0041 핑","t":[1, 2.50] }""");
        await first.SendAsync(ping, int.MaxValue);
        await h.Until(() => first.ReceivedBytes.Any(b => b.AsSpan().SequenceEqual(ping)), "the PING echo");

        var samsung = TradeSpec.Day(RealBar.On("005930", Day), 60);
        var hynix = TradeSpec.Day(RealBar.On("000660", Day), 10);
        var samsungBar = RealBar.On("005930", Day);

        // Three trades per message, interleaved with the other stock.
        for (var i = 0; i < 30; i += 3)
        {
            await first.SendAsync(Live.Real(samsung.Skip(i).Take(3).Select(t => t.Entry()).Append(hynix[i / 3].Entry())));
        }

        // One message far over 4 KB, sent in 1,000-byte frames: 15 trades and 10 books.
        var books = Enumerable.Range(0, 10)
            .Select(i => BookSpec.Around(Samsung, samsung[30 + i].Time, samsungBar.PreviousClose, samsung[30 + i].Price, Day, i))
            .ToList();
        var big = Encoding.UTF8.GetBytes(Live.Real(samsung.Skip(30).Take(15).Select(t => t.Entry()).Concat(books.Select(b => b.Entry()))).ToJsonString());
        Assert.True(big.Length > 8 * 1024, $"the big message has {big.Length} bytes");
        await first.SendAsync(big, 1000);
        await h.Until(() => h.Ticks("005930").Count == 45, "45 trades before the drop");

        // The network drops; the new connection registers all three codes again before anything more is pushed.
        first.Abort();
        var second = await h.LoggedInAsync(2, Three);
        Assert.Equal(tokens[1], second.LoginToken);

        // The server pushes the last five trades again, then carries on.
        await second.SendAsync(Live.Real(samsung.Skip(40).Take(5).Select(t => t.Entry())));
        for (var i = 45; i < 60; i += 5)
        {
            await second.SendAsync(Live.Real(samsung.Skip(i).Take(5).Select(t => t.Entry())));
        }

        await h.Until(() => h.Ticks("005930").Count >= 60 && h.Feed.Status is { DuplicatesDropped: 5, Delivered: 80 }, "all 60 trades");

        Assert.Equal(samsung.Select(t => t.Expected(Day)), h.Ticks("005930"));
        Assert.Equal(hynix.Select(t => t.Expected(Day)), h.Ticks("000660"));
        Assert.Equal(samsungBar.Close, h.Ticks("005930")[^1].Price);
        Assert.Equal(samsungBar.Volume, h.Ticks("005930")[^1].AccVolume);
        Assert.Equal(10, h.Books.Count);
        var status = h.Feed.Status;
        Assert.Equal((KiwoomLiveState.Connected, 2, 3, 3), (status.State, status.Reconnects, status.WantedCodes, status.RegisteredCodes));
        Assert.Equal((60L + 10 + 10, 5L, 0L), (status.Delivered, status.DuplicatesDropped, status.EntriesSkipped));
        Assert.All(h.Ws.Sessions, s => Assert.Empty(s.Violations));

        // Each registration is one REG with refresh "1" and both types.
        var reg = Assert.Single(LiveHarness.StockRegistrations(second));
        Assert.Equal("""{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["000660","005930","035420"],"type":["0B","0D"]}]}""", reg.ToJsonString());

        var logs = h.Logs.AllText;
        Assert.Contains("connection lost", logs, StringComparison.Ordinal);
        foreach (var token in h.Rest.IssuedTokens)
        {
            Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(token, status.LastError ?? "", StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_SYSTEM_message_is_logged_and_the_client_reconnects_and_registers_again()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0));
        await h.Feed.SetCodesAsync(Three, CancellationToken.None);
        h.Start();
        var first = await h.LoggedInAsync(1, Three);

        await first.SendAsync("""{"trnm":"SYSTEM","code":"R10001","message":"동일한 App key로 접속이 되었습니다"}""");
        var second = await h.LoggedInAsync(2, Three);
        await h.Until(() => first.Closed.IsCompleted, "the first connection closed");
        var trade = TradeSpec.Day(RealBar.On("035420", Day), 1)[0];
        await second.SendAsync(Live.Real(trade.Entry()));
        await h.Until(() => h.Events.Count == 1, "a trade on the new connection");

        Assert.Equal(trade.Expected(Day), h.Events.Single());
        Assert.Contains("SYSTEM message", h.Feed.Status.LastError, StringComparison.Ordinal);
        Assert.Contains("R10001", h.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal(1, h.Feed.Status.Reconnects);
    }

    [Fact]
    public async Task Books_have_ten_levels_each_side_best_first_with_the_totals_and_empty_levels_left_out()
    {
        var bar = RealBar.On("005930", Day);
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0));
        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();
        var session = await h.LoggedInAsync(1, [Samsung]);

        var full = BookSpec.Around(Samsung, new TimeOnly(10, 0, 1), bar.PreviousClose, bar.Close, Day, 3);

        // Near the upper limit only three ask levels exist: Kiwoom sends the rest as "0".
        var limitUp = KrxRules.PriceLimits(bar.PreviousClose, Market.Kospi, Day).Upper;
        var thin = BookSpec.Around(Samsung, new TimeOnly(10, 0, 2), bar.PreviousClose, limitUp - (3 * Live.Tick(limitUp, Day)), Day, 5);
        thin = thin with { Asks = thin.Asks.Take(3).ToList() };
        await session.SendAsync(Live.Real(full.Entry(), thin.Entry()));
        await h.Until(() => h.Books.Count == 2, "two books");

        var book = h.Books[0];
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 10, 0, 1, TimeSpan.FromHours(9)), book.Time);
        Assert.Equal(10, book.Asks.Count);
        Assert.Equal(10, book.Bids.Count);
        Assert.Equal(full.Asks, book.Asks);
        Assert.Equal(full.Bids, book.Bids);
        Assert.Equal(79_700m, book.Asks[0].Price);
        Assert.Equal(79_600m, book.Bids[0].Price);
        Assert.Equal(80_600m, book.Asks[^1].Price);
        Assert.Equal(78_700m, book.Bids[^1].Price);
        Assert.Equal(full.Asks.Sum(l => l.Qty), book.TotalAskQty);
        Assert.Equal(full.Bids.Sum(l => l.Qty), book.TotalBidQty);
        Assert.Equal(book.Asks.OrderBy(l => l.Price), book.Asks);
        Assert.Equal(book.Bids.OrderByDescending(l => l.Price), book.Bids);

        var edge = h.Books[1];
        Assert.Equal(3, edge.Asks.Count);
        Assert.Equal(limitUp, edge.Asks[^1].Price);
        Assert.Equal(10, edge.Bids.Count);
        Assert.Equal(thin.Asks.Sum(l => l.Qty), edge.TotalAskQty);
    }

    [Fact]
    public async Task Bad_values_are_skipped_with_a_reason_and_the_feed_keeps_delivering()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0));
        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();
        var session = await h.LoggedInAsync(1, [Samsung]);
        var trades = TradeSpec.Day(RealBar.On("005930", Day), 4);

        JsonObject With(TradeSpec t, string fid, JsonNode? value)
        {
            var entry = t.Entry();
            var values = (JsonObject)entry["values"]!;
            if (value is null)
            {
                values.Remove(fid);
            }
            else
            {
                values[fid] = value;
            }

            return entry;
        }

        var book = BookSpec.Around(Samsung, new TimeOnly(10, 0, 0), 78_500m, 79_600m, Day, 1).Entry();
        book["values"]!["63"] = "many";
        await session.SendAsync(Live.Real(
            trades[0].Entry(),
            With(trades[1], "10", "+7960O"),
            With(trades[1], "20", null),
            With(trades[1], "20", "256100"),
            With(trades[1], "13", "1.5"),
            With(trades[1], "25", "9"),
            With(trades[1], "17", new JsonArray()),
            new JsonObject { ["type"] = "0B", ["item"] = "12345", ["values"] = new JsonObject() },
            new JsonObject { ["type"] = "0B", ["item"] = "005930", ["values"] = new JsonArray() },
            book,
            trades[1].Entry()));
        await session.SendAsync("{\"trnm\":\"REAL\",\"data\":[{\"type\":\"0B\"");
        await session.SendAsync("""{"trnm":"REAL"}""");
        await session.SendAsync(Live.Real(trades[2].Entry(), trades[3].Entry()));
        await h.Until(() => h.Events.Count == 4, "the four good trades");

        Assert.Equal(trades.Select(t => t.Expected(Day)), h.Events);
        var status = h.Feed.Status;
        Assert.Equal((11L, KiwoomLiveState.Connected, 0), (status.EntriesSkipped, status.State, status.Reconnects));
        Assert.Single(h.Ws.Sessions);
        var logs = h.Logs.AllText;
        foreach (var reason in new[]
                 {
                     "FID 10 '+7960O' is not a price", "FID 20 is missing", "FID 20 '256100' is not a time (HHMMSS)",
                     "FID 13 '1.5' is not a whole number", "FID 25 '9' is not a direction code 1-5", "FID 17 is a JSON Array",
                     "stock code '12345' must be exactly 6 characters", "no 'values' object", "FID 63 'many' is not a whole number",
                     "not JSON", "no 'data' array",
                 })
        {
            Assert.Contains(reason, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_trade_whose_day_volume_did_not_grow_is_dropped_and_a_new_day_starts_over()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0));
        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();
        var session = await h.LoggedInAsync(1, [Samsung]);
        var day = TradeSpec.Day(RealBar.On("005930", Day), 4);
        var repeat = day[1] with { Time = day[1].Time.Add(TimeSpan.FromSeconds(1)) };

        await session.SendAsync(Live.Real(day[0].Entry(), day[1].Entry(), day[0].Entry(), repeat.Entry(), day[2].Entry()));
        await h.Until(() => h.Events.Count == 3, "three trades");

        var next = new DateOnly(2024, 1, 3);
        h.Clock.Now = Live.At(next, 9, 1);
        var nextDay = TradeSpec.Day(RealBar.On("005930", next), 2);
        Assert.True(nextDay[0].AccVolume < day[2].AccVolume);
        await session.SendAsync(Live.Real(nextDay[0].Entry(), day[3].Entry(), nextDay[1].Entry()));
        await h.Until(() => h.Events.Count == 6, "the next day's trades");

        Assert.Equal([day[0].Expected(Day), day[1].Expected(Day), day[2].Expected(Day), nextDay[0].Expected(next), day[3].Expected(next), nextDay[1].Expected(next)],
            h.Events);
        Assert.Equal(2, h.Feed.Status.DuplicatesDropped);
    }

    [Fact]
    public async Task SetCodes_sends_only_the_difference_in_requests_of_the_configured_size()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), o => o with { WsItemsPerRequest = 100 });
        h.Ws.MaxItemsPerRequest = 100;
        var codes = RealBar.Bars.Where(b => b.Date == Day).Select(b => b.Code).Take(280).ToList();
        h.Start();
        var session = await h.LoggedInAsync(1, []);

        await h.Feed.SetCodesAsync(codes.Take(250).ToList(), CancellationToken.None);
        await h.Until(() => LiveHarness.Registered(session, codes.Take(250).ToList()), "250 codes registered");
        Assert.Equal([100, 100, 50], LiveHarness.StockRegistrations(session).Select(Items));

        var wanted = codes.Take(200).Concat(codes.Skip(250)).ToList();
        await h.Feed.SetCodesAsync(wanted, CancellationToken.None);
        await h.Until(() => LiveHarness.Registered(session, wanted), "230 codes registered");
        var requests = LiveHarness.StockRegistrations(session).Skip(3).ToList();
        Assert.Equal(["REMOVE", "REG"], requests.Select(r => (string)r["trnm"]!));
        Assert.Equal([50, 30], requests.Select(Items));
        Assert.Null(requests[0]["refresh"]);
        await h.Until(() => h.Feed.Status.RegisteredCodes == 230, "the status count");

        // A push for a removed code that was already in flight is not delivered.
        var removed = RealBar.On(codes[220].Value, Day);
        var kept = RealBar.On(codes[0].Value, Day);
        await session.SendAsync(Live.Real(TradeSpec.Close(removed).Entry(), TradeSpec.Close(kept).Entry()));
        await h.Until(() => !h.Events.IsEmpty, "one delivered");
        Assert.Equal(kept.Code, Assert.Single(h.Events).Code);
        Assert.Empty(session.Violations);
    }

    [Fact]
    public async Task A_REG_the_server_refuses_is_reported_and_those_codes_are_not_counted_as_registered()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), o => o with { WsItemsPerRequest = 100 });
        h.Ws.MaxItemsPerRequest = 50;
        var codes = RealBar.Bars.Where(b => b.Date == Day).Select(b => b.Code).Take(120).ToList();
        await h.Feed.SetCodesAsync(codes, CancellationToken.None);
        h.Start();

        // The status changes just before the log line is written: wait for both.
        await h.Until(() => h.Feed.Status is { State: KiwoomLiveState.Connected, RegisteredCodes: 20, LastError: not null } &&
                            h.Logs.AllText.Contains("refused", StringComparison.Ordinal), "the refusal");

        Assert.Contains("REG of 100 codes", h.Feed.Status.LastError, StringComparison.Ordinal);
        Assert.Contains("too many items (100 > 50)", h.Feed.Status.LastError, StringComparison.Ordinal);
        Assert.Contains("too many items", h.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_connection_is_replaced()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), o => o with { WsSilenceTimeout = TimeSpan.FromMilliseconds(300) });
        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();

        await h.LoggedInAsync(2, [Samsung]);

        Assert.Contains("nothing received for 0.3 s", h.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_keys_stop_the_feed_with_an_auth_error()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), o => o with { SecretKey = "SECRET-wrong-1" });
        h.Start();

        var e = await Assert.ThrowsAsync<KiwoomAuthException>(() => h.Run!);

        Assert.Contains("8001", e.Message, StringComparison.Ordinal);
        Assert.Equal(KiwoomLiveState.Failed, h.Feed.Status.State);
        Assert.Empty(h.Ws.Sessions);
    }

    [Fact]
    public async Task A_LOGIN_refused_again_with_a_newly_issued_token_stops_the_feed()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), tokenValid: _ => false);
        h.Ws.QuoteRefusedToken = true;
        h.Start();

        var e = await Assert.ThrowsAsync<KiwoomAuthException>(() => h.Run!);

        Assert.Contains("LOGIN refused again with a newly issued token (return_code 8005", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, h.Rest.TokenRequests);
        var tokens = h.Rest.IssuedTokens.ToArray();
        Assert.Equal(tokens, h.Ws.Sessions.Select(s => s.LoginToken));
        Assert.Equal(KiwoomLiveState.Failed, h.Feed.Status.State);

        // The server quoted each token in its answer; what the client shows of that answer has it masked.
        Assert.Contains("(token ***)", e.Message, StringComparison.Ordinal);
        foreach (var token in tokens)
        {
            Assert.DoesNotContain(token, h.Logs.AllText + e + h.Feed.Status.LastError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_WebSocket_settings_are_validated_by_their_environment_names()
    {
        var good = new KiwoomOptions { AppKey = "k", SecretKey = "s" };
        Assert.Null(good.Validate());
        Assert.Equal("wss://api.kiwoom.com:10000/api/dostk/websocket", new KiwoomLiveFeed(good, (_, _) => Task.FromResult("t"), TimeProvider.System).Endpoint.ToString());
        Assert.Equal("wss://mockapi.kiwoom.com:10000/api/dostk/websocket",
            new KiwoomLiveFeed(good with { Mock = true }, (_, _) => Task.FromResult("t"), TimeProvider.System).Endpoint.ToString());
        Assert.Contains("KRXHUB_KIWOOM__WSURL", (good with { WsUrl = "https://api.kiwoom.com" }).Validate(), StringComparison.Ordinal);
        Assert.Contains("KRXHUB_KIWOOM__WSITEMSPERREQUEST", (good with { WsItemsPerRequest = 0 }).Validate(), StringComparison.Ordinal);
        Assert.Contains("KRXHUB_KIWOOM__WSRECONNECTFIRSTDELAY", (good with { WsReconnectFirstDelay = TimeSpan.FromSeconds(9) }).Validate(), StringComparison.Ordinal);
        Assert.Contains("KRXHUB_KIWOOM__WSSILENCETIMEOUT", (good with { WsSilenceTimeout = TimeSpan.Zero }).Validate(), StringComparison.Ordinal);
        Assert.Contains("KRXHUB_KIWOOM__REALACCVALUEUNIT", (good with { RealAccValueUnit = 0 }).Validate(), StringComparison.Ordinal);
    }

    private static int Items(JsonObject request) => request["data"]![0]!["item"]!.AsArray().Count;
}
