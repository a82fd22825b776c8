using System.Text.RegularExpressions;

namespace KrxHub.Core.Indices;

/// <summary>
/// A KRX index by its data-system code: the one-character series (<c>indIdx</c>: 1 KOSPI, 2 KOSDAQ, 5 KRX …) followed by the
/// three-digit number (<c>indIdx2</c>), so KOSPI is 1001, KOSDAQ 2001 and KOSPI 200 1028 (pykrx and FinanceDataReader use the
/// same codes). Other sources number indices differently: KIS's <c>1001</c> is KOSDAQ, and Kiwoom's sector codes are three
/// digits (see docs/indices.md); they are translated at the source, never stored.
/// </summary>
public sealed partial record KrxIndex(string Code, string Name, string NameEn, Market? Market)
{
    public static readonly KrxIndex Kospi = new("1001", "코스피", "KOSPI", Core.Market.Kospi);
    public static readonly KrxIndex Kosdaq = new("2001", "코스닥", "KOSDAQ", Core.Market.Kosdaq);
    public static readonly KrxIndex Kospi200 = new("1028", "코스피 200", "KOSPI 200", Core.Market.Kospi);
    public static readonly KrxIndex Kosdaq150 = new("2203", "코스닥 150", "KOSDAQ 150", Core.Market.Kosdaq);
    public static readonly KrxIndex KospiHighDividend50 = new("1163", "코스피 고배당 50", "KOSPI High Dividend 50", Core.Market.Kospi);

    /// <summary>The indices KrxHub knows by name; any other well-formed code is accepted without one.</summary>
    public static IReadOnlyList<KrxIndex> Known { get; } = [Kospi, Kosdaq, Kospi200, Kosdaq150, KospiHighDividend50];

    /// <summary>
    /// Parses a code (1001, 2001, 1028 …) or a name: KOSPI, KOSDAQ, KOSPI200 / KOSPI 200, KOSDAQ150, the Korean names, and the
    /// FinanceDataReader symbols KS11, KQ11, KS200. Codes outside <see cref="Known"/> come back with the code as their name.
    /// </summary>
    public static bool TryParse(string? text, out KrxIndex index)
    {
        index = Kospi;
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t))
        {
            return false;
        }

        var squeezed = t.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        var byName = squeezed switch
        {
            "KOSPI" or "코스피" or "KS11" => Kospi,
            "KOSDAQ" or "코스닥" or "KQ11" => Kosdaq,
            "KOSPI200" or "코스피200" or "KS200" => Kospi200,
            "KOSDAQ150" or "코스닥150" => Kosdaq150,
            _ => null,
        };
        if (byName is not null)
        {
            index = byName;
            return true;
        }

        if (!CodePattern().IsMatch(squeezed))
        {
            return false;
        }

        index = Known.FirstOrDefault(k => k.Code == squeezed) ?? new KrxIndex(squeezed, squeezed, squeezed, null);
        return true;
    }

    /// <summary>The message for text that <see cref="TryParse"/> refused.</summary>
    public static string Explain(string? text) =>
        $"'{text}' is not an index: use a KRX index code (1001 KOSPI, 2001 KOSDAQ, 1028 KOSPI 200) or KOSPI, KOSDAQ, KOSPI200";

    [GeneratedRegex("^[0-9A-Z][0-9]{3}$")]
    private static partial Regex CodePattern();
}
