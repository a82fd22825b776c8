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
    public static FieldStatus TryDecimal(string? text, out decimal value)
    {
        value = 0m;
        if (text is null)
        {
            return FieldStatus.Missing;
        }

        var s = text.AsSpan().Trim();
        if (s.Length == 0 || s is "-" || s.Equals("nan", StringComparison.OrdinalIgnoreCase) || s.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return FieldStatus.Missing;
        }

        if (s.Contains(','))
        {
            s = s.ToString().Replace(",", string.Empty, StringComparison.Ordinal).AsSpan();
        }

        return decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
            ? FieldStatus.Ok
            : FieldStatus.Invalid;
    }

    /// <summary>Whole numbers only; "17142847.0" is accepted, "1.5" is invalid.</summary>
    public static FieldStatus TryLong(string? text, out long value)
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
