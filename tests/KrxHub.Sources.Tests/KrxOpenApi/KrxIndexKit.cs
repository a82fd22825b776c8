using System.Globalization;
using System.Text.Json.Nodes;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.KrxOpenApi;

/// <summary>
/// The Open API index service of the fake, fed with real 2021-01-08 levels: KOSPI from KRX's MDCSTAT00301 screen, KOSPI 200
/// and KOSDAQ from FinanceDataReader's cache, and 코스피 100 (not configured, so left out) from KRX's MDCSTAT00201 screen,
/// every value with KRX's thousands separators.
/// </summary>
internal static class KrxIndexKit
{
    public const string BasDd = "20210108";
    public static readonly DateOnly Jan8 = new(2021, 1, 8);

    /// <summary>(open, high, low, close, volume, value, cap) as the reference files write them.</summary>
    public static string[] Kospi => Row(TestPaths.Reference("index", "krx_MDCSTAT00301_KOSPI_1001_daily_202101.csv"), "2021/01/08", [5, 6, 7, 1, 8, 9, 10]);

    public static string[] Kospi200 => Row(TestPaths.Reference("index", "fdr_krx_data_cache", "ks200_daily_all_years.csv"), "2021-01-08", [5, 6, 7, 1, 8, 9, 10]);

    public static string[] Kosdaq => Row(TestPaths.Reference("index", "fdr_krx_data_cache", "kq11_daily_all_years.csv"), "2021-01-08", [5, 6, 7, 1, 8, 9, 10]);

    public static void Serve(FakeKrxServer server, string basDd = BasDd)
    {
        var kospi100 = File.ReadLines(TestPaths.Reference("index", "krx_MDCSTAT00201_KOSPI_index_pricechange_20210104_20210108.csv"))
            .Select(l => l.Split(',')).Single(f => f[0] == "코스피 100");
        server.OpenApiDays[("idx/kospi_dd_trd", BasDd)] = Body(Record(basDd, "코스피", Kospi), Record(basDd, "코스피 100", ["", "", "", kospi100[2], "", "", ""]),
            Record(basDd, "코스피 200", Kospi200));
        server.OpenApiDays[("idx/kosdaq_dd_trd", BasDd)] = Body(Record(basDd, "코스닥", Kosdaq));
    }

    public static decimal Number(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string[] Row(string path, string date, int[] columns)
    {
        var f = File.ReadLines(path).Select(l => l.Split(',')).Single(f => f[0] == date);
        return [.. columns.Select(c => f[c])];
    }

    private static JsonObject Record(string basDd, string name, string[] v) => new()
    {
        ["BAS_DD"] = basDd,
        ["IDX_CLSS"] = name.StartsWith("코스닥", StringComparison.Ordinal) ? "KOSDAQ" : "KOSPI",
        ["IDX_NM"] = name,
        ["CLSPRC_IDX"] = Thousands(v[3]),
        ["OPNPRC_IDX"] = Thousands(v[0]),
        ["HGPRC_IDX"] = Thousands(v[1]),
        ["LWPRC_IDX"] = Thousands(v[2]),
        ["ACC_TRDVOL"] = Thousands(v[4]),
        ["ACC_TRDVAL"] = Thousands(v[5]),
        ["MKTCAP"] = Thousands(v[6]),
    };

    private static string Thousands(string value) => value.Length == 0 ? "-" : Number(value).ToString("#,0.##", CultureInfo.InvariantCulture);

    private static string Body(params JsonObject[] records) => new JsonObject { ["OutBlock_1"] = new JsonArray([.. records]) }.ToJsonString();
}
