using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace KrxHub.Client;

// /ws as an async stream: connect, subscribe, read; on a lost connection, connect and subscribe again.
public sealed partial class KrxHubClient
{
    /// <summary>
    /// Follows <paramref name="topics"/> on /ws until <paramref name="ct"/> is cancelled. The stream survives the hub going
    /// away: it reconnects with a growing delay (<see cref="KrxHubClientOptions.ReconnectDelay"/> doubling up to
    /// <see cref="KrxHubClientOptions.MaxReconnectDelay"/>), subscribes every topic again, yields <see cref="LiveReconnected"/>
    /// and carries on with the new snapshots and updates. A subscription the hub refuses throws <see cref="KrxHubLiveException"/>;
    /// a refused key throws <see cref="KrxHubUnauthorizedException"/> or <see cref="KrxHubForbiddenException"/>.
    /// </summary>
    public async IAsyncEnumerable<LiveMessage> LiveAsync(IReadOnlyList<LiveTopic> topics, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        string? lostBecause = null;
        while (true)
        {
            var (socket, attempts) = await ConnectAndSubscribeAsync(topics, ct);
            using (socket)
            {
                if (lostBecause is not null)
                {
                    yield return new LiveReconnected(attempts, lostBecause);
                }

                while (true)
                {
                    var (message, lost) = await ReceiveAsync(socket, ct);
                    if (lost is not null)
                    {
                        lostBecause = lost;
                        break;
                    }

                    yield return message!;
                }
            }
        }
    }

    /// <summary>Only the messages of type <typeparamref name="T"/> (e.g. <see cref="LiveTick"/>) of <see cref="LiveAsync"/>.</summary>
    public async IAsyncEnumerable<T> LiveAsync<T>(IReadOnlyList<LiveTopic> topics, [EnumeratorCancellation] CancellationToken ct = default)
        where T : LiveMessage
    {
        await foreach (var message in LiveAsync(topics, ct))
        {
            if (message is T wanted)
            {
                yield return wanted;
            }
        }
    }

    /// <summary>The /ws address: ws(s)://host/ws, with the API key as access_token.</summary>
    public Uri LiveAddress
    {
        get
        {
            var builder = new UriBuilder(new Uri(_http.BaseAddress ?? Options.BaseAddress, "/ws"));
            builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            if (Options.ApiKey is { } key)
            {
                builder.Query = "access_token=" + Uri.EscapeDataString(key);
            }

            return builder.Uri;
        }
    }

    private async Task<(ClientWebSocket Socket, int Attempts)> ConnectAndSubscribeAsync(IReadOnlyList<LiveTopic> topics, CancellationToken ct)
    {
        var delay = Options.ReconnectDelay;
        for (var attempt = 1; ; attempt++)
        {
            var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                await socket.ConnectAsync(LiveAddress, ct);
                for (var i = 0; i < topics.Count; i++)
                {
                    await socket.SendAsync(topics[i].SubscribeMessage(i + 1), WebSocketMessageType.Text, true, ct);
                }

                return (socket, attempt);
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                var status = socket.HttpStatusCode;
                socket.Dispose();
                if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw KrxHubApiException.From(status, string.Empty, null);
                }
            }

            await Task.Delay(delay, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Options.MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>The next message, or why the connection is lost (closed, broken, or silent past the timeout).</summary>
    private async Task<(LiveMessage? Message, string? Lost)> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
        silence.CancelAfter(Options.SilenceTimeout);
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(4096), silence.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (null, $"closed by the hub ({socket.CloseStatus} {socket.CloseStatusDescription})".TrimEnd());
                }

                buffer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    return (Parse(buffer.WrittenSpan), null);
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"no message for {Options.SilenceTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            return (null, e.Message);
        }
    }

    private static LiveMessage Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8.ToArray());
        var root = document.RootElement;
        var op = root.TryGetProperty("op", out var o) ? o.GetString() ?? string.Empty : string.Empty;
        return op switch
        {
            "tick" => root.Deserialize<LiveTick>(Json)!,
            "book" => root.Deserialize<LiveBook>(Json)!,
            "rankings" => root.Deserialize<LiveRanking>(Json)!,
            "session" => root.Deserialize<LiveSession>(Json)!,
            "indices" => root.Deserialize<LiveIndices>(Json)!,
            "alerts" => root.Deserialize<LiveAlerts>(Json)!,
            "heartbeat" => root.Deserialize<LiveHeartbeat>(Json)!,
            "subscribed" => root.Deserialize<LiveSubscribed>(Json)!,
            "error" => throw new KrxHubLiveException(root.GetProperty("code").GetString() ?? "error", root.GetProperty("message").GetString() ?? string.Empty),
            _ => new LiveOther(op, root.Clone()),
        };
    }
}
