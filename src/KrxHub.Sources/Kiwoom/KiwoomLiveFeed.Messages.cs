using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Kiwoom;

/// <summary>What the feed does with each message of a logged-in connection: REAL pushes become events, acks settle registrations.</summary>
public sealed partial class KiwoomLiveFeed
{
    private async Task HandleMessageAsync(KiwoomLiveConnection connection, ReadOnlyMemory<byte> message, Action<LiveEvent> publish, CancellationToken ct)
    {
        if (KiwoomLiveProtocol.IsPing(message.Span, out var plain))
        {
            // The server checks the echo: the very bytes it sent, not a re-serialisation.
            await connection.SendAsync(message, connection.LastMessageType, ct);
            if (plain)
            {
                _logger.LogDebug("Kiwoom websocket: echoed a plain-text PING");
            }

            return;
        }

        if (!KiwoomLiveProtocol.TryParseObject(message, out var doc, out var error))
        {
            Skip(connection, $"message skipped, {error}: '{Shown(message)}'");
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var trnm = KiwoomLiveProtocol.Text(root, "trnm")?.ToUpperInvariant();
            switch (trnm)
            {
                case "REAL":
                    await DeliverAsync(connection, root, publish, ct);
                    break;
                case "REG" or "REMOVE":
                    Acknowledge(connection, trnm, root);
                    break;
                case "CNSRLST" or "CNSRREQ" or "CNSRCLR":
                    HandleConditionAnswer(connection, trnm, root);
                    break;
                case "SYSTEM":
                    throw new KiwoomLiveException($"SYSTEM message: {Shown(message)}");
                case "LOGIN" when KiwoomLiveProtocol.ReturnCode(root) is not 0:
                    throw new KiwoomLiveException($"LOGIN answer with return_code {KiwoomLiveProtocol.ReturnCode(root)?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {Redact(KiwoomLiveProtocol.Text(root, "return_msg") ?? "")}");
                default:
                    _logger.LogDebug("Kiwoom websocket: ignored a {Trnm} message", trnm ?? "(no trnm)");
                    break;
            }
        }
    }

    private async Task DeliverAsync(KiwoomLiveConnection connection, JsonElement root, Action<LiveEvent> publish, CancellationToken ct)
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
            if (entry.ValueKind == JsonValueKind.Object && KiwoomLiveProtocol.Text(entry, "type") == ConditionPushType)
            {
                HandleConditionPush(connection, entry, today);
                continue;
            }

            var parsed = KiwoomRealParser.Parse(entry, today, _options.RealAccValueUnit, _indexItems);
            if (parsed.Error is { } reason)
            {
                Skip(connection, $"REAL {parsed.Type ?? "?"} {parsed.Item ?? "?"} skipped: {reason}");
                continue;
            }

            // Index levels are registered once per connection, whatever codes are wanted.
            if (parsed.Event is Core.Indices.LiveIndexLevel level)
            {
                publish(level);
                Interlocked.Increment(ref _delivered);
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

            publish(live);
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

    private void Acknowledge(KiwoomLiveConnection connection, string trnm, JsonElement root)
    {
        var code = KiwoomLiveProtocol.ReturnCode(root);
        var request = connection.Acknowledge(trnm, code == 0);
        if (code == 0)
        {
            _logger.LogDebug("Kiwoom websocket: {Trnm} of {Count} codes acknowledged", trnm, request?.Codes.Length ?? 0);
            return;
        }

        var codes = request is null ? "an unknown request" : $"{request.Codes.Length} codes ({string.Join(',', request.Codes.Take(5))}{(request.Codes.Length > 5 ? ",…" : "")})";
        var error = $"{trnm} of {codes} refused: return_code {code?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}: {KiwoomLiveProtocol.Text(root, "return_msg")}";
        RecordError(error);
        _logger.LogError("Kiwoom websocket: {Error}; those codes are not registered until the next change or reconnect", Redact(error));
    }

    private void Skip(KiwoomLiveConnection connection, string reason)
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
}
