// Over 400 lines on purpose: LISTEN, NOTIFY batching, heartbeats and the subscription announcements share one
// connection lifecycle and one payload budget (8,000 bytes per NOTIFY).
using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using KrxHub.Core;
using KrxHub.Core.Live;
using Npgsql;

namespace KrxHub.Features.Live;

/// <summary>
/// Fans live events out to the other hub nodes on the same PostgreSQL with LISTEN/NOTIFY. The node that runs the live
/// source packs its events into NOTIFY payloads under PostgreSQL's 8,000-byte limit and announces itself every
/// <see cref="LiveOptions.BackplaneHeartbeatInterval"/>; every node listens and hands the events of other nodes to its
/// own <see cref="LiveBus"/> (which coalesces per stock when it is behind). Payload: <c>{"n":node,"e":[event…]}</c> or <c>{"n":node,"hb":source}</c>, events as
/// compact arrays (see <see cref="WriteEvent"/>). Sending never blocks the source: when PostgreSQL falls 100,000 events
/// behind, new events are dropped for the other nodes (counted in <see cref="Dropped"/>).
/// Every node also announces the codes its own WebSocket clients follow, on change (at most once per
/// <see cref="SubscriptionDebounce"/>) and with every heartbeat, as full sets in parts
/// (<c>{"n":node,"subs":{"v":version,"part":i,"parts":k,"codes":[…]}}</c>, see <see cref="SubscriptionPart"/>); what the
/// other nodes announce is in <see cref="RemoteCodes"/>, so that the node running the live source follows them too.
/// </summary>
public sealed class PostgresBackplane : BackgroundService
{
    public const string Channel = "krxhub_live";

    /// <summary>Under PostgreSQL's "payload must be shorter than 8000 bytes", with room for the envelope.</summary>
    public const int MaxPayloadBytes = 7_900;

    /// <summary>The shortest time between two announcements of a changed code set (a burst of subscriptions is one).</summary>
    public static readonly TimeSpan SubscriptionDebounce = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly LiveBus _bus;
    private readonly LiveSubscriptions _subscriptions;
    private readonly LiveOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresBackplane> _logger;
    private readonly Channel<LiveEvent> _outgoing = System.Threading.Channels.Channel.CreateBounded<LiveEvent>(
        new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private readonly byte[] _prefix;
    private readonly RemoteSubscriptions _remote;
    private readonly long _startedAt;
    private readonly Lock _announceGate = new();
    private HashSet<StockCode> _announcedCodes = [];
    private long _announcedVersion;
    private long _announcedBusVersion = -1;
    private volatile string? _announcing;
    private long _dropped;
    private long _sentPayloads;
    private long _received;

    public PostgresBackplane(string connectionString, LiveBus bus, LiveSubscriptions subscriptions, LiveOptions options, TimeProvider time, ILogger<PostgresBackplane> logger)
    {
        ArgumentNullException.ThrowIfNull(bus);
        // Its own small pool: a LISTEN connection and a sender, apart from the store's connections.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "krxhub-backplane", MaxPoolSize = 4 };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _bus = bus;
        _subscriptions = subscriptions;
        _options = options;
        _time = time;
        _logger = logger;
        _prefix = Encoding.UTF8.GetBytes($"{{\"n\":{JsonSerializer.Serialize(bus.Node)},\"e\":[");
        // Three missed heartbeats, as for the live source itself.
        _remote = new RemoteSubscriptions(3 * options.BackplaneHeartbeatInterval);
        _startedAt = time.GetTimestamp();
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long SentPayloads => Interlocked.Read(ref _sentPayloads);

    public long Received => Interlocked.Read(ref _received);

    /// <summary>The codes the other live nodes' clients follow, with a version that changes with them.</summary>
    public RemoteCodes RemoteCodes() => _remote.Snapshot(Elapsed);

    private TimeSpan Elapsed => _time.GetElapsedTime(_startedAt);

    /// <summary>Queues an event of this node's live source for the other nodes.</summary>
    public void Enqueue(LiveEvent e)
    {
        if (!_outgoing.Writer.TryWrite(e))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>While set, heartbeats say this node runs the live source named here.</summary>
    public void Announce(string? source) => _announcing = source;

    public override void Dispose()
    {
        _dataSource.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken) =>
        await Task.WhenAll(ListenAsync(stoppingToken), SendAsync(stoppingToken), HeartbeatAsync(stoppingToken),
            AnnounceChangedCodesAsync(stoppingToken));

    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, args) => OnNotification(args.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                while (true)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning("backplane listener lost its connection ({Message}); reconnecting", e.Message);
                await DelayAsync(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private void OnNotification(string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            var node = root.GetProperty("n").GetString()!;
            if (node == _bus.Node)
            {
                return;
            }

            if (root.TryGetProperty("subs", out var subs))
            {
                _remote.Accept(node, SubscriptionPart.Read(subs), Elapsed);
                return;
            }

            if (root.TryGetProperty("hb", out var heartbeat))
            {
                _bus.HeardRemoteSource(heartbeat.GetString()!);
                return;
            }

            foreach (var item in root.GetProperty("e").EnumerateArray())
            {
                var e = ReadEvent(item);
                Interlocked.Increment(ref _received);
                _bus.HeardRemoteSource(e.Source);
                _bus.Publish(e);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            _logger.LogWarning("ignoring a malformed backplane payload ({Message}): {Payload}", e.Message, payload.Length > 200 ? payload[..200] : payload);
        }
    }

    private async Task SendAsync(CancellationToken ct)
    {
        var payloads = new List<string>();
        var payload = new ArrayBufferWriter<byte>(MaxPayloadBytes + 1024);
        var item = new ArrayBufferWriter<byte>(1024);
        using var itemWriter = new Utf8JsonWriter(item);
        var count = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await _outgoing.Reader.WaitToReadAsync(ct))
                {
                    return;
                }

                // Everything queued now, packed into as few payloads as fit under the limit.
                payloads.Clear();
                payload.ResetWrittenCount();
                count = 0;
                while (payloads.Count < 64 && _outgoing.Reader.TryRead(out var e))
                {
                    item.ResetWrittenCount();
                    itemWriter.Reset(item);
                    WriteEvent(itemWriter, e);
                    itemWriter.Flush();
                    if (count > 0 && payload.WrittenCount + 1 + item.WrittenCount + 2 > MaxPayloadBytes)
                    {
                        payloads.Add(Close(payload));
                        payload.ResetWrittenCount();
                        count = 0;
                    }

                    payload.Write(count == 0 ? _prefix : ","u8);
                    payload.Write(item.WrittenSpan);
                    count++;
                }

                if (count > 0)
                {
                    payloads.Add(Close(payload));
                }

                await NotifyAsync(payloads, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Interlocked.Add(ref _dropped, count);
                _logger.LogWarning("backplane send failed ({Message}); events of this batch did not reach the other nodes", e.Message);
                await DelayAsync(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    private static string Close(ArrayBufferWriter<byte> payload)
    {
        payload.Write("]}"u8);
        return Encoding.UTF8.GetString(payload.WrittenSpan);
    }

    private async Task NotifyAsync(IReadOnlyList<string> payloads, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var p in payloads)
        {
            var command = new NpgsqlBatchCommand("SELECT pg_notify(@channel, @payload)");
            command.Parameters.AddWithValue("channel", Channel);
            command.Parameters.AddWithValue("payload", p);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(ct);
        Interlocked.Add(ref _sentPayloads, payloads.Count);
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.BackplaneHeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                // Every node repeats its whole code set: a lost part or a node that joined later is made good within one interval.
                var payloads = SubscriptionPayloads(always: true)!;
                if (_announcing is { } source)
                {
                    payloads.Insert(0, JsonSerializer.Serialize(new { n = _bus.Node, hb = source }));
                }

                try
                {
                    await NotifyAsync(payloads, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("backplane heartbeat failed: {Message}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Announces this node's code set as soon as it changed, at most once per <see cref="SubscriptionDebounce"/>.</summary>
    private async Task AnnounceChangedCodesAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SubscriptionDebounce, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (SubscriptionPayloads(always: false) is not { } payloads)
                {
                    continue;
                }

                try
                {
                    await NotifyAsync(payloads, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The next heartbeat sends the set again.
                    _logger.LogWarning("backplane subscription announcement failed: {Message}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// The payloads of this node's code set; a new version when the set differs from the last announced one. Null when
    /// <paramref name="always"/> is false and the set is unchanged.
    /// </summary>
    private List<string>? SubscriptionPayloads(bool always)
    {
        lock (_announceGate)
        {
            var changed = false;
            if (_subscriptions.SubscribedCodesVersion != _announcedBusVersion)
            {
                var (busVersion, codes) = _subscriptions.SubscribedCodes();
                _announcedBusVersion = busVersion;
                if (!_announcedCodes.SetEquals(codes))
                {
                    _announcedCodes = [.. codes];
                    _announcedVersion++;
                    changed = true;
                }
            }

            return changed || always ? SubscriptionPart.Payloads(_bus.Node, _announcedVersion, _announcedCodes, MaxPayloadBytes) : null;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// An event as a compact array. Trade: <c>["t",code,time,source,price,change,changePct,volume,accVolume,accValue,open,high,low]</c>;
    /// book: <c>["b",code,time,source,totalAskQty,totalBidQty,[askPrice,askQty,…],[bidPrice,bidQty,…]]</c>.
    /// </summary>
    public static void WriteEvent(Utf8JsonWriter writer, LiveEvent e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(e);
        writer.WriteStartArray();
        writer.WriteStringValue(e is LiveTick ? "t" : "b");
        writer.WriteStringValue(e.Code.Value);
        writer.WriteStringValue(e.Time);
        writer.WriteStringValue(e.Source);
        switch (e)
        {
            case LiveTick t:
                writer.WriteNumberValue(t.Price);
                writer.WriteNumberValue(t.Change);
                writer.WriteNumberValue(t.ChangePct);
                writer.WriteNumberValue(t.Volume);
                writer.WriteNumberValue(t.AccVolume);
                writer.WriteNumberValue(t.AccValue);
                writer.WriteNumberValue(t.Open);
                writer.WriteNumberValue(t.High);
                writer.WriteNumberValue(t.Low);
                break;
            case OrderBook b:
                writer.WriteNumberValue(b.TotalAskQty);
                writer.WriteNumberValue(b.TotalBidQty);
                WriteLevels(writer, b.Asks);
                WriteLevels(writer, b.Bids);
                break;
        }

        writer.WriteEndArray();
    }

    public static LiveEvent ReadEvent(JsonElement item)
    {
        var code = StockCode.Parse(item[1].GetString());
        var time = item[2].GetDateTimeOffset();
        var source = item[3].GetString()!;
        return item[0].GetString() switch
        {
            "t" => new LiveTick(code, time, source, item[4].GetDecimal(), item[5].GetDecimal(), item[6].GetDecimal(), item[7].GetInt64(),
                item[8].GetInt64(), item[9].GetDecimal(), item[10].GetDecimal(), item[11].GetDecimal(), item[12].GetDecimal()),
            "b" => new OrderBook(code, time, source, ReadLevels(item[6]), ReadLevels(item[7]), item[4].GetInt64(), item[5].GetInt64()),
            var kind => throw new FormatException($"unknown event kind '{kind}'"),
        };
    }

    private static void WriteLevels(Utf8JsonWriter writer, IReadOnlyList<BookLevel> levels)
    {
        writer.WriteStartArray();
        foreach (var level in levels)
        {
            writer.WriteNumberValue(level.Price);
            writer.WriteNumberValue(level.Qty);
        }

        writer.WriteEndArray();
    }

    private static BookLevel[] ReadLevels(JsonElement array)
    {
        var levels = new BookLevel[array.GetArrayLength() / 2];
        for (var i = 0; i < levels.Length; i++)
        {
            levels[i] = new BookLevel(array[2 * i].GetDecimal(), array[2 * i + 1].GetInt64());
        }

        return levels;
    }
}
