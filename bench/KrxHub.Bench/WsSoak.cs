using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>
/// The issue-17 WebSocket soak against a hub that is already running (bench/load-ws.sh starts one): N clients on /ws, each
/// subscribed to the ticks of a few codes and to one ranking, for D seconds. Every report interval it prints the clients
/// connected, messages received per second, errors so far and the hub's RSS (VmRSS of --pid), so that "flat memory" can be
/// judged; at the end a summary with the RSS first/last/max. A client whose connection breaks counts an error and connects
/// again after a second, so that the number connected stays meaningful.
/// </summary>
internal static class WsSoak
{
    private static readonly byte[] ErrorPrefix = "{\"op\":\"error\""u8.ToArray();
    private static readonly byte[] SubscribedPrefix = "{\"op\":\"subscribed\""u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var url = new Uri(StringOption(args, "--url") ?? "http://127.0.0.1:5080");
        var clientCount = IntOption(args, "--clients", 1_000);
        var seconds = IntOption(args, "--seconds", 600);
        var reportEvery = IntOption(args, "--report", 30);
        var parallel = IntOption(args, "--connect-parallel", 50);
        var pid = StringOption(args, "--pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : (int?)null;
        var codes = (StringOption(args, "--codes") ?? "005930,000660,035420,005380,035720").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var key = StringOption(args, "--key");
        var ws = new UriBuilder(url) { Scheme = url.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Path = "/ws",
            Query = key is null ? string.Empty : "access_token=" + Uri.EscapeDataString(key) }.Uri;

        var stats = new SoakStats();
        using var stop = new CancellationTokenSource();
        string[] metrics = ["volume", "value", "change"];
        var subscribes = Enumerable.Range(0, clientCount).Select(i => new[]
        {
            Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { op = "subscribe", channel = "ticks", codes, id = 1 })),
            Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { op = "subscribe", channel = "rankings", market = "ALL", metric = metrics[i % metrics.Length], n = 20, id = 2 })),
        }).ToArray();

        // Connect in waves of --connect-parallel, as many clients starting at once would (a dashboard after a hub restart).
        var connecting = Stopwatch.StartNew();
        var clients = new List<Task>(clientCount);
        using var gate = new SemaphoreSlim(parallel);
        var firstConnections = new List<Task>(clientCount);
        for (var i = 0; i < clientCount; i++)
        {
            var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            firstConnections.Add(connected.Task);
            await gate.WaitAsync();
            clients.Add(ClientAsync(ws, subscribes[i], stats, connected, gate, stop.Token));
        }

        await Task.WhenAll(firstConnections);
        var connectSeconds = connecting.Elapsed.TotalSeconds;
        Print(new { bench = "ws-soak", phase = "connected", url = url.ToString(), clients = clientCount, connected = stats.Connected,
            connectSeconds = Math.Round(connectSeconds, 1), errors = stats.Errors, hubRssMb = RssMb(pid) });

        // The soak: RSS every second (first, last and max), a report line every --report seconds.
        var rss = new List<double>();
        var reports = new List<double>();
        var started = Stopwatch.StartNew();
        var messagesAtStart = stats.Messages;
        var (lastMessages, lastReport) = (messagesAtStart, TimeSpan.Zero);
        var minConnected = stats.Connected;
        while (started.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            minConnected = Math.Min(minConnected, stats.Connected);
            if (RssMb(pid) is { } now)
            {
                rss.Add(now);
            }

            var elapsed = started.Elapsed;
            if (elapsed - lastReport >= TimeSpan.FromSeconds(reportEvery) || elapsed >= TimeSpan.FromSeconds(seconds))
            {
                var messages = stats.Messages;
                var hubRss = rss.Count > 0 ? rss[^1] : (double?)null;
                if (hubRss is { } r)
                {
                    reports.Add(r);
                }

                Print(new { bench = "ws-soak", elapsedSeconds = Math.Round(elapsed.TotalSeconds), connected = stats.Connected,
                    messagesPerSecond = Math.Round((messages - lastMessages) / (elapsed - lastReport).TotalSeconds), errors = stats.Errors, hubRssMb = hubRss });
                (lastMessages, lastReport) = (messages, elapsed);
            }
        }

        var soakSeconds = started.Elapsed.TotalSeconds;
        var connectedAtEnd = stats.Connected;
        var totalMessages = stats.Messages - messagesAtStart;
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        Print(new
        {
            bench = "ws-soak",
            summary = true,
            clients = clientCount,
            seconds,
            connectSeconds = Math.Round(connectSeconds, 1),
            connectedAtEnd,
            minConnected,
            messages = totalMessages,
            messagesPerSecond = Math.Round(totalMessages / soakSeconds),
            subscriptionsAcknowledged = stats.Acknowledged,
            errors = stats.Errors,
            errorKinds = stats.Kinds.ToDictionary(k => k.Key, k => k.Value),
            reconnects = stats.Reconnects,
            hubRssFirstMb = rss.Count > 0 ? Math.Round(rss[0]) : (double?)null,
            hubRssLastMb = rss.Count > 0 ? Math.Round(rss[^1]) : (double?)null,
            hubRssMaxMb = rss.Count > 0 ? Math.Round(rss.Max()) : (double?)null,
            hubRssReportsMb = reports.Select(r => Math.Round(r)).ToArray(),
            target = "0 errors and flat memory",
            met = stats.Errors == 0 && connectedAtEnd == clientCount,
            note = "met covers errors and connections only; judge flat memory from hubRssReportsMb",
            cores = Environment.ProcessorCount,
        });
        return stats.Errors == 0 ? 0 : 1;
    }

    /// <summary>One client for the whole soak: connect, subscribe, count messages; on a break, count the error and connect again.</summary>
    private static async Task ClientAsync(Uri ws, byte[][] subscribes, SoakStats stats, TaskCompletionSource firstConnection, SemaphoreSlim gate,
        CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        while (!ct.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            var open = false;
            try
            {
                await socket.ConnectAsync(ws, ct);
                foreach (var subscribe in subscribes)
                {
                    await socket.SendAsync(subscribe, WebSocketMessageType.Text, true, ct);
                }

                open = true;
                Interlocked.Increment(ref stats.ConnectedCount);
                Release(firstConnection, gate);
                await ReadAsync(socket, buffer, stats, ct);
                if (!ct.IsCancellationRequested)
                {
                    stats.Error($"closed by the hub: {socket.CloseStatus} {socket.CloseStatusDescription}".TrimEnd());
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or InvalidOperationException)
            {
                stats.Error(open ? $"broken: {e.Message}" : $"connect: {(socket.HttpStatusCode is 0 ? e.Message : ((int)socket.HttpStatusCode).ToString(CultureInfo.InvariantCulture))}");
            }
            finally
            {
                if (open)
                {
                    Interlocked.Decrement(ref stats.ConnectedCount);
                }
            }

            Release(firstConnection, gate);
            if (ct.IsCancellationRequested)
            {
                await CloseAsync(socket);
                return;
            }

            Interlocked.Increment(ref stats.ReconnectCount);
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
    }

    private static void Release(TaskCompletionSource firstConnection, SemaphoreSlim gate)
    {
        if (firstConnection.TrySetResult())
        {
            gate.Release();
        }
    }

    /// <summary>Reads until the hub closes or <paramref name="ct"/> ends the soak; only the first bytes of a message are looked at.</summary>
    private static async Task ReadAsync(ClientWebSocket socket, byte[] buffer, SoakStats stats, CancellationToken ct)
    {
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var head = buffer.AsSpan(0, result.Count);
            if (head.StartsWith(ErrorPrefix))
            {
                stats.Error("hub error message: " + Encoding.UTF8.GetString(head[..Math.Min(head.Length, 200)]));
            }
            else if (head.StartsWith(SubscribedPrefix))
            {
                Interlocked.Increment(ref stats.AcknowledgedCount);
            }

            while (!result.EndOfMessage)
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
            }

            Interlocked.Increment(ref stats.MessageCount);
        }
    }

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "soak over", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The soak is over; a close that does not go through is not one of its errors.
        }
    }

    private static double? RssMb(int? pid)
    {
        if (pid is null || !File.Exists($"/proc/{pid}/status"))
        {
            return null;
        }

        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? null : Math.Round(long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0, 1);
    }

    private sealed class SoakStats
    {
        public long MessageCount;
        public long AcknowledgedCount;
        public int ConnectedCount;
        public int ReconnectCount;
        private long _errors;

        public ConcurrentDictionary<string, int> Kinds { get; } = new(StringComparer.Ordinal);

        public long Messages => Interlocked.Read(ref MessageCount);

        public long Acknowledged => Interlocked.Read(ref AcknowledgedCount);

        public int Connected => Volatile.Read(ref ConnectedCount);

        public int Reconnects => Volatile.Read(ref ReconnectCount);

        public long Errors => Interlocked.Read(ref _errors);

        public void Error(string kind)
        {
            Interlocked.Increment(ref _errors);
            // Kinds without their varying details (a message's text), so that the summary stays short.
            Kinds.AddOrUpdate(kind.Length > 120 ? kind[..120] : kind, 1, (_, n) => n + 1);
        }
    }
}
