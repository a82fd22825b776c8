using System.Globalization;

namespace KrxHub.Core;

public enum FieldStatus
{
    Ok,
    Missing,
    Invalid,
}

/// <summary>
/// Parses the text forms KRX data comes in: thousands separators ("2,975,231"), sign prefixes from Kiwoom
/// ("+70700", "-78800", zero padded), "-" or "" for missing, trailing ".0" from pandas exports, and dates as
/// 2024-01-02, 20240102 or 2024/01/02.
/// </summary>
public static class KrxText
{
    public static FieldStatus TryDecimal(string? text, out decimal value) => TryDecimal(TextSlice.Of(text), out value);

    /// <summary>As <see cref="TryDecimal(string?, out decimal)"/>, over a slice (a CSV row's field within its payload).</summary>
    // Per-row hot paths (this and the other AggressiveOptimization methods here) are compiled optimised from their first
    // call: a CLI import of a million rows is over before tiered compilation has caught up (DailyBarPipeline.SortOut).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static FieldStatus TryDecimal(TextSlice text, out decimal value)
    {
        value = 0m;
        if (text.IsNull)
        {
            return FieldStatus.Missing;
        }

        var s = text.Span.Trim();
        if (s.Length == 0 || s is "-" || s.Equals("nan", StringComparison.OrdinalIgnoreCase) || s.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return FieldStatus.Missing;
        }

        if (TryPlainNumber(s, out value))
        {
            return FieldStatus.Ok;
        }

        if (s.Contains(','))
        {
            s = s.ToString().Replace(",", string.Empty, StringComparison.Ordinal).AsSpan();
        }

        return decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
            ? FieldStatus.Ok
            : FieldStatus.Invalid;
    }

    /// <summary>
    /// Fast path for the common shapes: an optional sign, up to 18 digits, and an optional fraction of up to
    /// 9 digits ("79600", "-1100", "+70700", "0012345", "79600.0", "0.4024"). Anything else takes the general parser.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static bool TryPlainNumber(ReadOnlySpan<char> s, out decimal value)
    {
        value = 0m;
        var i = 0;
        var negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
        }

        long whole = 0;
        var digits = 0;
        for (; i < s.Length && s[i] is >= '0' and <= '9'; i++, digits++)
        {
            whole = (whole * 10) + (s[i] - '0');
        }

        if (digits == 0 || digits > 18)
        {
            return false;
        }

        long fraction = 0;
        byte scale = 0;
        if (i < s.Length)
        {
            if (s[i] != '.' || i == s.Length - 1)
            {
                return false;
            }

            for (i++; i < s.Length; i++)
            {
                if (s[i] is < '0' or > '9' || scale == 9)
                {
                    return false;
                }

                fraction = (fraction * 10) + (s[i] - '0');
                scale++;
            }
        }

        value = scale == 0 ? whole : new decimal(whole) + new decimal((int)fraction, 0, 0, false, scale);
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    /// <summary>Whole numbers only; "17142847.0" is accepted, "1.5" is invalid.</summary>
    public static FieldStatus TryLong(string? text, out long value) => TryLong(TextSlice.Of(text), out value);

    /// <summary>As <see cref="TryLong(string?, out long)"/>, over a slice (a CSV row's field within its payload).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static FieldStatus TryLong(TextSlice text, out long value)
    {
        value = 0;
        var status = TryDecimal(text, out var d);
        if (status != FieldStatus.Ok)
        {
            return status;
        }

        if (d != decimal.Truncate(d) || d > long.MaxValue || d < long.MinValue)
        {
            return FieldStatus.Invalid;
        }

        value = (long)d;
        return FieldStatus.Ok;
    }

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyyMMdd", "yyyy/MM/dd", "yyyy.MM.dd", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static FieldStatus TryDate(string? text, out DateOnly date)
    {
        date = default;
        if (text is null)
        {
            return FieldStatus.Missing;
        }

        var s = text.Trim();
        if (s.Length == 0 || s == "-")
        {
            return FieldStatus.Missing;
        }

        // Fast path for the two forms nearly every file uses: yyyy-MM-dd and yyyyMMdd.
        if (s.Length == 10 && s[4] is '-' or '/' or '.' && s[7] == s[4] && TryDigits(s.AsSpan(0, 4), out var y) && TryDigits(s.AsSpan(5, 2), out var m) && TryDigits(s.AsSpan(8, 2), out var d) ||
            s.Length == 8 && TryDigits(s.AsSpan(0, 4), out y) && TryDigits(s.AsSpan(4, 2), out m) && TryDigits(s.AsSpan(6, 2), out d))
        {
            if (m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(Math.Max(1, y), m) && y >= 1)
            {
                date = new DateOnly(y, m, d);
                return FieldStatus.Ok;
            }

            return FieldStatus.Invalid;
        }

        if (DateTime.TryParseExact(s, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt))
        {
            date = DateOnly.FromDateTime(dt);
            return FieldStatus.Ok;
        }

        return FieldStatus.Invalid;
    }

    private static bool TryDigits(ReadOnlySpan<char> span, out int value)
    {
        value = 0;
        foreach (var c in span)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }

    public static DateOnly? ParseDateOrNull(string? text) => TryDate(text, out var d) == FieldStatus.Ok ? d : null;

    public static long? ParseLongOrNull(string? text) => TryLong(text, out var v) == FieldStatus.Ok ? v : null;
}
