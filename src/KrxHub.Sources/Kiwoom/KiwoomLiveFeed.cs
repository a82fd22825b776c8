using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// Kiwoom real-time data over the WebSocket (broker-apis.md §1.6): LOGIN with the REST access token, PING echoed
/// byte for byte, REG/REMOVE of 0B (trades) and 0D (10-level book) for the wanted codes, REAL pushes parsed into
/// <see cref="LiveTick"/> and <see cref="OrderBook"/>. A lost connection, a SYSTEM message or a refused LOGIN is followed
/// by a reconnect with jittered exponential backoff, a new LOGIN (with a freshly issued token when the old one was
/// refused) and a REG of every wanted code. Trades are never delivered twice across reconnects (see <see cref="IsNewTrade"/>).
/// The token never appears in a log line or an exception message.
/// </summary>
public sealed class KiwoomLiveFeed : ILiveFeed
{
    public const string WebSocketPath = "/api/dostk/websocket";

    // One group holds every registration; REG with refresh "1" adds to it, REMOVE takes codes out.
    private const string Group = "1";
    private const int MaxMessageBytes = 4 * 1024 * 1024;
    private const int SkipWarningsPerConnection = 100;
    private const int ShownMessageLength = 200;

    // The LOGIN answers after which the official client logs in again with a newly issued token.
    private static readonly int[] TokenRejectedCodes = [8005, 8031, 8103];

    private readonly KiwoomOptions _options;
    private readonly Func<string?, CancellationToken, Task<string>> _accessToken;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Uri _uri;
    private readonly SemaphoreSlim _syncLock = new(1, 1);
    private readonly Lock _statusLock = new();

    // The last trade delivered per code. Only the receive loop touches it (one connection at a time), and it outlives
    // connections on purpose: it is what keeps a trade pushed again after a reconnect from being delivered twice.
    private readonly Dictionary<StockCode, LastTrade> _lastTrades = [];

    private HashSet<StockCode> _wanted = [];
    private Connection? _connection;
    private string? _tokenInUse;
    private string? _rejectedToken;
    private int _running;

    private KiwoomLiveState _state = KiwoomLiveState.Stopped;
    private DateTimeOffset? _connectedSince;
    private int _reconnects;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private long _delivered;
    private long _duplicates;
    private long _skipped;

    /// <param name="options">Validated like <see cref="KiwoomClient"/>'s; the Ws* settings and <see cref="KiwoomOptions.RequestTimeout"/> apply here.</param>
    /// <param name="accessToken">
    /// The REST access token, usually <see cref="KiwoomClient.GetAccessTokenAsync"/>: called with null for the current token,
    /// or with the token the server just refused to get a newly issued one.
    /// </param>
    public KiwoomLiveFeed(
        KiwoomOptions options,
        Func<string?, CancellationToken, Task<string>> accessToken,
        TimeProvider timeProvider,
        ILogger<KiwoomLiveFeed>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(accessToken);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _options = options;
        _accessToken = accessToken;
        _time = timeProvider;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _uri = new Uri(options.EffectiveWsUrl.TrimEnd('/') + WebSocketPath);
    }

    public string Source => LiveSources.Kiwoom;

    /// <summary>The WebSocket address, without any credential.</summary>
    public Uri Endpoint => _uri;

    public KiwoomLiveStatus Status
    {
        get
        {
            var registered = Volatile.Read(ref _connection)?.RegisteredCount ?? 0;
            var wanted = Volatile.Read(ref _wanted).Count;
            lock (_statusLock)
            {
                return new KiwoomLiveStatus(_state, _connectedSince, _reconnects, _lastError, _lastErrorAt, wanted, registered,
                    Interlocked.Read(ref _delivered), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _skipped));
            }
        }
    }

    /// <summary>
    /// Sets the codes to receive. While logged in, sends REMOVE for codes no longer wanted and REG for new ones, in requests
    /// of at most <see cref="KiwoomOptions.WsItemsPerRequest"/> codes; otherwise the next LOGIN registers them. Returns once
    /// the requests are sent (the acknowledgements arrive later; a refused REG shows in <see cref="Status"/>).
    /// </summary>
    public async Task SetCodesAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.Any(c => c.Value is null))
        {
            throw new ArgumentException("codes contain an uninitialised StockCode", nameof(codes));
        }

        Volatile.Write(ref _wanted, [.. codes]);
        await SyncRegistrationsAsync(ct);
    }

    /// <summary>
    /// Connects and delivers events into <paramref name="output"/> until <paramref name="ct"/> is cancelled (then throws
    /// <see cref="OperationCanceledException"/>). Does not complete the writer. Throws <see cref="KiwoomAuthException"/> when
    /// the keys are refused or a LOGIN is refused again with a newly issued token: reconnecting cannot fix either.
    /// </summary>
    public async Task RunAsync(ChannelWriter<LiveEvent> output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("this Kiwoom live feed is already running");
        }

        SetState(KiwoomLiveState.Connecting);
        var failures = 0;
        try
        {
            while (true)
            {
                if (failures > 0)
                {
                    var delay = ReconnectDelay(failures);
                    _logger.LogInformation("Kiwoom websocket: reconnecting in {Delay} ms (attempt {Attempt})", (long)delay.TotalMilliseconds, failures);
                    await Task.Delay(delay, _time, ct);
                    lock (_statusLock)
                    {
                        _reconnects++;
                    }
                }

                try
                {
                    await RunConnectionAsync(output, () => failures = 0, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested && IsRecoverable(e))
                {
                    failures++;
                    RecordError(e.Message);
                    SetState(KiwoomLiveState.Reconnecting);
                    _logger.LogWarning("Kiwoom websocket: connection lost: {Error}", Redact(e.Message));
                }
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            RecordError(e.Message);
            SetState(KiwoomLiveState.Failed);
            _logger.LogError("Kiwoom websocket: stopped: {Error}", Redact(e.Message));
            throw;
        }
        finally
        {
            Volatile.Write(ref _connection, null);
            lock (_statusLock)
            {
                _connectedSince = null;
                if (_state != KiwoomLiveState.Failed)
                {
                    _state = KiwoomLiveState.Stopped;
                }
            }

            Volatile.Write(ref _running, 0);
        }
    }

    // Bad keys and a twice-refused LOGIN need a person; a completed output writer means the hub stopped listening;
    // anything else unexpected is a bug and should surface rather than loop.
    private static bool IsRecoverable(Exception e) => e switch
    {
        KiwoomAuthException => false,
        KiwoomException or WebSocketException or IOException or HttpRequestException or OperationCanceledException => true,
        _ => false,
    };

    private TimeSpan ReconnectDelay(int failures)
    {
        var ceiling = _options.WsReconnectFirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(ceiling, _options.WsReconnectMaxDelay.TotalMilliseconds);

        // Jitter keeps many clients from reconnecting in step after a server restart; the wait stays in [half, full].
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    private async Task RunConnectionAsync(ChannelWriter<LiveEvent> output, Action loggedIn, CancellationToken ct)
    {
        // Before connecting: issuing a token has its own timeouts and retries, which must not eat the connect timeout.
        var asked = _rejectedToken;
        var token = await _accessToken(asked, ct);
        Volatile.Write(ref _tokenInUse, token);

        using var socket = new ClientWebSocket();
        using var timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        var connection = new Connection(socket);
        try
        {
            timer.CancelAfter(_options.RequestTimeout);
            await socket.ConnectAsync(_uri, linked.Token);
            await LoginAsync(connection, token, asked is not null, linked.Token, ct);
            timer.CancelAfter(Timeout.InfiniteTimeSpan);
            loggedIn();
            _rejectedToken = null;
            connection.LoggedIn = true;
            lock (_statusLock)
            {
                _state = KiwoomLiveState.Connected;
                _connectedSince = _time.GetUtcNow();
            }

            _logger.LogInformation("Kiwoom websocket: logged in at {Url}", _uri);
            Volatile.Write(ref _connection, connection);
            await SyncRegistrationsAsync(ct);
            while (true)
            {
                timer.CancelAfter(_options.WsSilenceTimeout);
                var message = await ReceiveMessageAsync(connection, linked.Token);

                // Disarmed while the message is handled: a slow consumer of the output is not a silent server.
                timer.CancelAfter(Timeout.InfiniteTimeSpan);
                await HandleMessageAsync(connection, message, output, ct);
            }
        }
        catch (OperationCanceledException e) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new KiwoomLiveException(connection.LoggedIn
                ? $"nothing received for {_options.WsSilenceTimeout.TotalSeconds:0.###} s, not even a PING"
                : $"no connection or no LOGIN answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        finally
        {
            Interlocked.CompareExchange(ref _connection, null, connection);
        }
    }

    private async Task LoginAsync(Connection connection, string token, bool freshToken, CancellationToken receiveCt, CancellationToken ct)
    {
        var login = new JsonObject { ["trnm"] = "LOGIN", ["token"] = token };
        await connection.SendAsync(Encoding.UTF8.GetBytes(login.ToJsonString()), WebSocketMessageType.Text, receiveCt);
        while (true)
        {
            var message = await ReceiveMessageAsync(connection, receiveCt);
            if (IsPing(message.Span, out _))
            {
                await connection.SendAsync(message, connection.LastMessageType, ct);
                continue;
            }

            if (!TryParseObject(message, out var doc, out _))
            {
                _logger.LogWarning("Kiwoom websocket: before the LOGIN answer, ignored a message that is not a JSON object: '{Message}'", Shown(message));
                continue;
            }

            using (doc)
            {
                var root = doc.RootElement;
                var trnm = Text(root, "trnm");
                if (!string.Equals(trnm, "LOGIN", StringComparison.OrdinalIgnoreCase))
                {
                    _logger.LogWarning("Kiwoom websocket: ignored a {Trnm} message that came before the LOGIN answer", trnm ?? "(no trnm)");
                    continue;
                }

                var code = ReturnCode(root);
                if (code == 0)
                {
                    return;
                }

                var text = Redact(Text(root, "return_msg") ?? "");
                var answer = $"return_code {code?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {text}";
                if (!IsTokenRefusal(code, text))
                {
                    throw new KiwoomLiveException($"LOGIN refused ({answer})");
                }

                if (freshToken)
                {
                    throw new KiwoomAuthException("websocket", $"LOGIN refused again with a newly issued token ({answer})");
                }

                _rejectedToken = token;
                throw new KiwoomLiveException($"LOGIN refused ({answer}); logging in again with a new token");
            }
        }
    }

    private static bool IsTokenRefusal(int? code, string? message) =>
        (code is { } c && TokenRejectedCodes.Contains(c)) ||
        (KiwoomResponse.DetailCode(message) is { } detail && TokenRejectedCodes.Contains(detail)) ||
        TokenRejectedCodes.Any(t => message?.Contains($"CODE={t.ToString(CultureInfo.InvariantCulture)}", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Reads frames until EndOfMessage: Kiwoom messages can exceed one frame (4 KB and more).</summary>
    private async Task<ReadOnlyMemory<byte>> ReceiveMessageAsync(Connection connection, CancellationToken ct)
    {
        var buffer = connection.Buffer;
        var count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                if (buffer.Length >= MaxMessageBytes)
                {
                    throw new KiwoomLiveException($"a message is longer than {MaxMessageBytes} bytes");
                }

                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxMessageBytes));
                connection.Buffer = buffer;
            }

            var result = await connection.Socket.ReceiveAsync(buffer.AsMemory(count), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                var status = connection.Socket.CloseStatus?.ToString() ?? "no status";
                throw new KiwoomLiveException($"the server closed the connection ({status}: {Redact(connection.Socket.CloseStatusDescription ?? "")})");
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                connection.LastMessageType = result.MessageType;
                return buffer.AsMemory(0, count);
            }
        }
    }

    private async Task HandleMessageAsync(Connection connection, ReadOnlyMemory<byte> message, ChannelWriter<LiveEvent> output, CancellationToken ct)
    {
        if (IsPing(message.Span, out var plain))
        {
            // The server checks the echo: the very bytes it sent, not a re-serialisation.
            await connection.SendAsync(message, connection.LastMessageType, ct);
            if (plain)
            {
                _logger.LogDebug("Kiwoom websocket: echoed a plain-text PING");
            }

            return;
        }

        if (!TryParseObject(message, out var doc, out var error))
        {
            Skip(connection, $"message skipped, {error}: '{Shown(message)}'");
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var trnm = Text(root, "trnm")?.ToUpperInvariant();
            switch (trnm)
            {
                case "REAL":
                    await DeliverAsync(connection, root, output, ct);
                    break;
                case "REG" or "REMOVE":
                    Acknowledge(connection, trnm, root);
                    break;
                case "SYSTEM":
                    throw new KiwoomLiveException($"SYSTEM message: {Shown(message)}");
                case "LOGIN" when ReturnCode(root) is not 0:
                    throw new KiwoomLiveException($"LOGIN answer with return_code {ReturnCode(root)?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {Redact(Text(root, "return_msg") ?? "")}");
                default:
                    _logger.LogDebug("Kiwoom websocket: ignored a {Trnm} message", trnm ?? "(no trnm)");
                    break;
            }
        }
    }

    private async Task DeliverAsync(Connection connection, JsonElement root, ChannelWriter<LiveEvent> output, CancellationToken ct)
    {
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            Skip(connection, "REAL message skipped: no 'data' array");
            return;
        }

        var today = DateOnly.FromDateTime(_time.GetUtcNow().ToOffset(KiwoomValue.Kst).DateTime);
        var wanted = Volatile.Read(ref _wanted);
        foreach (var entry in data.EnumerateArray())
        {
            var parsed = KiwoomRealParser.Parse(entry, today, _options.RealAccValueUnit);
            if (parsed.Error is { } reason)
            {
                Skip(connection, $"REAL {parsed.Type ?? "?"} {parsed.Item ?? "?"} skipped: {reason}");
                continue;
            }

            // Other real types (00 order fills arrive unasked), or a code removed while its pushes were in flight.
            if (parsed.Event is not { } live || !wanted.Contains(live.Code))
            {
                continue;
            }

            if (live is LiveTick tick && !IsNewTrade(tick))
            {
                Interlocked.Increment(ref _duplicates);
                continue;
            }

            await output.WriteAsync(live, ct);
            Interlocked.Increment(ref _delivered);
        }
    }

    /// <summary>
    /// False for a trade already delivered. FID 13 (누적거래량) is the day's volume so far: every trade adds at least one
    /// share, so within one day it strictly grows with each trade. After a reconnect and re-REG the server may push the
    /// latest trade again; a trade whose day total is not above the last one delivered for its code that day is such a
    /// repeat (or older), so it is dropped. A new day starts from zero.
    /// </summary>
    private bool IsNewTrade(LiveTick tick)
    {
        var day = DateOnly.FromDateTime(tick.Time.DateTime);
        if (_lastTrades.TryGetValue(tick.Code, out var last) && last.Day == day && tick.AccVolume <= last.AccVolume)
        {
            return false;
        }

        _lastTrades[tick.Code] = new LastTrade(day, tick.AccVolume);
        return true;
    }

    private void Acknowledge(Connection connection, string trnm, JsonElement root)
    {
        var code = ReturnCode(root);
        var request = connection.Acknowledge(trnm, code == 0);
        if (code == 0)
        {
            _logger.LogDebug("Kiwoom websocket: {Trnm} of {Count} codes acknowledged", trnm, request?.Codes.Length ?? 0);
            return;
        }

        var codes = request is null ? "an unknown request" : $"{request.Codes.Length} codes ({string.Join(',', request.Codes.Take(5))}{(request.Codes.Length > 5 ? ",…" : "")})";
        var error = $"{trnm} of {codes} refused: return_code {code?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {Text(root, "return_msg")}";
        RecordError(error);
        _logger.LogError("Kiwoom websocket: {Error}; those codes are not registered until the next change or reconnect", Redact(error));
    }

    private async Task SyncRegistrationsAsync(CancellationToken ct)
    {
        await _syncLock.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _connection) is not { } connection)
            {
                return;
            }

            var (add, remove) = connection.Diff(Volatile.Read(ref _wanted));
            try
            {
                foreach (var chunk in remove.Chunk(_options.WsItemsPerRequest))
                {
                    await connection.SendRegistrationAsync("REMOVE", chunk, ct);
                }

                foreach (var chunk in add.Chunk(_options.WsItemsPerRequest))
                {
                    await connection.SendRegistrationAsync("REG", chunk, ct);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException ||
                                      (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                // The receive loop meets the same broken connection and reconnects; the new one registers every wanted code.
                _logger.LogDebug("Kiwoom websocket: registration not sent ({Error}); the reconnect will send it", e.Message);
            }

            if (add.Count + remove.Count > 0)
            {
                _logger.LogInformation("Kiwoom websocket: registered {Added} codes, removed {Removed}", add.Count, remove.Count);
            }
        }
        finally
        {
            _syncLock.Release();
        }
    }

    private void Skip(Connection connection, string reason)
    {
        Interlocked.Increment(ref _skipped);
        var count = ++connection.SkipWarnings;
        if (count <= SkipWarningsPerConnection)
        {
            _logger.LogWarning("Kiwoom websocket: {Reason}", Redact(reason));
        }
        else if (count == SkipWarningsPerConnection + 1)
        {
            _logger.LogWarning("Kiwoom websocket: more than {Count} entries skipped on this connection; further ones are only counted", SkipWarningsPerConnection);
        }
    }

    private void RecordError(string error)
    {
        var line = Redact(error).ReplaceLineEndings(" ");
        lock (_statusLock)
        {
            _lastError = line;
            _lastErrorAt = _time.GetUtcNow();
        }
    }

    private void SetState(KiwoomLiveState state)
    {
        lock (_statusLock)
        {
            _state = state;
            if (state != KiwoomLiveState.Connected)
            {
                _connectedSince = null;
            }
        }
    }

    /// <summary>Server text is shown in logs; should it ever quote the token, the token is masked.</summary>
    private string Redact(string text)
    {
        foreach (var token in new[] { Volatile.Read(ref _tokenInUse), _rejectedToken })
        {
            if (!string.IsNullOrEmpty(token))
            {
                text = text.Replace(token, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    private string Shown(ReadOnlyMemory<byte> message)
    {
        var text = Encoding.UTF8.GetString(message.Span[..Math.Min(message.Length, ShownMessageLength * 4)]);
        text = Redact(text).ReplaceLineEndings(" ");
        return text.Length <= ShownMessageLength ? text : text[..ShownMessageLength] + "…";
    }

    /// <summary>A PING message: JSON with trnm PING, or the bare text PING (the official client accepts both).</summary>
    private static bool IsPing(ReadOnlySpan<byte> message, out bool plain)
    {
        plain = message.Trim(" \t\r\n"u8).SequenceEqual("PING"u8);
        if (plain)
        {
            return true;
        }

        // Cheap pre-check: most messages are REAL pushes and need no second parse.
        if (message.IndexOf("PING"u8) < 0)
        {
            return false;
        }

        if (!TryParseObject(message.ToArray(), out var doc, out _))
        {
            return false;
        }

        using (doc)
        {
            return string.Equals(Text(doc.RootElement, "trnm"), "PING", StringComparison.OrdinalIgnoreCase);
        }
    }

    private static bool TryParseObject(ReadOnlyMemory<byte> message, out JsonDocument doc, out string? error)
    {
        try
        {
            doc = JsonDocument.Parse(message);
        }
        catch (JsonException e)
        {
            doc = null!;
            error = "not JSON (" + e.Message + ")";
            return false;
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            error = $"a JSON {doc.RootElement.ValueKind}, not an object";
            doc.Dispose();
            doc = null!;
            return false;
        }

        error = null;
        return true;
    }

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>return_code as a number or a numeric string; null when absent or unreadable.</summary>
    private static int? ReturnCode(JsonElement root)
    {
        if (!root.TryGetProperty("return_code", out var rc))
        {
            return null;
        }

        if (rc.ValueKind == JsonValueKind.Number && rc.TryGetInt32(out var n))
        {
            return n;
        }

        return rc.ValueKind == JsonValueKind.String &&
               int.TryParse(rc.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)
            ? n
            : null;
    }

    private readonly record struct LastTrade(DateOnly Day, long AccVolume);

    private sealed record Registration(string Trnm, StockCode[] Codes);

    /// <summary>One WebSocket connection: its sends (one at a time), and what it has registered.</summary>
    private sealed class Connection(ClientWebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);
        private readonly Lock _lock = new();
        private readonly HashSet<StockCode> _registered = [];

        // Sent and not yet acknowledged, in sending order: Kiwoom's acks name only the trnm, so they are matched by order.
        private readonly List<Registration> _unacknowledged = [];

        public ClientWebSocket Socket => socket;

        public byte[] Buffer { get; set; } = new byte[16 * 1024];

        public WebSocketMessageType LastMessageType { get; set; } = WebSocketMessageType.Text;

        public bool LoggedIn { get; set; }

        public int SkipWarnings { get; set; }

        public int RegisteredCount
        {
            get
            {
                lock (_lock)
                {
                    return _registered.Count;
                }
            }
        }

        public (List<StockCode> Add, List<StockCode> Remove) Diff(HashSet<StockCode> wanted)
        {
            lock (_lock)
            {
                var add = wanted.Where(c => !_registered.Contains(c)).OrderBy(c => c.Value, StringComparer.Ordinal).ToList();
                var remove = _registered.Where(c => !wanted.Contains(c)).OrderBy(c => c.Value, StringComparer.Ordinal).ToList();
                return (add, remove);
            }
        }

        public async Task SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken ct)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                await socket.SendAsync(message, type, endOfMessage: true, ct);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        public async Task SendRegistrationAsync(string trnm, StockCode[] codes, CancellationToken ct)
        {
            var body = new JsonObject { ["trnm"] = trnm, ["grp_no"] = Group };
            if (trnm == "REG")
            {
                body["refresh"] = "1";
            }

            body["data"] = new JsonArray(new JsonObject
            {
                ["item"] = new JsonArray([.. codes.Select(c => (JsonNode?)JsonValue.Create(c.Value))]),
                ["type"] = new JsonArray(KiwoomRealParser.TradeType, KiwoomRealParser.BookType),
            });
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            await _sendLock.WaitAsync(ct);
            try
            {
                // Recorded before sending: the acknowledgement can come back before SendAsync returns.
                lock (_lock)
                {
                    _unacknowledged.Add(new Registration(trnm, codes));
                    if (trnm == "REG")
                    {
                        _registered.UnionWith(codes);
                    }
                    else
                    {
                        _registered.ExceptWith(codes);
                    }
                }

                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        /// <summary>Takes the oldest unacknowledged request of this kind; a refused one is undone.</summary>
        public Registration? Acknowledge(string trnm, bool accepted)
        {
            lock (_lock)
            {
                var i = _unacknowledged.FindIndex(r => r.Trnm == trnm);
                if (i < 0)
                {
                    return null;
                }

                var request = _unacknowledged[i];
                _unacknowledged.RemoveAt(i);
                if (!accepted)
                {
                    if (trnm == "REG")
                    {
                        _registered.ExceptWith(request.Codes);
                    }
                    else
                    {
                        _registered.UnionWith(request.Codes);
                    }
                }

                return request;
            }
        }
    }
}
