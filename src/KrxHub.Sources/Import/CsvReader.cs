using KrxHub.Core;

namespace KrxHub.Sources.Import;

/// <summary>
/// An RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside quotes, LF or CRLF,
/// last line with or without a terminator. It reads one record at a time into a reusable buffer and
/// hands out fields as spans; strings are made only when asked for. Blank lines are skipped.
/// A quote that does not open a field is taken literally; text after a closing quote makes the field
/// malformed, and it is then returned verbatim.
/// </summary>
internal sealed class CsvReader : IDisposable
{
    private const byte Plain = 0;
    private const byte Quoted = 1;
    private const byte QuotedWithEscapes = 2;
    private const byte Malformed = 3;
    private const int PoolSize = 1 << 14;
    private const int MaxPooledLength = 16;

    private readonly TextReader _reader;
    private char[] _buffer;
    private int _next;
    private int _end;
    private bool _eof;

    private int _recordStart;
    private int _recordEnd;
    private int[] _starts = new int[32];
    private int[] _ends = new int[32];
    private byte[] _kinds = new byte[32];
    private readonly string?[] _pool = new string?[PoolSize];

    public CsvReader(TextReader reader, int bufferSize = 1 << 16)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 2);
        _reader = reader;
        _buffer = new char[bufferSize];
    }

    public int FieldCount { get; private set; }

    /// <summary>Number of records read so far, blank lines not counted: the current record's 1-based number.</summary>
    public long RecordNumber { get; private set; }

    /// <summary>The current record as it stands in the file, without its line terminator.</summary>
    public ReadOnlySpan<char> RecordText => _buffer.AsSpan(_recordStart, _recordEnd - _recordStart);

    // Per-row hot paths (this and the other AggressiveOptimization methods here) are compiled optimised from their first
    // call: a CLI import of a million rows is over before tiered compilation has caught up (DailyBarPipeline.SortOut).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        while (true)
        {
            if (TryParseRecord())
            {
                if (IsBlank())
                {
                    continue;
                }

                RecordNumber++;
                return true;
            }

            if (_eof)
            {
                return false;
            }

            Compact();
            var n = _reader.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                _eof = true;
            }

            _end += n;
        }
    }

    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryParseRecord())
            {
                if (IsBlank())
                {
                    continue;
                }

                RecordNumber++;
                return true;
            }

            if (_eof)
            {
                return false;
            }

            Compact();
            var n = await _reader.ReadAsync(_buffer.AsMemory(_end, _buffer.Length - _end), cancellationToken);
            if (n == 0)
            {
                _eof = true;
            }

            _end += n;
        }
    }

    /// <summary>The field's characters without its surrounding quotes (kept for malformed fields); doubled quotes are still doubled.</summary>
    public ReadOnlySpan<char> RawField(int index) => _buffer.AsSpan(_starts[index], _ends[index] - _starts[index]);

    /// <summary>The field's value: unquoted, doubled quotes undone.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string GetString(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)FieldCount, nameof(index));
        var span = RawField(index);
        return _kinds[index] == QuotedWithEscapes ? span.ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : span.ToString();
    }

    /// <summary>
    /// The field's value as a slice of <paramref name="recordText"/> (this record's <see cref="RecordText"/> as a string), so
    /// that it needs no string of its own; a field with doubled quotes gets one (its value is not a slice of the record).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public TextSlice GetSlice(int index, string recordText)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)FieldCount, nameof(index));
        ArgumentNullException.ThrowIfNull(recordText);
        var start = _starts[index] - _recordStart;
        var length = _ends[index] - _starts[index];
        return _kinds[index] != QuotedWithEscapes && start >= 0 && start + length <= recordText.Length
            ? new TextSlice(recordText, start, length)
            : TextSlice.Of(GetString(index));
    }

    /// <summary>
    /// Like <see cref="GetString"/>, but short values come from a small table of recent strings: codes, dates
    /// and names repeat row after row, and reusing them saves allocations on large files. Not worth it for values
    /// that rarely repeat, such as prices and volumes.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public string GetPooledString(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)FieldCount, nameof(index));
        var span = RawField(index);
        if (_kinds[index] == QuotedWithEscapes || span.Length > MaxPooledLength)
        {
            return GetString(index);
        }

        var hash = 5381u;
        foreach (var c in span)
        {
            hash = (hash * 33) ^ c;
        }

        ref var slot = ref _pool[hash & (PoolSize - 1)];
        if (slot is not null && span.SequenceEqual(slot))
        {
            return slot;
        }

        slot = span.ToString();
        return slot;
    }

    public void Dispose() => _reader.Dispose();

    private bool IsBlank() => FieldCount == 1 && _kinds[0] == Plain && RawField(0).IsWhiteSpace();

    private void Compact()
    {
        if (_next > 0)
        {
            Array.Copy(_buffer, _next, _buffer, 0, _end - _next);
            _end -= _next;
            _next = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    /// <summary>Parses the record starting at <see cref="_next"/>; false when the buffer holds no complete record yet.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool TryParseRecord()
    {
        if (_next >= _end)
        {
            return false;
        }

        // Fast path: a line without quotes is split on commas in one scalar pass (fields are too short for
        // vectorised searches to pay off). The first quote hands the record to the state machine.
        var span = _buffer.AsSpan(_next, _end - _next);
        FieldCount = 0;
        var fieldStart = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c > ',')
            {
                continue;
            }

            if (c == ',')
            {
                AddField(_next + fieldStart, _next + i, Plain);
                fieldStart = i + 1;
            }
            else if (c == '\n')
            {
                EndPlainRecord(fieldStart, i);
                _next += i + 1;
                return true;
            }
            else if (c == '"')
            {
                return TryParseQuotedRecord();
            }
        }

        if (!_eof)
        {
            return false;
        }

        EndPlainRecord(fieldStart, span.Length);
        _next = _end;
        return true;
    }

    private void EndPlainRecord(int fieldStart, int lineEnd)
    {
        var start = _next;
        var end = start + lineEnd;
        if (end > start && _buffer[end - 1] == '\r')
        {
            end--;
        }

        _recordStart = start;
        _recordEnd = end;
        AddField(start + fieldStart, Math.Max(start + fieldStart, end), Plain);
    }

    private enum State
    {
        FieldStart,
        Unquoted,
        InQuotes,
        QuoteInQuotes,
        AfterQuotes,
    }

    private bool TryParseQuotedRecord()
    {
        var buffer = _buffer;
        var start = _next;
        var i = start;
        var state = State.FieldStart;
        var fieldStart = start;
        var kind = Plain;
        FieldCount = 0;
        while (i < _end)
        {
            var c = buffer[i];
            if (state == State.FieldStart)
            {
                fieldStart = i;
                if (c == '"')
                {
                    state = State.InQuotes;
                    kind = Quoted;
                    i++;
                    continue;
                }

                kind = Plain;
                state = State.Unquoted;
            }
            else if (state == State.InQuotes)
            {
                if (c == '"')
                {
                    state = State.QuoteInQuotes;
                }

                i++;
                continue;
            }
            else if (state == State.QuoteInQuotes)
            {
                if (c == '"')
                {
                    kind = QuotedWithEscapes;
                    state = State.InQuotes;
                    i++;
                    continue;
                }

                state = State.AfterQuotes;
            }

            // Unquoted, or after a closing quote.
            if (c == ',')
            {
                EndField(fieldStart, i, kind);
                state = State.FieldStart;
            }
            else if (c == '\n')
            {
                EndRecord(start, fieldStart, i, kind);
                _next = i + 1;
                return true;
            }
            else if (state == State.AfterQuotes && c != '\r')
            {
                kind = Malformed;
            }

            i++;
        }

        if (!_eof)
        {
            return false;
        }

        // The file ends without a line terminator (or inside an unterminated quote: the field is then malformed).
        if (state == State.InQuotes)
        {
            kind = Malformed;
        }

        EndRecord(start, state == State.FieldStart ? _end : fieldStart, _end, state == State.FieldStart ? Plain : kind);
        _next = _end;
        return true;
    }

    private void EndRecord(int recordStart, int fieldStart, int lineEnd, byte kind)
    {
        var end = lineEnd > recordStart && _buffer[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        _recordStart = recordStart;
        _recordEnd = end;
        EndField(fieldStart, Math.Max(fieldStart, end), kind);
    }

    private void EndField(int start, int end, byte kind)
    {
        if (kind is Quoted or QuotedWithEscapes)
        {
            // Drop the surrounding quotes; a CR before the line feed was already cut by the caller.
            AddField(start + 1, end - 1, kind);
        }
        else
        {
            AddField(start, end, kind);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AddField(int start, int end, byte kind)
    {
        if (FieldCount == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _ends, _ends.Length * 2);
            Array.Resize(ref _kinds, _kinds.Length * 2);
        }

        _starts[FieldCount] = start;
        _ends[FieldCount] = end;
        _kinds[FieldCount] = kind;
        FieldCount++;
    }
}
