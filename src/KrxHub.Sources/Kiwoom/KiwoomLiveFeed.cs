using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
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
public sealed partial class KiwoomLiveFeed : ILiveFeed
{
    public const string WebSocketPath = "/api/dostk/websocket";

    private const int SkipWarningsPerConnection = 100;
    private const int ShownMessageLength = 200;

    private readonly KiwoomOptions _options;
    private readonly IReadOnlyDictionary<string, string> _indexItems;
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
    private KiwoomLiveConnection? _connection;
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
        _indexItems = options.IndexItemCodes ?? throw new ArgumentException("KRXHUB_KIWOOM__INDEXITEMS is malformed", nameof(options));
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
    public async Task RunAsync(Action<LiveEvent> publish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(publish);
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
                    await RunConnectionAsync(publish, () => failures = 0, ct);
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

    private async Task RunConnectionAsync(Action<LiveEvent> publish, Action loggedIn, CancellationToken ct)
    {
        // Before connecting: issuing a token has its own timeouts and retries, which must not eat the connect timeout.
        var asked = _rejectedToken;
        var token = await _accessToken(asked, ct);
        Volatile.Write(ref _tokenInUse, token);

        using var socket = new ClientWebSocket();
        using var timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);

        // Once logged in, a stop does not cancel the receive (that would abort the socket at once): it first clears the
        // real-time conditions with CNSRCLR (StopConnectionAsync), then cancels this.
        using var drop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, drop.Token);
        var connection = new KiwoomLiveConnection(socket);
        var stopping = default(CancellationTokenRegistration);
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
            if (_indexItems.Count > 0)
            {
                await connection.SendIndexRegistrationAsync([.. _indexItems.Keys], linked.Token);
            }

            await SyncRegistrationsAsync(ct);
            if (RealtimeConditions.Count > 0)
            {
                _ = RestoreConditionsAsync(connection, ct);
            }

            stopping = ct.UnsafeRegister(_ => _ = StopConnectionAsync(connection, drop), null);
            while (true)
            {
                timer.CancelAfter(_options.WsSilenceTimeout);
                var message = await connection.ReceiveMessageAsync(Redact, receiving.Token);

                // Disarmed while the message is handled: a slow consumer of the output is not a silent server.
                timer.CancelAfter(Timeout.InfiniteTimeSpan);
                await HandleMessageAsync(connection, message, publish, ct);
            }
        }
        catch (OperationCanceledException e) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new KiwoomLiveException(connection.LoggedIn
                ? $"nothing received for {_options.WsSilenceTimeout.TotalSeconds:0.###} s, not even a PING"
                : $"no connection or no LOGIN answer within {_options.RequestTimeout.TotalSeconds:0.###} s", e);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            // Stopping: whatever the dropped connection threw last is the stop, not a failure.
            throw new OperationCanceledException("the Kiwoom live feed stopped", e, ct);
        }
        finally
        {
            await stopping.DisposeAsync();
            Interlocked.CompareExchange(ref _connection, null, connection);
            connection.Conditions.Fail(new KiwoomLiveException("the connection ended before the answer"));
        }
    }

    private async Task LoginAsync(KiwoomLiveConnection connection, string token, bool freshToken, CancellationToken receiveCt, CancellationToken ct)
    {
        var login = new JsonObject { ["trnm"] = "LOGIN", ["token"] = token };
        await connection.SendAsync(Encoding.UTF8.GetBytes(login.ToJsonString()), WebSocketMessageType.Text, receiveCt);
        while (true)
        {
            var message = await connection.ReceiveMessageAsync(Redact, receiveCt);
            if (KiwoomLiveProtocol.IsPing(message.Span, out _))
            {
                await connection.SendAsync(message, connection.LastMessageType, ct);
                continue;
            }

            if (!KiwoomLiveProtocol.TryParseObject(message, out var doc, out _))
            {
                _logger.LogWarning("Kiwoom websocket: before the LOGIN answer, ignored a message that is not a JSON object: '{Message}'", Shown(message));
                continue;
            }

            using (doc)
            {
                var root = doc.RootElement;
                var trnm = KiwoomLiveProtocol.Text(root, "trnm");
                if (!string.Equals(trnm, "LOGIN", StringComparison.OrdinalIgnoreCase))
                {
                    _logger.LogWarning("Kiwoom websocket: ignored a {Trnm} message that came before the LOGIN answer", trnm ?? "(no trnm)");
                    continue;
                }

                var code = KiwoomLiveProtocol.ReturnCode(root);
                if (code == 0)
                {
                    return;
                }

                var text = Redact(KiwoomLiveProtocol.Text(root, "return_msg") ?? "");
                var answer = $"return_code {code?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {text}";
                if (!KiwoomLiveProtocol.IsTokenRefusal(code, text))
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

    private readonly record struct LastTrade(DateOnly Day, long AccVolume);

}
