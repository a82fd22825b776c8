using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KrxHub.Storage;
/// <summary>Value caches and the raw statement of the hot loops.</summary>
internal sealed partial class SqliteDialect
{
    private sealed class DateTextCache
    {
        private readonly Dictionary<DateOnly, string> _texts = [];

        public string Get(DateOnly date)
        {
            if (!_texts.TryGetValue(date, out var text))
            {
                text = DateText(date);
                _texts[date] = text;
            }

            return text;
        }
    }

    private sealed class InstantTextCache
    {
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private string _text = string.Empty;

        public string Get(DateTimeOffset instant)
        {
            if (instant != _last || _text.Length == 0)
            {
                _last = instant;
                _text = InstantText(instant);
            }

            return _text;
        }
    }

    /// <summary>The UTF-8 bytes of the last string seen (sources repeat for a whole batch).</summary>
    private sealed class Utf8Cache
    {
        private string? _last;
        private byte[] _bytes = [];

        public byte[] Get(string text)
        {
            if (!string.Equals(text, _last, StringComparison.Ordinal))
            {
                _last = text;
                _bytes = Encoding.UTF8.GetBytes(text);
            }

            return _bytes;
        }
    }

    /// <summary>The stored UTF-8 text of the last instant seen (a batch usually has one fetch time).</summary>
    private sealed class InstantCache
    {
        private DateTimeOffset? _last;
        private byte[] _bytes = [];

        public byte[] Get(DateTimeOffset instant)
        {
            if (_last != instant)
            {
                _last = instant;
                _bytes = Encoding.UTF8.GetBytes(InstantText(instant));
            }

            return _bytes;
        }
    }

    private static readonly byte[] RawBasis = "raw"u8.ToArray();
    private static readonly byte[] AdjustedBasis = "adjusted"u8.ToArray();

    /// <summary>
    /// A prepared statement on the connection's native handle, for the million-row staging path where
    /// Microsoft.Data.Sqlite's per-execution work costs several times the insert itself. Bindings survive
    /// sqlite3_reset, so a value equal to the one already bound is not bound again.
    /// </summary>
    private sealed class RawStatement : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _statement;
        private readonly Binding[] _bound;

        public RawStatement(SqliteConnection connection, string sql, int parameterCount)
        {
            _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
            Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
            _bound = new Binding[parameterCount + 1];
        }

        private enum Kind : byte
        {
            Unbound,
            Null,
            Integer,
            Real,
            Utf8,
            Text,
        }

        public void BindInteger(int index, long value)
        {
            if (_bound[index].Is(Kind.Integer, value))
            {
                return;
            }

            Check(raw.sqlite3_bind_int64(_statement, index, value));
            _bound[index] = new Binding(Kind.Integer, value, null);
        }

        public void BindInteger(int index, long? value)
        {
            if (value is { } v)
            {
                BindInteger(index, v);
            }
            else
            {
                BindNull(index);
            }
        }

        /// <summary>Whole values as INTEGER, fractional ones as REAL (see <see cref="DecimalValue(decimal)"/>).</summary>
        public void BindDecimal(int index, decimal value)
        {
            if (decimal.IsInteger(value) && value is >= long.MinValue and <= long.MaxValue)
            {
                BindInteger(index, (long)value);
                return;
            }

            var real = ToDouble(value);
            var bits = BitConverter.DoubleToInt64Bits(real);
            if (_bound[index].Is(Kind.Real, bits))
            {
                return;
            }

            Check(raw.sqlite3_bind_double(_statement, index, real));
            _bound[index] = new Binding(Kind.Real, bits, null);
        }

        public void BindDecimal(int index, decimal? value)
        {
            if (value is { } v)
            {
                BindDecimal(index, v);
            }
            else
            {
                BindNull(index);
            }
        }

        public void BindNull(int index)
        {
            if (_bound[index].Kind == Kind.Null)
            {
                return;
            }

            Check(raw.sqlite3_bind_null(_statement, index));
            _bound[index] = new Binding(Kind.Null, 0, null);
        }

        /// <summary>Binds UTF-8 bytes; the caller keeps the array unchanged, so the same array means the same text.</summary>
        public void BindText(int index, byte[] utf8)
        {
            if (_bound[index].Kind == Kind.Utf8 && ReferenceEquals(_bound[index].Reference, utf8))
            {
                return;
            }

            Check(raw.sqlite3_bind_text(_statement, index, utf8));
            _bound[index] = new Binding(Kind.Utf8, 0, utf8);
        }

        public void BindText(int index, string text)
        {
            if (_bound[index].Kind == Kind.Text && string.Equals((string?)_bound[index].Reference, text, StringComparison.Ordinal))
            {
                return;
            }

            Span<byte> buffer = stackalloc byte[64];
            var utf8 = text.Length <= 16 ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
            Check(raw.sqlite3_bind_text(_statement, index, utf8));
            _bound[index] = new Binding(Kind.Text, 0, text);
        }

        public void Execute()
        {
            var rc = raw.sqlite3_step(_statement);
            raw.sqlite3_reset(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }

        public void Dispose() => _statement.Dispose();

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }

        private readonly record struct Binding(Kind Kind, long Bits, object? Reference)
        {
            public bool Is(Kind kind, long bits) => Kind == kind && Bits == bits;
        }
    }
}

/// <summary>
/// Direct calls into the bundled e_sqlite3 library for the bulk read's hot loop: SQLitePCL's provider layer marshals a
/// SafeHandle on every call, which costs more than the call itself over a million rows. The statement handle stays
/// owned (and finalized) by SQLitePCL.
/// </summary>
internal static partial class NativeSqlite
{
    private const string Library = "e_sqlite3";

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int Step(IntPtr statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial long ColumnInt64(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_blob")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial IntPtr ColumnBlob(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int ColumnType(IntPtr statement, int column);

    [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static partial int ColumnBytes(IntPtr statement, int column);
}
