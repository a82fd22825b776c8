using System.Globalization;
using KrxHub.Core;

namespace KrxHub.Sources.Kiwoom;

/// <summary>Kiwoom's 전일대비기호 (pred_pre_sig / pre_sig): the direction against the previous close.</summary>
public enum PriceDirection
{
    LimitUp = 1,
    Up = 2,
    Unchanged = 3,
    LimitDown = 4,
    Down = 5,
}

/// <summary>
/// The one place Kiwoom's value strings are read. Every value is a string; prices carry the direction as a sign prefix
/// ("+70700", "-78800") and list TRs zero-pad ("00000197"). Prices are the absolute value (the direction is
/// <see cref="PriceDirection"/>); changes and net flows keep their sign. Parsing is exact (decimal, never double).
/// </summary>
public static class KiwoomValue
{
    /// <summary>A price: sign dropped ("-78800" → 78800).</summary>
    public static FieldStatus TryPrice(string? text, out decimal price)
    {
        var status = KrxText.TryDecimal(text, out price);
        price = Math.Abs(price);
        return status;
    }

    /// <summary>A signed number kept as signed: changes, rates, net buying ("-1234" → -1234, "+0.16" → 0.16).</summary>
    public static FieldStatus TrySigned(string? text, out decimal value) => KrxText.TryDecimal(text, out value);

    /// <summary>A whole number, signed; zero padding allowed ("0000000123759593" → 123759593); "1.5" is invalid.</summary>
    public static FieldStatus TryLong(string? text, out long value) => KrxText.TryLong(text, out value);

    /// <summary>A count that has no direction (volume, shares): the sign, if any, is dropped.</summary>
    public static FieldStatus TryCount(string? text, out long value)
    {
        var status = KrxText.TryLong(text, out value);
        value = Math.Abs(value);
        return status;
    }

    public static PriceDirection? Direction(string? sign) => sign?.Trim() switch
    {
        "1" => PriceDirection.LimitUp,
        "2" => PriceDirection.Up,
        "3" => PriceDirection.Unchanged,
        "4" => PriceDirection.LimitDown,
        "5" => PriceDirection.Down,
        _ => null,
    };

    /// <summary>
    /// The change against the previous close with its sign taken from the direction code when there is one,
    /// else from the text's own sign ("600" with code 5 → -600; "+600" with no code → 600).
    /// </summary>
    public static FieldStatus TryChange(string? text, string? sign, out decimal change)
    {
        var status = KrxText.TryDecimal(text, out change);
        if (status != FieldStatus.Ok)
        {
            return status;
        }

        change = Direction(sign) switch
        {
            PriceDirection.LimitUp or PriceDirection.Up => Math.Abs(change),
            PriceDirection.LimitDown or PriceDirection.Down => -Math.Abs(change),
            PriceDirection.Unchanged => 0m,
            _ => change,
        };
        return FieldStatus.Ok;
    }

    /// <summary>yyyyMMdd only.</summary>
    public static FieldStatus TryDate(string? text, out DateOnly date)
    {
        date = default;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return FieldStatus.Missing;
        }

        return DateOnly.TryParseExact(s, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
            ? FieldStatus.Ok
            : FieldStatus.Invalid;
    }

    /// <summary>
    /// yyyyMMddHHmmss as Kiwoom writes it: Korean wall-clock time. Tagged +09:00 (Korea has no DST), so comparing
    /// with a UTC clock is correct; reading it as UTC would keep an expired token for 9 hours.
    /// </summary>
    public static FieldStatus TryKstTime(string? text, out DateTimeOffset time)
    {
        time = default;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return FieldStatus.Missing;
        }

        if (!DateTime.TryParseExact(s, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return FieldStatus.Invalid;
        }

        time = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), Kst);
        return FieldStatus.Ok;
    }

    /// <summary>Korea Standard Time; fixed, no daylight saving since 1988.</summary>
    public static readonly TimeSpan Kst = TimeSpan.FromHours(9);

    /// <summary>Normalised invariant text of a parsed number, for rows that stay text until validation.</summary>
    internal static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
