using System.Globalization;
using System.Text.Json.Nodes;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>
/// The real KOSPI (incl. ETF/ETN/ELW) net buying by investor type of 2021-01-15..22 with pension per day, as pykrx's README
/// prints it (KRX MDCSTAT02203), written back as the KRX detail body: TRDVAL1..11 in KRX's column order, strings with
/// thousands separators.
/// </summary>
internal static class KospiInvestorBody
{
    public static string DetailTable => TestPaths.Reference("investor",
        "pykrx_README_get_market_trading_value_by_date__20210115_20210122_KOSPI_etf=True_etn=True_elw=True_detail=True.csv");

    /// <summary>KRX MDCSTAT02202 of the same market and days: TRDVAL1 is 기관합계 (institution-total), an independent check.</summary>
    public static string GeneralTable => TestPaths.Reference("investor", "krx_MDCSTAT02202_KOSPI_incl_ETF_ETN_ELW_netbuy_value_by_date_20210115_20210122.csv");

    public static string Write(string directory)
    {
        var lines = File.ReadAllLines(DetailTable);
        var output = new JsonArray();
        foreach (var line in lines.Skip(1).Reverse())
        {
            var f = line.Split(',');
            var row = new JsonObject { ["TRD_DD"] = f[0].Replace('-', '/') };
            for (var i = 1; i <= 11; i++)
            {
                row["TRDVAL" + i.ToString(CultureInfo.InvariantCulture)] = long.Parse(f[i], CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture);
            }

            row["TRDVAL_TOT"] = f[12];
            output.Add(row);
        }

        var path = Path.Combine(directory, "MDCSTAT02203-KOSPI-netbuy-value-20210115-20210122.json");
        File.WriteAllText(path, new JsonObject { ["output"] = output }.ToJsonString());
        return path;
    }

    /// <summary>(date, TRDVAL1) of the general table.</summary>
    public static IReadOnlyList<(string Date, decimal InstitutionTotal)> InstitutionTotals() =>
        [.. File.ReadLines(GeneralTable).Skip(1).Select(l => l.Split(','))
            .Select(f => (f[0].Replace('/', '-'), decimal.Parse(f[1], CultureInfo.InvariantCulture)))];

    /// <summary>(date, 연기금) of the detail table.</summary>
    public static IReadOnlyList<(string Date, decimal Pension)> Pensions() =>
        [.. File.ReadLines(DetailTable).Skip(1).Select(l => l.Split(',')).Select(f => (f[0], decimal.Parse(f[7], CultureInfo.InvariantCulture)))];
}
