using System.IO.Compression;
using System.Text;
using System.Text.Unicode;

namespace KrxHub.Sources.Import;

/// <summary>
/// Opens import files: gzip is decompressed transparently (recognised by its magic bytes), text is UTF-8
/// (BOM optional) unless its first bytes are not valid UTF-8, in which case it is read as CP949, the
/// encoding Korean Excel and pandas <c>encoding='cp949'</c> exports use.
/// </summary>
internal static class ImportInput
{
    private const int SniffBytes = 1 << 16;

    public static string Display(string path) => Path.GetFileName(path);

    public static Stream Open(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ImportFormatException($"cannot read '{path}': {OneLine(e.Message)}", e);
        }

        Span<byte> magic = stackalloc byte[2];
        var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (n == 2 && magic[0] == 0x1F && magic[1] == 0x8B)
        {
            return new GzipLengthCheck(file);
        }

        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file.Dispose();
            throw new ImportFormatException($"file '{Display(path)}' ends in .gz but is not gzip data");
        }

        return file;
    }

    /// <summary>The first bytes of the (decompressed) content and the text encoding they imply.</summary>
    public static (byte[] Head, Encoding Encoding) Sniff(string path)
    {
        using var stream = Open(path);
        var head = new byte[SniffBytes];
        int n;
        try
        {
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new ImportFormatException($"file '{Display(path)}' is corrupt or truncated gzip data: {OneLine(e.Message)}", e);
        }

        Array.Resize(ref head, n);
        return (head, DetectEncoding(head, n < SniffBytes));
    }

    /// <summary>The whole (decompressed) content; for JSON bodies, which are small.</summary>
    public static byte[] ReadAll(string path)
    {
        using var stream = Open(path);
        using var memory = new MemoryStream();
        try
        {
            stream.CopyTo(memory);
        }
        catch (InvalidDataException e)
        {
            throw new ImportFormatException($"file '{Display(path)}' is corrupt or truncated gzip data: {OneLine(e.Message)}", e);
        }

        return memory.ToArray();
    }

    public static StreamReader OpenText(string path, Encoding encoding) =>
        new(Open(path), encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);

    public static Encoding DetectEncoding(ReadOnlySpan<byte> head, bool complete)
    {
        if (head.StartsWith("\uFEFF"u8))
        {
            return Encoding.UTF8;
        }

        // Validate whole lines only: the sniff may have cut a multi-byte character in two.
        var checkedPart = complete ? head : head[..(head.LastIndexOf((byte)'\n') + 1)];
        if (Utf8.IsValid(checkedPart))
        {
            return Encoding.UTF8;
        }

        return CodePagesEncodingProvider.Instance.GetEncoding(949) ?? Encoding.UTF8;
    }

    public static string OneLine(string text)
    {
        var s = text.ReplaceLineEndings(" ").Trim();
        return s.Length > 200 ? string.Concat(s.AsSpan(0, 200), "…") : s;
    }

    /// <summary>
    /// Decompresses gzip and checks, at the end, that the output length matches the trailer's ISIZE: .NET's
    /// GZipStream ends silently on a truncated file, which would import a cut-off file as if it were whole.
    /// A multi-member gzip (concatenated members) fails this check too; such files must be recompressed.
    /// </summary>
    private sealed class GzipLengthCheck : Stream
    {
        private readonly GZipStream _gzip;
        private readonly uint _expected;
        private readonly bool _tooShort;
        private long _length;

        public GzipLengthCheck(FileStream file)
        {
            // A gzip member is at least a 10-byte header, 2 bytes of deflate data and an 8-byte trailer.
            _tooShort = file.Length < 20;
            if (!_tooShort)
            {
                Span<byte> trailer = stackalloc byte[4];
                file.Position = file.Length - 4;
                file.ReadExactly(trailer);
                _expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
                file.Position = 0;
            }

            _gzip = new GZipStream(file, CompressionMode.Decompress);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) => Count(_gzip.Read(buffer), buffer.Length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await _gzip.ReadAsync(buffer, cancellationToken), buffer.Length);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _gzip.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int read, int requested)
        {
            _length += read;
            if (read == 0 && requested > 0 && (_tooShort || (uint)_length != _expected))
            {
                throw new InvalidDataException(
                    $"the gzip data ends after {_length} bytes but its trailer records {(_tooShort ? "nothing" : _expected.ToString(System.Globalization.CultureInfo.InvariantCulture))}: the file is truncated");
            }

            return read;
        }
    }
}
