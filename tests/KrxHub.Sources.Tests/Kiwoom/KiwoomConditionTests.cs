using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Sources.Kiwoom;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>Kiwoom's server-side conditions (CNSRLST, CNSRREQ 0 and 1, CNSRCLR) on the live feed's WebSocket, against the fake.</summary>
public sealed class KiwoomConditionTests
{
    private static readonly DateOnly Day = new(2024, 1, 2);
    private static readonly StockCode Samsung = StockCode.Parse("005930");
    private static readonly string[] Matching = ["005930", "000660", "035420"];

    [Fact]
    public async Task A_one_shot_search_lists_first_and_follows_the_body_paging_over_two_pages()
    {
        await using var h = await StartAsync();
        h.Ws.Conditions.PageSize = 2;
        var session = await h.LoggedInAsync(1, [Samsung]);

        // No CNSRLST yet on this connection: the search sends one first, or Kiwoom would leave the CNSRREQ unanswered.
        var search = await h.Feed.SearchConditionAsync("4", CancellationToken.None);

        Assert.Equal((2, false), (search.Pages, search.Truncated));
        var expected = Matching.Select(c => RealBar.On(c, Day)).ToList();
        Assert.Equal(expected.Select(b => b.Code), search.Rows.Select(r => r.Code));
        foreach (var (row, bar) in search.Rows.Zip(expected))
        {
            Assert.Equal((bar.Close, bar.Change, bar.ChangePct, bar.Volume, bar.Open, bar.High, bar.Low),
                (row.Price!.Value, row.Change!.Value, row.ChangePct!.Value, row.AccVolume!.Value, row.Open!.Value, row.High!.Value, row.Low!.Value));
        }

        Assert.Equal("삼성전자", search.Rows[0].Name);
        var requests = session.ConditionRequests.Select(r => r.ToJsonString()).ToList();
        Assert.Equal(
        [
            """{"trnm":"CNSRLST"}""",
            """{"trnm":"CNSRREQ","seq":"4","search_type":"0","stex_tp":"K","cont_yn":"N","next_key":""}""",
            """{"trnm":"CNSRREQ","seq":"4","search_type":"0","stex_tp":"K","cont_yn":"Y","next_key":"2"}""",
        ], requests);

        var list = await h.Feed.ListConditionsAsync(CancellationToken.None);
        Assert.Equal([new KiwoomServerCondition("0", "조건 0"), new KiwoomServerCondition("4", "거래량 폭증")], new[] { list[0], list[4] });
        Assert.Equal(12, list.Count);
        Assert.Empty(session.Violations);

        var unknown = await Assert.ThrowsAsync<KiwoomApiException>(() => h.Feed.SearchConditionAsync("99", CancellationToken.None));
        Assert.Equal(("ka10172", 1), (unknown.ApiId, unknown.ReturnCode));
    }

    [Fact]
    public async Task A_real_time_condition_answers_its_matching_set_then_pushes_entries_and_exits_and_is_registered_again_after_a_reconnect()
    {
        await using var h = await StartAsync();
        var first = await h.LoggedInAsync(1, [Samsung]);

        var snapshot = await h.Feed.StartRealtimeConditionAsync("4", CancellationToken.None);
        Assert.Equal(Matching, snapshot.Select(c => c.Value));
        var signal = await NextSignalAsync(h);
        Assert.Equal(("4", KiwoomConditionSignalKind.Snapshot), (signal.Seq, signal.Kind));
        Assert.Equal(Matching, signal.Codes.Select(c => c.Value));
        Assert.Equal(["4"], first.RealtimeConditions);

        // 068270 enters at 15:20:28, 005930 leaves; a push of a condition this connection did not register is ignored.
        await first.SendAsync(FakeKiwoomConditions.Push("7", "051910", "I", "152027"));
        await first.SendAsync(FakeKiwoomConditions.Push("4", "068270", "I", "152028"));
        await first.SendAsync(FakeKiwoomConditions.Push("4", "005930", "D", "152030"));
        var entry = await NextSignalAsync(h);
        var exit = await NextSignalAsync(h);
        Assert.Equal(("4", KiwoomConditionSignalKind.Entry, "068270", new DateTimeOffset(2024, 1, 2, 15, 20, 28, Live.Kst)),
            (entry.Seq, entry.Kind, entry.Codes.Single().Value, entry.At));
        Assert.Equal((KiwoomConditionSignalKind.Exit, "005930", new DateTimeOffset(2024, 1, 2, 15, 20, 30, Live.Kst)), (exit.Kind, exit.Codes.Single().Value, exit.At));

        // A new connection lists and registers the condition again, and its answer is a fresh snapshot.
        first.Abort();
        var second = await h.LoggedInAsync(2, [Samsung]);
        var again = await NextSignalAsync(h);
        Assert.Equal(("4", KiwoomConditionSignalKind.Snapshot, 3), (again.Seq, again.Kind, again.Codes.Count));
        Assert.Equal(["CNSRLST", "CNSRREQ"], second.ConditionRequests.Select(r => (string)r["trnm"]!));
        Assert.Equal("1", (string)second.ConditionRequests.Last()["search_type"]!);
        Assert.Equal(["4"], second.RealtimeConditions);
        Assert.False(h.Feed.ConditionSignals.TryRead(out _));
        Assert.All(h.Ws.Sessions, s => Assert.Empty(s.Violations));
    }

    [Fact]
    public async Task An_eleventh_real_time_condition_fails_with_the_limit_error_and_nothing_is_sent()
    {
        await using var h = await StartAsync();
        var session = await h.LoggedInAsync(1, [Samsung]);
        var seqs = Enumerable.Range(0, 11).Select(i => i == 4 ? "11" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        foreach (var seq in seqs.Take(10))
        {
            await h.Feed.StartRealtimeConditionAsync(seq, CancellationToken.None);
        }

        var refused = await Assert.ThrowsAsync<KiwoomConditionLimitException>(() => h.Feed.StartRealtimeConditionAsync(seqs[10], CancellationToken.None));
        Assert.Contains("10 real-time conditions per login", refused.Message, StringComparison.Ordinal);
        Assert.Equal(10, session.ConditionRequests.Count(r => (string?)r["search_type"] == "1"));
        Assert.Equal(10, h.Feed.RealtimeConditions.Count);

        // Registering one of the ten again is no eleventh; after stopping one, the eleventh fits.
        await h.Feed.StartRealtimeConditionAsync(seqs[0], CancellationToken.None);
        await h.Feed.StopRealtimeConditionAsync(seqs[1], CancellationToken.None);
        await h.Feed.StartRealtimeConditionAsync(seqs[10], CancellationToken.None);
        Assert.Equal(seqs.Except([seqs[1]]).ToHashSet(), session.RealtimeConditions);
    }

    [Fact]
    public async Task Kiwoom_refusing_a_registration_over_its_count_is_the_same_limit_error()
    {
        await using var h = await StartAsync();
        h.Ws.Conditions.RealtimeLimit = 1;
        await h.LoggedInAsync(1, [Samsung]);
        await h.Feed.StartRealtimeConditionAsync("0", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<KiwoomConditionLimitException>(() => h.Feed.StartRealtimeConditionAsync("4", CancellationToken.None));
        var kiwoom = Assert.IsType<KiwoomApiException>(refused.InnerException);
        Assert.Equal(("ka10173", FakeKiwoomConditions.LimitRefusal), (kiwoom.ApiId, kiwoom.ReturnMessage));
        Assert.Equal(["0"], h.Feed.RealtimeConditions);
    }

    [Fact]
    public async Task Stopping_a_condition_sends_CNSRCLR_and_a_stopping_feed_clears_the_rest_before_it_closes()
    {
        var h = await StartAsync();
        try
        {
            var session = await h.LoggedInAsync(1, [Samsung]);
            foreach (var seq in new[] { "0", "4", "5" })
            {
                await h.Feed.StartRealtimeConditionAsync(seq, CancellationToken.None);
            }

            await h.Feed.StopRealtimeConditionAsync("5", CancellationToken.None);
            Assert.Equal(new HashSet<string> { "0", "4" }, session.RealtimeConditions);
            Assert.Equal(["0", "4"], h.Feed.RealtimeConditions);

            Assert.Equal("""{"trnm":"CNSRCLR","seq":"5"}""", session.ConditionRequests.Last().ToJsonString());

            // Stopping the feed: CNSRCLR for both, answered, before the connection goes.
            await h.DisposeAsync();
            var clears = session.ConditionRequests.Where(r => (string?)r["trnm"] == "CNSRCLR").Select(r => (string)r["seq"]!).ToList();
            Assert.Equal(["5", "0", "4"], clears);
            Assert.Empty(session.RealtimeConditions);
            Assert.Contains("2 real-time conditions cleared before closing", h.Logs.AllText, StringComparison.Ordinal);
            Assert.Empty(session.Violations);
        }
        catch
        {
            await h.DisposeAsync();
            throw;
        }
    }

    /// <summary>A logged-in feed over the fake, whose HTS holds conditions 0..11: 4 "거래량 폭증" matches three real stocks of <see cref="Day"/>.</summary>
    private static async Task<LiveHarness> StartAsync()
    {
        var h = await LiveHarness.StartAsync(Live.At(Day, 15, 20));
        var names = new Dictionary<string, string> { ["005930"] = "삼성전자", ["000660"] = "SK하이닉스", ["035420"] = "NAVER" };
        var rows = Matching.Select(c => RealBar.On(c, Day))
            .Select(b => FakeKiwoomConditions.Row(b.Code.Value, names[b.Code.Value], b.Close, b.PreviousClose, b.Volume, b.Open, b.High, b.Low)).ToList();
        for (var seq = 0; seq < 12; seq++)
        {
            var key = seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
            h.Ws.Conditions.Add(key, seq == 4 ? "거래량 폭증" : $"조건 {key}", seq == 4 ? rows : rows.Take(1).Select(r => (JsonObject)r.DeepClone()));
        }

        await h.Feed.SetCodesAsync([Samsung], CancellationToken.None);
        h.Start();
        return h;
    }

    private static async Task<KiwoomConditionSignal> NextSignalAsync(LiveHarness h)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await h.Feed.ConditionSignals.ReadAsync(timeout.Token);
    }
}
