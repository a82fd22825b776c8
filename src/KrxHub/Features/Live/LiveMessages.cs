using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using KrxHub.Core;
using KrxHub.Core.Live;

namespace KrxHub.Features.Live;

/// <summary>The channels a /ws client can subscribe to.</summary>
internal enum LiveChannel
{
    Ticks,
    Book,
    Rankings,
    Session,
    Indices,
    Alerts,
}

/// <summary>One ranking a client can follow: a market (null: all), a metric and the number of rows.</summary>
internal readonly record struct RankingKey(Market? Market, RankingMetric Metric, int N)
{
    public string MarketName => Market?.Name() ?? "ALL";
}

/// <summary>One subscription of one client: a channel and, by channel, a code or a ranking.</summary>
internal readonly record struct SubscriptionKey(LiveChannel Channel, StockCode Code, RankingKey Ranking);

/// <summary>
/// The server messages of /ws, written once as UTF-8 JSON inside a complete WebSocket text frame (RFC 6455 §5.2: FIN,
/// opcode 1, unmasked, payload length) and shared by every client that gets them; <see cref="Payload"/> is the JSON alone.
/// Korean names are written as UTF-8, not \u escapes. Field names and meanings are in README "Live WebSocket API (/ws)".
/// </summary>
internal static partial class LiveMessages
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string ChannelName(LiveChannel channel) => channel switch
    {
        LiveChannel.Ticks => "ticks",
        LiveChannel.Book => "book",
        LiveChannel.Rankings => "rankings",
        LiveChannel.Session => "session",
        LiveChannel.Indices => "indices",
        LiveChannel.Alerts => "alerts",
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    public static byte[] Tick(LiveTick tick) => Write(tick, static (w, t) =>
    {
        w.WriteString("op", "tick");
        WriteTickFields(w, t);
    });

    /// <summary>A tick built from the last stored values (no live data): <c>"stale": true</c>, volumes of that day.</summary>
    public static byte[] StaleTick(StoredQuote quote) => Write(quote, static (w, q) =>
    {
        w.WriteString("op", "tick");
        w.WriteString("code", q.Code.Value);
        w.WriteNumber("price", q.Price);
        WriteNullable(w, "change", q.Change);
        WriteNullable(w, "changePct", q.ChangePct);
        w.WriteNumber("volume", 0);
        w.WriteNumber("accVolume", q.Volume);
        WriteNullable(w, "accValue", q.Value);
        w.WriteString("time", q.AsOf);
        w.WriteString("source", q.Source);
        w.WriteBoolean("stale", true);
    });

    public static byte[] Book(OrderBook book) => Write(book, static (w, b) =>
    {
        w.WriteString("op", "book");
        w.WriteString("code", b.Code.Value);
        WriteLevels(w, "asks", b.Asks);
        WriteLevels(w, "bids", b.Bids);
        w.WriteNumber("totalAskQty", b.TotalAskQty);
        w.WriteNumber("totalBidQty", b.TotalBidQty);
        w.WriteString("time", b.Time);
        w.WriteString("source", b.Source);
    });

    public static byte[] Rankings(RankingKey key, IReadOnlyList<RankingRow> rows, DateTimeOffset? asOf, string? source) =>
        Write((key, rows, asOf, source), static (w, s) =>
        {
            w.WriteString("op", "rankings");
            w.WriteString("market", s.key.MarketName);
            w.WriteString("metric", s.key.Metric.Name());
            w.WriteNumber("n", s.key.N);
            if (s.asOf is { } at)
            {
                w.WriteString("asOf", at);
            }
            else
            {
                w.WriteNull("asOf");
            }

            WriteNullableString(w, "source", s.source);
            w.WriteStartArray("rows");
            foreach (var row in s.rows)
            {
                w.WriteStartObject();
                w.WriteNumber("rank", row.Rank);
                w.WriteString("code", row.Code.Value);
                w.WriteString("name", row.Name);
                w.WriteString("market", row.Market.Name());
                w.WriteNumber("price", row.Price);
                WriteNullable(w, "changePct", row.ChangePct);
                w.WriteNumber("volume", row.Volume);
                WriteNullable(w, "value", row.Value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    public static byte[] Session(SessionState state) => Write(state, static (w, s) =>
    {
        w.WriteString("op", "session");
        w.WriteString("phase", s.Phase.Name());
        w.WriteString("at", s.At);
        if (s.Next is { } next)
        {
            w.WriteStartObject("next");
            w.WriteString("phase", next.Phase.Name());
            w.WriteString("at", next.At);
            w.WriteEndObject();
        }

        w.WriteBoolean("alwaysOpen", s.AlwaysOpen);
    });

    /// <summary>The latest level of every live index, one message (a slot keeps only the newest message, so all travel together).</summary>
    public static byte[] Error(string code, string message, JsonElement? id = null) => Write((code, message, id), static (w, s) =>
    {
        w.WriteString("op", "error");
        w.WriteString("code", s.code);
        w.WriteString("message", s.message);
        WriteId(w, s.id);
    });

    /// <summary>The answer to a subscribe or unsubscribe that succeeded.</summary>
    public static byte[] Ack(string op, LiveChannel channel, IReadOnlyList<StockCode>? codes, RankingKey? ranking, JsonElement? id) =>
        Write((op, channel, codes, ranking, id), static (w, s) =>
        {
            w.WriteString("op", s.op);
            w.WriteString("channel", ChannelName(s.channel));
            if (s.codes is not null)
            {
                w.WriteStartArray("codes");
                foreach (var code in s.codes)
                {
                    w.WriteStringValue(code.Value);
                }

                w.WriteEndArray();
            }

            if (s.ranking is { } r)
            {
                w.WriteString("market", r.MarketName);
                w.WriteString("metric", r.Metric.Name());
                w.WriteNumber("n", r.N);
            }

            WriteId(w, s.id);
        });

    /// <summary>Rankings unsubscribed: every one the client had when the request named none.</summary>
    public static byte[] RankingsUnsubscribed(IReadOnlyList<RankingKey> keys, JsonElement? id) => Write((keys, id), static (w, s) =>
    {
        w.WriteString("op", "unsubscribed");
        w.WriteString("channel", "rankings");
        w.WriteStartArray("rankings");
        foreach (var key in s.keys)
        {
            w.WriteStartObject();
            w.WriteString("market", key.MarketName);
            w.WriteString("metric", key.Metric.Name());
            w.WriteNumber("n", key.N);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteId(w, s.id);
    });

    public static byte[] Heartbeat(DateTimeOffset time, LiveSourceStatus status) => Write((time, status), static (w, s) =>
    {
        w.WriteString("op", "heartbeat");
        w.WriteString("time", s.time);
        WriteNullableString(w, "source", s.status.Source);
        w.WriteBoolean("sourceUp", s.status.Up);
    });

    public static byte[] Pong(DateTimeOffset time, JsonElement? id) => Write((time, id), static (w, s) =>
    {
        w.WriteString("op", "pong");
        w.WriteString("time", s.time);
        WriteId(w, s.id);
    });

    // Every trade is serialized once on the dispatcher: names encoded ahead, and whole won amounts written as integers
    // (decimal formatting was the largest single cost of a tick's JSON).
    private static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText PriceName = JsonEncodedText.Encode("price");
    private static readonly JsonEncodedText ChangeName = JsonEncodedText.Encode("change");
    private static readonly JsonEncodedText ChangePctName = JsonEncodedText.Encode("changePct");
    private static readonly JsonEncodedText VolumeName = JsonEncodedText.Encode("volume");
    private static readonly JsonEncodedText AccVolumeName = JsonEncodedText.Encode("accVolume");
    private static readonly JsonEncodedText AccValueName = JsonEncodedText.Encode("accValue");
    private static readonly JsonEncodedText OpenName = JsonEncodedText.Encode("open");
    private static readonly JsonEncodedText HighName = JsonEncodedText.Encode("high");
    private static readonly JsonEncodedText LowName = JsonEncodedText.Encode("low");
    private static readonly JsonEncodedText TimeName = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText SourceName = JsonEncodedText.Encode("source");

    private static void WriteTickFields(Utf8JsonWriter w, LiveTick t)
    {
        w.WriteString(CodeName, t.Code.Value);
        WriteAmount(w, PriceName, t.Price);
        WriteAmount(w, ChangeName, t.Change);
        w.WriteNumber(ChangePctName, t.ChangePct);
        w.WriteNumber(VolumeName, t.Volume);
        w.WriteNumber(AccVolumeName, t.AccVolume);
        WriteAmount(w, AccValueName, t.AccValue);
        WriteAmount(w, OpenName, t.Open);
        WriteAmount(w, HighName, t.High);
        WriteAmount(w, LowName, t.Low);
        w.WriteString(TimeName, t.Time);
        w.WriteString(SourceName, t.Source);
    }

    /// <summary>A won amount: as an integer when it is whole (the same JSON number, written without decimal formatting).</summary>
    private static void WriteAmount(Utf8JsonWriter w, JsonEncodedText name, decimal value)
    {
        if (value is >= long.MinValue and <= long.MaxValue && value == decimal.Truncate(value))
        {
            w.WriteNumber(name, (long)value);
        }
        else
        {
            w.WriteNumber(name, value);
        }
    }

    private static void WriteLevels(Utf8JsonWriter w, string name, IReadOnlyList<BookLevel> levels)
    {
        w.WriteStartArray(name);
        foreach (var level in levels)
        {
            w.WriteStartObject();
            w.WriteNumber("price", level.Price);
            w.WriteNumber("qty", level.Qty);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteId(Utf8JsonWriter w, JsonElement? id)
    {
        if (id is { } value)
        {
            w.WritePropertyName("id");
            value.WriteTo(w);
        }
    }

    /// <summary>The JSON of a frame made here (the frame without its header).</summary>
    public static ReadOnlyMemory<byte> Payload(byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var header = (frame[1] & 0x7F) switch
        {
            126 => 4,
            127 => 10,
            _ => 2,
        };
        return frame.AsMemory(header);
    }

    /// <summary>Writes one JSON object through a per-thread buffer and frames it; the only allocation is the returned array.</summary>
    private static byte[] Write<TState>(TState state, Action<Utf8JsonWriter, TState> body)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        body(writer, state);
        writer.WriteEndObject();
        writer.Flush();

        var payload = buffer.WrittenSpan;
        var header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[header + payload.Length];
        frame[0] = 0x81; // FIN, text
        switch (header)
        {
            case 2:
                frame[1] = (byte)payload.Length;
                break;
            case 4:
                frame[1] = 126;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 127;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }
}
