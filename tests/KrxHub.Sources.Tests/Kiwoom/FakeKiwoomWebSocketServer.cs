using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>
/// A Kestrel server on 127.0.0.1 speaking Kiwoom's real-time WebSocket as broker-apis.md §1.6 documents it, at
/// /api/dostk/websocket: the first message must be LOGIN with a token the REST fake issued (else return_code 8005 and
/// the connection is closed), REG/REMOVE are checked and acknowledged with return_code 0 (1 when malformed or over
/// <see cref="MaxItemsPerRequest"/>), and PING echoes are recorded. Tests push REAL, SYSTEM and PING messages through
/// <see cref="FakeKiwoomSession"/> and abort connections.
/// </summary>
internal sealed class FakeKiwoomWebSocketServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Func<string, bool> _tokenValid;
    private readonly List<FakeKiwoomSession> _sessions = [];
    private readonly Lock _lock = new();

    private FakeKiwoomWebSocketServer(WebApplication app, Func<string, bool> tokenValid)
    {
        _app = app;
        _tokenValid = tokenValid;
    }

    /// <summary>ws://127.0.0.1:port, for KiwoomOptions.WsUrl.</summary>
    public string WsUrl { get; private set; } = "";

    /// <summary>Quote the refused token in the 8005 answer, so tests can prove the client masks server text it logs.</summary>
    public bool QuoteRefusedToken { get; set; }

    /// <summary>The HTS conditions this server's condition search serves.</summary>
    public FakeKiwoomConditions Conditions { get; } = new();

    /// <summary>The server's own limit on codes per REG/REMOVE; null for none.</summary>
    public int? MaxItemsPerRequest { get; set; }

    public IReadOnlyList<FakeKiwoomSession> Sessions
    {
        get
        {
            lock (_lock)
            {
                return [.. _sessions];
            }
        }
    }

    /// <summary>The sessions that logged in, in order.</summary>
    public IReadOnlyList<FakeKiwoomSession> LoggedIn => Sessions.Where(s => s.LoggedIn).ToList();

    public static async Task<FakeKiwoomWebSocketServer> StartAsync(Func<string, bool> tokenValid)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKiwoomWebSocketServer(app, tokenValid);
        app.UseWebSockets();
        app.Map("/api/dostk/websocket", server.AcceptAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.WsUrl = "ws" + address.TrimEnd('/')["http".Length..];
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var session in Sessions)
        {
            session.Abort();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AcceptAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        FakeKiwoomSession session;
        lock (_lock)
        {
            session = new FakeKiwoomSession(_sessions.Count + 1, socket, ctx, Conditions);
            _sessions.Add(session);
        }

        await session.ServeAsync(_tokenValid, () => MaxItemsPerRequest, QuoteRefusedToken);
    }
}

/// <summary>One client connection of <see cref="FakeKiwoomWebSocketServer"/>.</summary>
internal sealed class FakeKiwoomSession(int number, WebSocket socket, HttpContext context, FakeKiwoomConditions conditions)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly HashSet<string> _registered = [];
    private readonly HashSet<string> _realtimeConditions = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Number => number;

    /// <summary>Every message the client sent, as text, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>The client's messages as raw bytes, in order (PING echoes are compared byte for byte).</summary>
    public ConcurrentQueue<byte[]> ReceivedBytes { get; } = new();

    public string? LoginToken { get; private set; }

    public bool LoggedIn { get; private set; }

    public bool LoginRefused { get; private set; }

    /// <summary>The REG and REMOVE requests as parsed JSON, in order.</summary>
    public ConcurrentQueue<JsonObject> Registrations { get; } = new();

    /// <summary>Anything the client sent that the protocol does not allow.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    public Task Closed => _closed.Task;

    /// <summary>CNSRLST was answered on this connection.</summary>
    public bool ConditionsListed { get; set; }

    /// <summary>The CNSRLST/CNSRREQ/CNSRCLR requests as parsed JSON, in order.</summary>
    public ConcurrentQueue<JsonObject> ConditionRequests { get; } = new();

    /// <summary>The seqs registered for real time on this connection.</summary>
    public IReadOnlySet<string> RealtimeConditions
    {
        get
        {
            lock (_lock)
            {
                return new HashSet<string>(_realtimeConditions);
            }
        }
    }

    public bool AddRealtimeCondition(string seq, int limit)
    {
        lock (_lock)
        {
            return _realtimeConditions.Contains(seq) || (_realtimeConditions.Count < limit && _realtimeConditions.Add(seq));
        }
    }

    public bool RemoveRealtimeCondition(string seq)
    {
        lock (_lock)
        {
            return _realtimeConditions.Remove(seq);
        }
    }

    public IReadOnlySet<string> Registered
    {
        get
        {
            lock (_lock)
            {
                return new HashSet<string>(_registered);
            }
        }
    }

    public Task SendAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json), frameSize: int.MaxValue);

    public Task SendAsync(JsonNode message) => SendAsync(message.ToJsonString());

    /// <summary>Sends one message split into frames of <paramref name="frameSize"/> bytes (EndOfMessage on the last only).</summary>
    public async Task SendAsync(byte[] message, int frameSize)
    {
        await _sendLock.WaitAsync();
        try
        {
            for (var offset = 0; offset < message.Length || offset == 0; offset += frameSize)
            {
                var length = Math.Min(frameSize, message.Length - offset);
                var last = offset + length >= message.Length;
                await socket.SendAsync(message.AsMemory(offset, length), WebSocketMessageType.Text, last, CancellationToken.None);
                if (last)
                {
                    break;
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the TCP connection without a close handshake, as a network failure would.</summary>
    public void Abort()
    {
        if (_closed.Task.IsCompleted)
        {
            return;
        }

        try
        {
            context.Abort();
        }
        catch (Exception e) when (e is ObjectDisposedException or NullReferenceException)
        {
            // The request ended between the check and the abort (a finished HttpContext has no features left: a NullReferenceException).
        }
    }

    internal async Task ServeAsync(Func<string, bool> tokenValid, Func<int?> maxItems, bool quoteRefusedToken)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var bytes = message.ToArray();
                ReceivedBytes.Enqueue(bytes);
                var text = Encoding.UTF8.GetString(bytes);
                Received.Enqueue(text);
                await HandleAsync(text, tokenValid, maxItems(), quoteRefusedToken);
                if (LoginRefused)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "login failed", CancellationToken.None);
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            // The connection was aborted, by the test or the client (Kestrel's ConnectionAbortedException is an OperationCanceledException).
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private async Task HandleAsync(string text, Func<string, bool> tokenValid, int? maxItems, bool quoteRefusedToken)
    {
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            json = null;
        }

        var trnm = json?["trnm"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        if (!LoggedIn)
        {
            if (trnm != "LOGIN" || json!["token"] is not JsonValue tokenValue || !tokenValue.TryGetValue<string>(out var token))
            {
                Violations.Enqueue("first message is not LOGIN with a token: " + text);
                LoginRefused = true;
                return;
            }

            LoginToken = token;
            if (!tokenValid(token))
            {
                LoginRefused = true;
                await SendAsync(new JsonObject { ["trnm"] = "LOGIN", ["return_code"] = 8005, ["return_msg"] = "Token이 유효하지 않습니다" + (quoteRefusedToken ? $" (token {token})" : "") });
                return;
            }

            LoggedIn = true;
            await SendAsync(new JsonObject { ["trnm"] = "LOGIN", ["return_code"] = 0, ["return_msg"] = "" });
            return;
        }

        switch (trnm)
        {
            case "REG" or "REMOVE":
                Registrations.Enqueue(json!);
                var error = Register(trnm, json!, maxItems);
                if (error is not null)
                {
                    Violations.Enqueue(error);
                }

                await SendAsync(new JsonObject { ["trnm"] = trnm, ["return_code"] = error is null ? 0 : 1, ["return_msg"] = error ?? "" });
                return;
            case "CNSRLST" or "CNSRREQ" or "CNSRCLR":
                if (conditions.Answer(this, trnm, json!) is { } answer)
                {
                    await SendAsync(answer);
                }

                return;
            case "PING":
                return;
            default:
                Violations.Enqueue("unexpected message: " + text);
                return;
        }
    }

    /// <summary>Applies a REG/REMOVE; null when accepted, else why it was refused.</summary>
    private string? Register(string trnm, JsonObject json, int? maxItems)
    {
        if (json["grp_no"] is not JsonValue g || !g.TryGetValue<string>(out var group) || group.Length is 0 or > 4)
        {
            return "grp_no must be a string of up to 4 characters";
        }

        if (trnm == "REG" && (json["refresh"] is not JsonValue r || !r.TryGetValue<string>(out var refresh) || refresh is not ("0" or "1")))
        {
            return "REG needs refresh \"0\" or \"1\"";
        }

        if (json["data"] is not JsonArray { Count: > 0 } data)
        {
            return "data must be a non-empty array";
        }

        var changes = new List<string>();
        foreach (var entry in data)
        {
            if (entry?["item"] is not JsonArray items || entry["type"] is not JsonArray types ||
                items.Any(i => i is not JsonValue v || !v.TryGetValue<string>(out _)) ||
                types.Any(i => i is not JsonValue v || !v.TryGetValue<string>(out var type) || type.Length != 2))
            {
                return "each data entry needs item and type string arrays (types of 2 characters)";
            }

            if (maxItems is { } max && items.Count > max)
            {
                return $"too many items ({items.Count} > {max})";
            }

            foreach (var type in types)
            {
                changes.AddRange(items.Select(i => $"{(string)i!}/{(string)type!}"));
            }
        }

        lock (_lock)
        {
            if (trnm == "REG")
            {
                if ((string?)json["refresh"] == "0")
                {
                    _registered.Clear();
                }

                _registered.UnionWith(changes);
            }
            else
            {
                _registered.ExceptWith(changes);
            }
        }

        return null;
    }
}
