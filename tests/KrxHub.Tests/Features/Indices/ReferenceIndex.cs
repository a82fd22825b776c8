using System.Globalization;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>
/// The reference index histories (../shared/reference/index/fdr_krx_data_cache), read here with a plain split, independently of
/// the importer: Date, Close, UpDown, Comp, Change, Open, High, Low, Volume, Amount, MarCap.
/// </summary>
internal static class ReferenceIndex
{
    public static readonly string Kospi = TestPaths.Reference("index", "fdr_krx_data_cache", "ks11_daily_all_years.csv");
    public static readonly string Kosdaq = TestPaths.Reference("index", "fdr_krx_data_cache", "kq11_daily_all_years.csv");
    public static readonly string Kospi200 = TestPaths.Reference("index", "fdr_krx_data_cache", "ks200_daily_all_years.csv");

    /// <summary>date → (open, high, low, close, volume, amount, marcap) as the file writes them (empty = absent).</summary>
    public static Dictionary<DateOnly, string[]> Read(string path)
    {
        var rows = new Dictionary<DateOnly, string[]>();
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            rows[DateOnly.ParseExact(f[0], "yyyy-MM-dd", CultureInfo.InvariantCulture)] = [f[5], f[6], f[7], f[1], f[8], f[9], f[10]];
        }

        return rows;
    }

    public static decimal? Number(string text) =>
        text.Length == 0 ? null : decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
