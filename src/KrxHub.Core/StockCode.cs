using System.Diagnostics.CodeAnalysis;

namespace KrxHub.Core;

/// <summary>
/// A KRX short code: 6 characters, digits and upper-case letters, first character a digit.
/// Covers classic numeric codes (005930), old preferred shares (00104K) and the post-2024
/// alphanumeric codes (0126Z0). ISINs and 8-character rights/warrant codes are rejected.
/// </summary>
public readonly record struct StockCode
{
    public string Value { get; }

    private StockCode(string value) => Value = value;

    public static StockCode Parse(string? text) =>
        TryParse(text, out var code, out var error) ? code : throw new FormatException(error);

    public static bool TryParse(string? text, out StockCode code) => TryParse(text, out code, out _);

    public static bool TryParse(string? text, out StockCode code, [NotNullWhen(false)] out string? error)
    {
        code = default;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            error = "stock code is empty; expected 6 characters such as 005930 or 0126Z0";
            return false;
        }

        // Kiwoom prefixes codes with A (stocks) and suffixes _NX/_AL for the NXT venue.
        if (s.Length != 6)
        {
            error = $"stock code '{s}' must be exactly 6 characters (digits and A-Z, e.g. 005930 or 0126Z0)";
            return false;
        }

        Span<char> upper = stackalloc char[6];
        for (var i = 0; i < 6; i++)
        {
            var c = char.ToUpperInvariant(s[i]);
            var ok = c is >= '0' and <= '9' || (i > 0 && c is >= 'A' and <= 'Z');
            if (!ok)
            {
                error = i == 0
                    ? $"stock code '{s}' must start with a digit"
                    : $"stock code '{s}' contains '{s[i]}'; only digits and A-Z are allowed";
                return false;
            }

            upper[i] = c;
        }

        // Most inputs are already normalised: keep the caller's string instead of allocating a copy.
        code = new StockCode(upper.SequenceEqual(s.AsSpan()) ? s : new string(upper));
        error = null;
        return true;
    }

    public override string ToString() => Value ?? string.Empty;
}
