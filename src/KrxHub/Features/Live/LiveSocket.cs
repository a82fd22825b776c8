using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace KrxHub.Features.Live;

/// <summary>
/// One /ws connection: a read loop that answers the client's requests, and a write loop that drains the client's
/// outbox. A bad message gets an error reply and the connection carries on; the connection ends when the client closes
/// it, the socket fails, or the client leaves <see cref="LiveOptions.MaxPendingReplies"/> replies unread.
/// </summary>
internal static class LiveSocket
{
    public static async Task HandleAsync(HttpContext context, LiveSubscriptions subscriptions, LiveOptions options, ILogger logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "WebSocket upgrade required",
                detail: "GET /ws is the live WebSocket API: connect with a WebSocket client (ws://host/ws), see README").ExecuteAsync(context);
            return;
        }

        var (socket, frames) = await AcceptAsync(context, options);
        using var disposeSocket = socket;
        using var disposeStream = frames;
        var client = subscriptions.Connect();
        // A stopping hub closes its sockets at once ("going away"), so clients reconnect elsewhere instead of waiting out the shutdown timeout.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var writing = WriteAsync(client, socket, frames, connection);
        try
        {
            await ReadAsync(client, socket, subscriptions, options, connection.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client went away or the connection was ended from our side.
        }
        finally
        {
            subscriptions.Disconnect(client);
            await connection.CancelAsync();
            await writing;
            if (client.Overflowed && socket.State == WebSocketState.Open)
            {
                logger.LogInformation("closing /ws client {Client}: it left {Max} replies unread", client.Id, options.MaxPendingReplies);
                await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "too many unread replies");
            }
            else if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await CloseQuietlyAsync(socket, stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure,
                    stopping.IsCancellationRequested ? "the hub is stopping" : "bye");
            }
        }
    }

    /// <summary>
    /// Accepts the upgrade. On HTTP/1.1 the handshake (RFC 6455 §4.2.2) is done here so that the socket runs over a
    /// <see cref="FrameStream"/>: a client's queued messages, already encoded as frames, then leave in one send call
    /// instead of one WebSocket send each. Other requests (HTTP/2 WebSockets) take ASP.NET Core's accept and send
    /// message by message.
    /// </summary>
    private static async Task<(WebSocket Socket, FrameStream? Frames)> AcceptAsync(HttpContext context, LiveOptions options)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers.SecWebSocketKey.ToString().Trim();
        if (upgrade is { IsUpgradableRequest: true } && key.Length > 0 && context.Request.Headers.SecWebSocketVersion == "13")
        {
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "websocket";
            context.Response.Headers.SecWebSocketAccept = AcceptKey(key);
            var stream = new FrameStream(await upgrade.UpgradeAsync());
            var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
            {
                IsServer = true,
                KeepAliveInterval = options.PingInterval,
                KeepAliveTimeout = options.PingTimeout,
            });
            return (socket, stream);
        }

        return (await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.PingInterval,
            KeepAliveTimeout = options.PingTimeout,
        }), null);
    }

#pragma warning disable CA5350 // RFC 6455 defines Sec-WebSocket-Accept with SHA-1; it proves the handshake, it protects nothing.
    private static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350

    private static async Task WriteAsync(LiveClient client, WebSocket socket, FrameStream? frames, CancellationTokenSource connection)
    {
        try
        {
            await client.RunWriterAsync(socket, frames, connection.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // A failed send ends the connection: the read loop is cancelled too.
            await connection.CancelAsync();
        }
    }

    private static async Task ReadAsync(LiveClient client, WebSocket socket, LiveSubscriptions subscriptions, LiveOptions options, CancellationToken ct)
    {
        var max = options.MaxClientMessageBytes;
        var message = new ArrayBufferWriter<byte>(1024);
        var tooLarge = false;
        while (true)
        {
            var result = await socket.ReceiveAsync(message.GetMemory(4096), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (message.WrittenCount + result.Count > max)
            {
                tooLarge = true;
                message.ResetWrittenCount();
            }
            else
            {
                message.Advance(result.Count);
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            if (tooLarge)
            {
                Reply(client, LiveMessages.Error(LiveErrors.MessageTooLarge, $"messages are limited to {max:N0} bytes; this one was skipped"));
            }
            else if (result.MessageType == WebSocketMessageType.Binary)
            {
                Reply(client, LiveMessages.Error(LiveErrors.BadMessage, "binary frames are not understood; send JSON text frames"));
            }
            else
            {
                try
                {
                    await subscriptions.HandleAsync(client, LiveRequest.Parse(message.WrittenSpan), ct);
                }
                catch (LiveRequestException e)
                {
                    Reply(client, LiveMessages.Error(e.Code, e.Message, e.Id));
                }
            }

            if (client.Overflowed)
            {
                return;
            }

            tooLarge = false;
            message.ResetWrittenCount();
        }
    }

    private static void Reply(LiveClient client, byte[] message) => client.Reply(message);

    private static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
        }
    }
}
