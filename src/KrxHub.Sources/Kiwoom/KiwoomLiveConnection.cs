using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrxHub.Core;

namespace KrxHub.Sources.Kiwoom;

/// <summary>A REG or REMOVE request sent and not yet acknowledged.</summary>
internal sealed record KiwoomRegistration(string Trnm, StockCode[] Codes);

/// <summary>One WebSocket connection to Kiwoom: its sends (one at a time), its reads, and what it has registered.</summary>
internal sealed class KiwoomLiveConnection(ClientWebSocket socket)
{
    // One group holds every registration; REG with refresh "1" adds to it, REMOVE takes codes out.
    public const string Group = "1";

    public const int MaxMessageBytes = 4 * 1024 * 1024;

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly HashSet<StockCode> _registered = [];

    // Sent and not yet acknowledged, in sending order: Kiwoom's acks name only the trnm, so they are matched by order.
    private readonly List<KiwoomRegistration> _unacknowledged = [];

    public ClientWebSocket Socket => socket;

    /// <summary>The condition-search requests (CNSR*) of this connection, one at a time: each answer names only its trnm.</summary>
    public KiwoomConditionRequests Conditions { get; } = new();

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
                _unacknowledged.Add(new KiwoomRegistration(trnm, codes));
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

    /// <summary>REG of the sector items' 0J (업종지수), in the same group; acknowledged in order like the code registrations.</summary>
    public async Task SendIndexRegistrationAsync(IReadOnlyCollection<string> items, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["trnm"] = "REG",
            ["grp_no"] = Group,
            ["refresh"] = "1",
            ["data"] = new JsonArray(new JsonObject
            {
                ["item"] = new JsonArray([.. items.Select(i => (JsonNode?)JsonValue.Create(i))]),
                ["type"] = new JsonArray(KiwoomRealParser.IndexType),
            }),
        };
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        await _sendLock.WaitAsync(ct);
        try
        {
            lock (_lock)
            {
                _unacknowledged.Add(new KiwoomRegistration("REG", []));
            }

            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Takes the oldest unacknowledged request of this kind; a refused one is undone.</summary>
    public KiwoomRegistration? Acknowledge(string trnm, bool accepted)
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

    /// <summary>Reads frames until EndOfMessage: Kiwoom messages can exceed one frame (4 KB and more). Close text is shown through <paramref name="redact"/>.</summary>
    public async Task<ReadOnlyMemory<byte>> ReceiveMessageAsync(Func<string, string> redact, CancellationToken ct)
    {
        var buffer = Buffer;
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
                Buffer = buffer;
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(count), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                var status = socket.CloseStatus?.ToString() ?? "no status";
                throw new KiwoomLiveException($"the server closed the connection ({status}: {redact(socket.CloseStatusDescription ?? "")})");
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                LastMessageType = result.MessageType;
                return buffer.AsMemory(0, count);
            }
        }
    }
}

/// <summary>Reading Kiwoom's WebSocket messages: PING, JSON objects, trnm and return_code, LOGIN refusals.</summary>
internal static class KiwoomLiveProtocol
{
    // The LOGIN answers after which the official client logs in again with a newly issued token.
    public static readonly int[] TokenRejectedCodes = [8005, 8031, 8103];

    public static bool IsTokenRefusal(int? code, string? message) =>
        (code is { } c && TokenRejectedCodes.Contains(c)) ||
        (KiwoomResponse.DetailCode(message) is { } detail && TokenRejectedCodes.Contains(detail)) ||
        TokenRejectedCodes.Any(t => message?.Contains($"CODE={t.ToString(CultureInfo.InvariantCulture)}", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>A PING message: JSON with trnm PING, or the bare text PING (the official client accepts both).</summary>
    public static bool IsPing(ReadOnlySpan<byte> message, out bool plain)
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

    public static bool TryParseObject(ReadOnlyMemory<byte> message, out JsonDocument doc, out string? error)
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

    public static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>return_code as a number or a numeric string; null when absent or unreadable.</summary>
    public static int? ReturnCode(JsonElement root)
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
}
