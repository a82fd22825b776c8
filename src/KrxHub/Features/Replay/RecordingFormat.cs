using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;
using KrxHub.Features.Live;

namespace KrxHub.Features.Replay;

/// <summary>One line of a recording: a live event (tick, book, index level) or a session phase change.</summary>
public readonly record struct RecordedEntry(LiveEvent? Event, SessionState? Session)
{
    /// <summary>The recorded instant: the event's exchange time, or the time the phase started.</summary>
    public DateTimeOffset Time => Event?.Time ?? Session!.At;
}

/// <summary>
/// The recording format: gzip'd JSON lines, one object per event with a kind <c>k</c> (tick, book, index, session) and the
/// event's fields, after one header line (<c>k</c> recording). JSON lines rather than a compact binary: a recording is read
/// with zcat and jq, and a field added to an event later does not need a new file version. gzip because each flush of .NET's
/// GZipStream is a sync flush: everything written before it decodes, so a file is readable while it is being written and
/// after a kill. Decimals keep their scale and times their offset, so a line reads back to the event that was written.
/// </summary>
public static class RecordingFormat
{
    public const int Version = 1;

    /// <summary>Appends one event as a JSON line to <paramref name="buffer"/>.</summary>
    public static void Write(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, LiveEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        json.Reset(buffer);
        json.WriteStartObject();
        switch (e)
        {
            case LiveTick t:
                Head(json, "tick", t);
                json.WriteNumber("price", t.Price);
                json.WriteNumber("change", t.Change);
                json.WriteNumber("changePct", t.ChangePct);
                json.WriteNumber("volume", t.Volume);
                json.WriteNumber("accVolume", t.AccVolume);
                json.WriteNumber("accValue", t.AccValue);
                json.WriteNumber("open", t.Open);
                json.WriteNumber("high", t.High);
                json.WriteNumber("low", t.Low);
                Optional(json, "bestAsk", t.BestAsk);
                Optional(json, "bestBid", t.BestBid);
                Optional(json, "strength", t.Strength);
                if (t.SessionCode is { } code)
                {
                    json.WriteString("sessionCode", code);
                }

                break;
            case OrderBook b:
                Head(json, "book", b);
                Levels(json, "asks", b.Asks);
                Levels(json, "bids", b.Bids);
                json.WriteNumber("totalAsk", b.TotalAskQty);
                json.WriteNumber("totalBid", b.TotalBidQty);
                break;
            case LiveIndexLevel i:
                json.WriteString("k", "index");
                json.WriteString("index", i.IndexCode);
                json.WriteString("time", i.Time);
                json.WriteString("src", i.Source);
                json.WriteNumber("level", i.Level);
                Optional(json, "change", i.Change);
                Optional(json, "changePct", i.ChangePct);
                Optional(json, "open", i.Open);
                Optional(json, "high", i.High);
                Optional(json, "low", i.Low);
                if (i.AccVolume is { } volume)
                {
                    json.WriteNumber("accVolume", volume);
                }

                Optional(json, "accValue", i.AccValue);
                break;
            default:
                throw new ArgumentException($"{e.GetType().Name} is not a recordable event", nameof(e));
        }

        End(buffer, json);
    }

    /// <summary>Appends one session phase as a JSON line.</summary>
    public static void Write(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, SessionState session)
    {
        ArgumentNullException.ThrowIfNull(session);
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("k", "session");
        json.WriteString("phase", session.Phase.Name());
        json.WriteString("at", session.At);
        if (session.Next is { } next)
        {
            json.WriteString("next", next.Phase.Name());
            json.WriteString("nextAt", next.At);
        }

        json.WriteBoolean("alwaysOpen", session.AlwaysOpen);
        End(buffer, json);
    }

    /// <summary>The first line of every file: format version, the live source recorded, the node and when it started.</summary>
    public static void WriteHeader(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, string source, string node, DateTimeOffset started)
    {
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("k", "recording");
        json.WriteNumber("version", Version);
        json.WriteString("source", source);
        json.WriteString("node", node);
        json.WriteString("started", started);
        End(buffer, json);
    }

    /// <summary>
    /// The entries of a recording file in order, streamed. A file still being written, or cut by a kill, ends at its last
    /// complete line: the undecodable or unterminated tail is left out, never an error. Without <paramref name="books"/> the
    /// order books are skipped before they are parsed (the condition replay needs trades only).
    /// </summary>
    public static IEnumerable<RecordedEntry> Read(string path, bool books = true)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var buffer = new byte[1 << 16];
        var filled = 0;
        var lineNumber = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            int read;
            try
            {
                read = gzip.Read(buffer, filled, buffer.Length - filled);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                // The end of a file being written or cut by a kill: a partial deflate block.
                yield break;
            }

            if (read == 0)
            {
                yield break;
            }

            filled += read;
            var start = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
            {
                lineNumber++;
                var line = buffer.AsMemory(start, newline - start);
                if ((books || !line.Span.StartsWith(BookPrefix)) && Parse(line, path, lineNumber) is { } entry)
                {
                    yield return entry;
                }

                start = newline + 1;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }
    }

    private static ReadOnlySpan<byte> BookPrefix => "{\"k\":\"book\""u8;

    private static RecordedEntry? Parse(ReadOnlyMemory<byte> line, string path, int lineNumber)
    {
        try
        {
            // The document reads the line in place: it is disposed before the buffer is reused.
            using var document = JsonDocument.Parse(line);
            var o = document.RootElement;
            return o.GetProperty("k").GetString() switch
            {
                "tick" => new RecordedEntry(ReadTick(o), null),
                "book" => new RecordedEntry(new OrderBook(StockCode.Parse(o.GetProperty("code").GetString()!), o.GetProperty("time").GetDateTimeOffset(),
                    o.GetProperty("src").GetString()!, ReadLevels(o.GetProperty("asks")), ReadLevels(o.GetProperty("bids")),
                    o.GetProperty("totalAsk").GetInt64(), o.GetProperty("totalBid").GetInt64()), null),
                "index" => new RecordedEntry(new LiveIndexLevel(o.GetProperty("index").GetString()!, o.GetProperty("time").GetDateTimeOffset(),
                    o.GetProperty("src").GetString()!, o.GetProperty("level").GetDecimal(), Decimal(o, "change"), Decimal(o, "changePct"),
                    Decimal(o, "open"), Decimal(o, "high"), Decimal(o, "low"), o.TryGetProperty("accVolume", out var v) ? v.GetInt64() : null,
                    Decimal(o, "accValue")), null),
                "session" => new RecordedEntry(null, ReadSession(o)),
                _ => null, // the header, or a kind a later version added
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path} line {lineNumber} is not a recorded event: {e.Message}"), e);
        }
    }

    private static LiveTick ReadTick(JsonElement o) =>
        new(StockCode.Parse(o.GetProperty("code").GetString()!), o.GetProperty("time").GetDateTimeOffset(), o.GetProperty("src").GetString()!,
            o.GetProperty("price").GetDecimal(), o.GetProperty("change").GetDecimal(), o.GetProperty("changePct").GetDecimal(),
            o.GetProperty("volume").GetInt64(), o.GetProperty("accVolume").GetInt64(), o.GetProperty("accValue").GetDecimal(),
            o.GetProperty("open").GetDecimal(), o.GetProperty("high").GetDecimal(), o.GetProperty("low").GetDecimal())
        {
            BestAsk = Decimal(o, "bestAsk"),
            BestBid = Decimal(o, "bestBid"),
            Strength = Decimal(o, "strength"),
            SessionCode = o.TryGetProperty("sessionCode", out var s) ? s.GetString() : null,
        };

    private static SessionState ReadSession(JsonElement o)
    {
        static SessionPhase Phase(JsonElement e) =>
            SessionPhases.TryParse(e.GetString(), out var p) ? p : throw new FormatException($"'{e.GetString()}' is not a session phase");
        PhaseTransition? next = o.TryGetProperty("next", out var n) ? new PhaseTransition(Phase(n), o.GetProperty("nextAt").GetDateTimeOffset()) : null;
        return new SessionState(Phase(o.GetProperty("phase")), o.GetProperty("at").GetDateTimeOffset(), next, o.GetProperty("alwaysOpen").GetBoolean());
    }

    private static BookLevel[] ReadLevels(JsonElement array) =>
        [.. array.EnumerateArray().Select(l => new BookLevel(l[0].GetDecimal(), l[1].GetInt64()))];

    private static decimal? Decimal(JsonElement o, string name) => o.TryGetProperty(name, out var v) ? v.GetDecimal() : null;

    private static void Head(Utf8JsonWriter json, string kind, LiveEvent e)
    {
        json.WriteString("k", kind);
        json.WriteString("code", e.Code.Value);
        json.WriteString("time", e.Time);
        json.WriteString("src", e.Source);
    }

    private static void Levels(Utf8JsonWriter json, string name, IReadOnlyList<BookLevel> levels)
    {
        json.WriteStartArray(name);
        foreach (var level in levels)
        {
            json.WriteStartArray();
            json.WriteNumberValue(level.Price);
            json.WriteNumberValue(level.Qty);
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    private static void Optional(Utf8JsonWriter json, string name, decimal? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }

    private static void End(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.Flush();
        buffer.Write("\n"u8);
    }
}
