using System.Buffers;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using KrxHub.Features.Live;

namespace KrxHub.Features.Replay;

/// <summary>
/// One recording file being written: JSON lines into a buffer, the buffer through gzip into the file. Created new (never
/// appended to) and shared for reading, so a replay or a `zcat` can read it while it grows. Not thread-safe: the recorder's
/// writer loop owns it.
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    private const int BufferBytes = 1 << 16;

    // Relaxed escaping: the times' '+' and the codes stay readable; a recording is never embedded in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly ArrayBufferWriter<byte> _buffer = new(BufferBytes);
    private readonly Utf8JsonWriter _json;
    private SessionState? _lastSession;

    private RecordingWriter(string path, DateOnly date)
    {
        Path = path;
        Date = date;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, BufferBytes);
        // Optimal (zlib level 6): on two minutes of the simulator (14.3 MB of lines) it wrote 3.8 MB where Fastest wrote
        // 5.8 MB, and it still compresses far faster than any feed produces lines (the writer runs off the live path).
        _gzip = new GZipStream(_file, CompressionLevel.Optimal);
        _json = new Utf8JsonWriter(_buffer, JsonOptions);
    }

    public string Path { get; }

    /// <summary>The KST day this file records.</summary>
    public DateOnly Date { get; }

    /// <summary>A new file at <paramref name="path"/> that starts with the header line.</summary>
    public static RecordingWriter Create(string path, DateOnly date, string source, string node, DateTimeOffset started)
    {
        var writer = new RecordingWriter(path, date);
        RecordingFormat.WriteHeader(writer._buffer, writer._json, source, node, started);
        return writer;
    }

    public void Write(RecordedEntry entry)
    {
        if (entry.Event is { } e)
        {
            RecordingFormat.Write(_buffer, _json, e);
        }
        else if (entry.Session is { } session && session != _lastSession)
        {
            // The phase a file starts with can arrive once more from the broadcaster: one line per phase change.
            RecordingFormat.Write(_buffer, _json, session);
            _lastSession = session;
        }

        if (_buffer.WrittenCount >= BufferBytes)
        {
            Drain();
        }
    }

    /// <summary>Everything written so far reaches the operating system as complete, decodable gzip output.</summary>
    public void Flush()
    {
        Drain();
        _gzip.Flush();
    }

    public void Dispose()
    {
        Drain();
        _json.Dispose();
        _gzip.Dispose(); // writes the gzip trailer: the file is complete
        _file.Dispose();
    }

    private void Drain()
    {
        if (_buffer.WrittenCount > 0)
        {
            _gzip.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }
    }
}
