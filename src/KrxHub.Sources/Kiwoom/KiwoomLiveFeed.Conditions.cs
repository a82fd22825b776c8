using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using KrxHub.Core;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// Kiwoom's server-side conditions (HTS 조건검색) on the feed's own WebSocket, as broker-apis.md §1.7 describes them:
/// CNSRLST before any CNSRREQ on a connection, CNSRREQ search_type 0 (one-shot, paged in the body with cont_yn/next_key)
/// and 1 (real time: a snapshot answer, then REAL type 02 pushes, 843 I = entry / D = exit), CNSRCLR to stop. Real-time
/// conditions are registered again on every new connection, and cleared with CNSRCLR before the feed closes it.
/// </summary>
public sealed partial class KiwoomLiveFeed
{
    /// <summary>Real-time conditions per login (broker-apis.md §1.8).</summary>
    public const int RealtimeConditionLimit = 10;

    /// <summary>One-shot search pages followed at most, and the pause between them (the official examples' MAX_PAGES and delay).</summary>
    public const int MaxSearchPages = 10;

    public static readonly TimeSpan SearchPageDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a stopping feed waits for its CNSRCLR answers before it drops the connection.</summary>
    public static readonly TimeSpan ClearOnStopGrace = TimeSpan.FromSeconds(2);

    // The condition exchange: "K" = KRX, the only value the ka10173 spec lists.
    private const string ConditionExchange = "K";

    // The REAL type of condition-search pushes (name 조건검색).
    private const string ConditionPushType = "02";

    private readonly Lock _conditionLock = new();
    private readonly SortedSet<string> _realtimeWanted = new(StringComparer.Ordinal);
    private readonly Channel<KiwoomConditionSignal> _conditionSignals = Channel.CreateUnbounded<KiwoomConditionSignal>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Snapshots and entries/exits of the real-time conditions, in arrival order, for one reader.</summary>
    public ChannelReader<KiwoomConditionSignal> ConditionSignals => _conditionSignals.Reader;

    /// <summary>True while logged in (condition requests can be sent).</summary>
    public bool Connected => Volatile.Read(ref _connection) is { LoggedIn: true };

    /// <summary>The seqs wanted in real time: registered now, or at the next LOGIN.</summary>
    public IReadOnlyList<string> RealtimeConditions
    {
        get
        {
            lock (_conditionLock)
            {
                return [.. _realtimeWanted];
            }
        }
    }

    /// <summary>Sets the real-time conditions to register at each LOGIN (e.g. the ones a restart finds active); nothing is sent now.</summary>
    public void WantRealtimeConditions(IEnumerable<string> seqs)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        var wanted = seqs.Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count > RealtimeConditionLimit)
        {
            throw new KiwoomConditionLimitException(LimitMessage(wanted));
        }

        lock (_conditionLock)
        {
            _realtimeWanted.Clear();
            _realtimeWanted.UnionWith(wanted);
        }

        if (Volatile.Read(ref _connection) is { LoggedIn: true } connection)
        {
            _ = RestoreConditionsAsync(connection, CancellationToken.None);
        }
    }

    /// <summary>CNSRLST: the conditions saved in HTS for this account.</summary>
    public async Task<IReadOnlyList<KiwoomServerCondition>> ListConditionsAsync(CancellationToken ct)
    {
        var connection = LoggedInConnection();
        await connection.Conditions.Gate.WaitAsync(ct);
        try
        {
            return await ListOnAsync(connection, ct);
        }
        finally
        {
            connection.Conditions.Gate.Release();
        }
    }

    /// <summary>CNSRREQ search_type 0: the stocks matching now, following cont_yn/next_key for up to <see cref="MaxSearchPages"/> pages.</summary>
    public async Task<KiwoomConditionSearch> SearchConditionAsync(string seq, CancellationToken ct)
    {
        CheckSeq(seq);
        var connection = LoggedInConnection();
        await connection.Conditions.Gate.WaitAsync(ct);
        try
        {
            await ListedAsync(connection, ct);
            var rows = new List<KiwoomConditionRow>();
            var (more, nextKey) = ("N", "");
            for (var page = 1; ; page++)
            {
                var request = new JsonObject
                {
                    ["trnm"] = "CNSRREQ", ["seq"] = seq, ["search_type"] = "0", ["stex_tp"] = ConditionExchange, ["cont_yn"] = more, ["next_key"] = nextKey,
                };
                var answer = await RequestAsync(connection, "CNSRREQ", request, "ka10172", ct);
                foreach (var item in Rows(answer))
                {
                    if (KiwoomConditionRow.Parse(item) is { } row)
                    {
                        rows.Add(row);
                    }
                    else
                    {
                        Interlocked.Increment(ref _skipped);
                        _logger.LogWarning("Kiwoom websocket: a CNSRREQ row of condition {Seq} without a readable 9001 code was skipped", seq);
                    }
                }

                if (!string.Equals(KiwoomLiveProtocol.Text(answer, "cont_yn"), "Y", StringComparison.OrdinalIgnoreCase))
                {
                    return new KiwoomConditionSearch(seq, rows, page, false);
                }

                if (page == MaxSearchPages)
                {
                    _logger.LogWarning("Kiwoom websocket: condition {Seq} has more than {Pages} pages; the rest is not fetched", seq, MaxSearchPages);
                    return new KiwoomConditionSearch(seq, rows, page, true);
                }

                (more, nextKey) = ("Y", KiwoomLiveProtocol.Text(answer, "next_key") ?? "");
                await Task.Delay(SearchPageDelay, _time, ct);
            }
        }
        finally
        {
            connection.Conditions.Gate.Release();
        }
    }

    /// <summary>
    /// CNSRREQ search_type 1: registers the condition for real time and returns its matching set (also signalled as a
    /// <see cref="KiwoomConditionSignalKind.Snapshot"/>). An 11th condition throws <see cref="KiwoomConditionLimitException"/>
    /// without sending anything; so does Kiwoom's own refusal for exceeding its count.
    /// </summary>
    public async Task<IReadOnlyList<StockCode>> StartRealtimeConditionAsync(string seq, CancellationToken ct)
    {
        CheckSeq(seq);
        var connection = LoggedInConnection();
        await connection.Conditions.Gate.WaitAsync(ct);
        try
        {
            lock (_conditionLock)
            {
                if (!_realtimeWanted.Contains(seq) && _realtimeWanted.Count >= RealtimeConditionLimit)
                {
                    throw new KiwoomConditionLimitException(LimitMessage(_realtimeWanted));
                }
            }

            var codes = await RegisterRealtimeAsync(connection, seq, ct);
            lock (_conditionLock)
            {
                _realtimeWanted.Add(seq);
            }

            return codes;
        }
        finally
        {
            connection.Conditions.Gate.Release();
        }
    }

    /// <summary>CNSRCLR: stops the condition's pushes; it is no longer registered after a reconnect either.</summary>
    public async Task StopRealtimeConditionAsync(string seq, CancellationToken ct)
    {
        CheckSeq(seq);
        lock (_conditionLock)
        {
            _realtimeWanted.Remove(seq);
        }

        if (Volatile.Read(ref _connection) is not { LoggedIn: true } connection)
        {
            return;
        }

        await connection.Conditions.Gate.WaitAsync(ct);
        try
        {
            if (connection.Conditions.IsRealtime(seq))
            {
                await RequestAsync(connection, "CNSRCLR", new JsonObject { ["trnm"] = "CNSRCLR", ["seq"] = seq }, "ka10174", ct);
                connection.Conditions.RemoveRealtime(seq);
            }
        }
        finally
        {
            connection.Conditions.Gate.Release();
        }
    }

    private async Task<IReadOnlyList<StockCode>> RegisterRealtimeAsync(KiwoomLiveConnection connection, string seq, CancellationToken ct)
    {
        await ListedAsync(connection, ct);
        var request = new JsonObject { ["trnm"] = "CNSRREQ", ["seq"] = seq, ["search_type"] = "1", ["stex_tp"] = ConditionExchange };
        JsonElement answer;
        try
        {
            answer = await RequestAsync(connection, "CNSRREQ", request, "ka10173", ct);
        }
        catch (KiwoomApiException e) when (IsLimitRefusal(e.ReturnMessage))
        {
            throw new KiwoomConditionLimitException(
                $"Kiwoom refused real-time condition {seq}: {RealtimeConditionLimit} real-time conditions per login (return_code {e.ReturnCode}: {e.ReturnMessage})", e);
        }

        var codes = Rows(answer)
            .Select(r => KiwoomConditionCodes.Parse(r.ValueKind switch
            {
                JsonValueKind.Object => KiwoomLiveProtocol.Text(r, "jmcode") ?? KiwoomLiveProtocol.Text(r, "9001"),
                JsonValueKind.String => r.GetString(),
                _ => null,
            }))
            .OfType<StockCode>().Distinct().ToList();
        connection.Conditions.AddRealtime(seq);
        _conditionSignals.Writer.TryWrite(new KiwoomConditionSignal(seq, KiwoomConditionSignalKind.Snapshot, codes, _time.GetUtcNow()));
        _logger.LogInformation("Kiwoom websocket: real-time condition {Seq} registered, {Count} stocks match", seq, codes.Count);
        return codes;
    }

    // Kiwoom's wording for this refusal is not documented (broker-apis.md §1.7 marks the limit UNCONFIRMED); a refusal that
    // names the condition count or the 10 per login is taken for it. 1700 (too many requests per second) is not.
    private static bool IsLimitRefusal(string? message) =>
        message is not null && KiwoomResponse.DetailCode(message) != 1700 &&
        (message.Contains("10건", StringComparison.Ordinal) || message.Contains("조건검색 개수", StringComparison.Ordinal));

    private static string LimitMessage(IEnumerable<string> active) =>
        $"Kiwoom allows {RealtimeConditionLimit} real-time conditions per login (실시간 조건검색 개수 로그인 1개당 10건) and " +
        $"{RealtimeConditionLimit} are active (seq {string.Join(", ", active)}): stop one first";

    /// <summary>Sends CNSRLST first unless this connection has had one answered.</summary>
    private async Task ListedAsync(KiwoomLiveConnection connection, CancellationToken ct)
    {
        if (!connection.Conditions.Listed)
        {
            await ListOnAsync(connection, ct);
        }
    }

    private async Task<IReadOnlyList<KiwoomServerCondition>> ListOnAsync(KiwoomLiveConnection connection, CancellationToken ct)
    {
        var answer = await RequestAsync(connection, "CNSRLST", new JsonObject { ["trnm"] = "CNSRLST" }, "ka10171", ct);
        connection.Conditions.Listed = true;
        var list = new List<KiwoomServerCondition>();
        foreach (var item in Rows(answer))
        {
            // [seq, name] pairs (the spec's example); the official example also accepts {seq, name} objects.
            var (seq, name) = item.ValueKind switch
            {
                JsonValueKind.Array when item.GetArrayLength() >= 2 => (Scalar(item[0]), Scalar(item[1])),
                JsonValueKind.Object => (KiwoomLiveProtocol.Text(item, "seq"), KiwoomLiveProtocol.Text(item, "name")),
                _ => (null, null),
            };
            if (!string.IsNullOrWhiteSpace(seq))
            {
                list.Add(new KiwoomServerCondition(seq.Trim(), name?.Trim() ?? ""));
            }
        }

        return list;
    }

    /// <summary>Sends one CNSR* request and waits for its answer; a non-zero return_code is a <see cref="KiwoomApiException"/>.</summary>
    private async Task<JsonElement> RequestAsync(KiwoomLiveConnection connection, string trnm, JsonObject request, string apiId, CancellationToken ct)
    {
        var answer = connection.Conditions.Expect(trnm);
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        JsonElement root;
        try
        {
            await connection.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, ct);
            root = await answer.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            connection.Conditions.Forget();
            throw new KiwoomLiveException($"no {trnm} answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        catch
        {
            connection.Conditions.Forget();
            throw;
        }

        var code = KiwoomLiveProtocol.ReturnCode(root);
        return code == 0 ? root : throw new KiwoomApiException(apiId, code ?? -1, Redact(KiwoomLiveProtocol.Text(root, "return_msg") ?? ""));
    }

    private KiwoomLiveConnection LoggedInConnection() =>
        Volatile.Read(ref _connection) is { LoggedIn: true } connection
            ? connection
            : throw new KiwoomLiveException("not connected: condition search needs the logged-in WebSocket (state " + Status.State + ")");

    private static IEnumerable<JsonElement> Rows(JsonElement answer) =>
        answer.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array ? data.EnumerateArray() : [];

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    private static void CheckSeq(string seq)
    {
        if (string.IsNullOrWhiteSpace(seq) || seq.Length > 10 || !seq.All(char.IsAsciiDigit))
        {
            throw new ArgumentException($"'{seq}' is not a condition seq (digits, as CNSRLST lists them)", nameof(seq));
        }
    }
}
