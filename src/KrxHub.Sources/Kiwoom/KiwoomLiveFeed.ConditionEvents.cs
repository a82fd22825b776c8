using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Kiwoom;

/// <summary>The condition side of the receive loop and of a connection's life: answers, type 02 pushes, restoring after LOGIN, clearing on stop.</summary>
public sealed partial class KiwoomLiveFeed
{
    /// <summary>After a LOGIN: registers every wanted real-time condition again (a new connection has none). Errors are logged.</summary>
    private async Task RestoreConditionsAsync(KiwoomLiveConnection connection, CancellationToken ct)
    {
        try
        {
            await connection.Conditions.Gate.WaitAsync(ct);
            try
            {
                foreach (var seq in RealtimeConditions.Where(s => !connection.Conditions.IsRealtime(s)))
                {
                    try
                    {
                        await RegisterRealtimeAsync(connection, seq, ct);
                    }
                    catch (KiwoomException e) when (e is KiwoomApiException or KiwoomConditionLimitException)
                    {
                        // One refused condition (deleted in HTS, say) does not keep the others from registering.
                        RecordError(e.Message);
                        _logger.LogError("Kiwoom websocket: real-time condition {Seq} not registered again: {Error}", seq, Redact(e.Message));
                    }
                }
            }
            finally
            {
                connection.Conditions.Gate.Release();
            }
        }
        catch (Exception e) when (e is KiwoomException or WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // A lost connection: the next LOGIN restores them again.
            _logger.LogWarning("Kiwoom websocket: real-time conditions not registered again yet: {Error}", Redact(e.Message));
        }
    }

    /// <summary>A CNSRLST/CNSRREQ/CNSRCLR message of the receive loop: the answer of the waiting request, or a CNSRCLR sent on stopping.</summary>
    private void HandleConditionAnswer(KiwoomLiveConnection connection, string trnm, JsonElement root)
    {
        if (connection.Conditions.TryAnswer(trnm, root))
        {
            return;
        }

        if (trnm == "CNSRCLR" && KiwoomLiveProtocol.ReturnCode(root) == 0 && KiwoomLiveProtocol.Text(root, "seq") is { } seq)
        {
            connection.Conditions.RemoveRealtime(seq);
            return;
        }

        _logger.LogDebug("Kiwoom websocket: ignored a {Trnm} answer no request waits for", trnm);
    }

    /// <summary>A REAL entry of type 02 (조건검색): 841 seq, 9001 code, 843 I/D, 20 time HHMMSS.</summary>
    private void HandleConditionPush(KiwoomLiveConnection connection, JsonElement entry, DateOnly today)
    {
        var values = entry.TryGetProperty("values", out var v) && v.ValueKind == JsonValueKind.Object ? v : default;
        string? Field(string fid) => values.ValueKind == JsonValueKind.Object ? KiwoomLiveProtocol.Text(values, fid) : null;
        var seq = Field("841")?.Trim();
        var code = KiwoomConditionCodes.Parse(Field("9001") ?? KiwoomLiveProtocol.Text(entry, "item"));
        var kind = Field("843")?.Trim() switch
        {
            "I" => KiwoomConditionSignalKind.Entry,
            "D" => KiwoomConditionSignalKind.Exit,
            _ => (KiwoomConditionSignalKind?)null,
        };
        if (seq is null || code is null || kind is null)
        {
            Skip(connection, $"REAL 02 skipped: needs 841 seq, 9001 code and 843 I or D, got {values}");
            return;
        }

        if (!connection.Conditions.IsRealtime(seq))
        {
            _logger.LogDebug("Kiwoom websocket: a push of condition {Seq}, not registered on this connection, ignored", seq);
            return;
        }

        var at = TimeOnly.TryParseExact(Field("20"), "HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? new DateTimeOffset(today.ToDateTime(time), KiwoomValue.Kst)
            : _time.GetUtcNow();
        _conditionSignals.Writer.TryWrite(new KiwoomConditionSignal(seq, kind.Value, [code.Value], at));
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>
    /// The feed is stopping: CNSRCLR for every real-time condition of the connection, a wait of up to
    /// <see cref="ClearOnStopGrace"/> for the answers (read by the receive loop), then the connection is dropped.
    /// </summary>
    private async Task StopConnectionAsync(KiwoomLiveConnection connection, CancellationTokenSource drop)
    {
        try
        {
            var registered = connection.Conditions.Realtime;
            if (registered.Count > 0)
            {
                drop.CancelAfter(ClearOnStopGrace);
                foreach (var seq in registered)
                {
                    var clear = new JsonObject { ["trnm"] = "CNSRCLR", ["seq"] = seq };
                    await connection.SendAsync(Encoding.UTF8.GetBytes(clear.ToJsonString()), WebSocketMessageType.Text, drop.Token);
                }

                await connection.Conditions.Cleared.WaitAsync(drop.Token);
                _logger.LogInformation("Kiwoom websocket: {Count} real-time conditions cleared before closing", registered.Count);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogWarning("Kiwoom websocket: real-time conditions not cleared before closing: {Error}", e.Message);
        }
        finally
        {
            try
            {
                await drop.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // The connection had already ended.
            }
        }
    }
}
