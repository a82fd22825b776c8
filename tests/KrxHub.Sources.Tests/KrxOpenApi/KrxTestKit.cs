using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Testing;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Tests.KrxOpenApi;

/// <summary>One stock of the real KRX cross-section of 2021-01-04 (MDCSTAT01501 mktId=ALL as pykrx recorded it), numbers as KRX gave them.</summary>
internal sealed record CrossSectionRow(
    string Code, string Isin, string Name, string MarketName, string Segment, long Close, long Change, string ChangeRate,
    long Open, long High, long Low, long Volume, long TradingValue, long MarketCap, long ListedShares, string MarketId);

internal static class KrxTestKit
{
    public static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    public static readonly DateOnly Jan4 = new(2021, 1, 4);

    public static readonly DateOnly Jan22 = new(2021, 1, 22);

    /// <summary>The real getJsonData.cmd body of MDCSTAT01501 mktId=STK trdDd=20210122 (917 KOSPI stocks).</summary>
    public static readonly string KospiJan22Sample = TestPaths.Data("samples", "krx", "MDCSTAT01501-STK-20210122.json");

    /// <summary>2,531 real rows: 917 KOSPI (STK), 1,471 KOSDAQ (KSQ), 143 KONEX (KNX).</summary>
    public static readonly IReadOnlyList<CrossSectionRow> Jan4Rows = LoadCrossSection(
        TestPaths.Reference("daily_cross_section", "krx_ALL_20210104_MDCSTAT01501.csv"));

    public static readonly (Market Market, string MarketId, string Path)[] MarketPaths =
    [
        (Market.Kospi, "STK", "sto/stk_bydd_trd"),
        (Market.Kosdaq, "KSQ", "sto/ksq_bydd_trd"),
        (Market.Konex, "KNX", "sto/knx_bydd_trd"),
    ];

    /// <summary>Options for the fake server: no backoff waits (tests do not sleep), a few retries.</summary>
    public static KrxOpenApiOptions Options(FakeKrxServer server) => new()
    {
        OpenApiUrl = server.OpenApiUrl,
        AuthKey = FakeKrxServer.AuthKey,
        RequestsPerSecond = 1000,
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.Zero,
        RateLimitBackoff = TimeSpan.Zero,
    };

    public static KrxOpenApiClient Client(FakeKrxServer server, KrxOpenApiOptions? options = null, ILogger<KrxOpenApiClient>? logger = null) =>
        new(new HttpClient(), options ?? Options(server), TimeProvider.System, logger: logger);

    /// <summary>The fake serves the real 2021-01-04 rows of each market, in the Open API's shape and with KRX's thousands separators.</summary>
    public static void ServeJan4(FakeKrxServer server)
    {
        foreach (var (_, marketId, path) in MarketPaths)
        {
            server.OpenApiDays[(path, "20210104")] = OpenApiBody(Jan4Rows.Where(r => r.MarketId == marketId).Select(r => OpenApiRecord(r, "20210104")));
        }
    }

    /// <summary>
    /// A record as broker-apis.md §3.1 lists the Open API's fields: BAS_DD, ISU_CD (the short code), ISU_NM, then the price
    /// fields named as on the data system's all-stocks screen, every value a string with thousands separators.
    /// </summary>
    public static JsonObject OpenApiRecord(CrossSectionRow r, string basDd) => new()
    {
        ["BAS_DD"] = basDd,
        ["ISU_CD"] = r.Code,
        ["ISU_NM"] = r.Name,
        ["MKT_NM"] = r.MarketName,
        ["SECT_TP_NM"] = r.Segment,
        ["TDD_CLSPRC"] = Thousands(r.Close),
        ["CMPPREVDD_PRC"] = Thousands(r.Change),
        ["FLUC_RT"] = r.ChangeRate,
        ["TDD_OPNPRC"] = Thousands(r.Open),
        ["TDD_HGPRC"] = Thousands(r.High),
        ["TDD_LWPRC"] = Thousands(r.Low),
        ["ACC_TRDVOL"] = Thousands(r.Volume),
        ["ACC_TRDVAL"] = Thousands(r.TradingValue),
        ["MKTCAP"] = Thousands(r.MarketCap),
        ["LIST_SHRS"] = Thousands(r.ListedShares),
    };

    /// <summary>The real 2021-01-22 KOSPI sample in the Open API's shape: every value string copied verbatim from KRX's body.</summary>
    public static IEnumerable<JsonObject> KospiJan22AsOpenApi()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(KospiJan22Sample));
        foreach (var r in doc.RootElement.GetProperty("OutBlock_1").EnumerateArray())
        {
            var record = new JsonObject { ["BAS_DD"] = "20210122", ["ISU_CD"] = r.GetProperty("ISU_SRT_CD").GetString(), ["ISU_NM"] = r.GetProperty("ISU_ABBRV").GetString() };
            foreach (var field in new[] { "MKT_NM", "SECT_TP_NM", "TDD_CLSPRC", "CMPPREVDD_PRC", "FLUC_RT", "TDD_OPNPRC", "TDD_HGPRC", "TDD_LWPRC", "ACC_TRDVOL", "ACC_TRDVAL", "MKTCAP", "LIST_SHRS" })
            {
                record[field] = r.GetProperty(field).GetString();
            }

            yield return record;
        }
    }

    public static string OpenApiBody(IEnumerable<JsonNode?> records) => new JsonObject { ["OutBlock_1"] = new JsonArray([.. records]) }.ToJsonString();

    public static string Thousands(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>A master holding every stock of the cross-section, so that the validator can check them all.</summary>
    public static Dictionary<StockCode, Stock> Master(IEnumerable<CrossSectionRow> rows) =>
        rows.ToDictionary(r => StockCode.Parse(r.Code), r =>
        {
            Markets.TryParse(r.MarketId, out var market);
            return new Stock(StockCode.Parse(r.Code), r.Name, market, null, Isin: r.Isin);
        });

    public static DailyBarValidator Validator(IEnumerable<CrossSectionRow> rows) => new(Calendar, Master(rows), new DateOnly(2026, 4, 14));

    private static IReadOnlyList<CrossSectionRow> LoadCrossSection(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name);
        var (code, isin, name, market, segment, close, change, rate, open, high, low, volume, value, cap, shares, id) = (
            Column("ISU_SRT_CD"), Column("ISU_CD"), Column("ISU_ABBRV"), Column("MKT_NM"), Column("SECT_TP_NM"), Column("TDD_CLSPRC"),
            Column("CMPPREVDD_PRC"), Column("FLUC_RT"), Column("TDD_OPNPRC"), Column("TDD_HGPRC"), Column("TDD_LWPRC"), Column("ACC_TRDVOL"),
            Column("ACC_TRDVAL"), Column("MKTCAP"), Column("LIST_SHRS"), Column("MKT_ID"));
        static long L(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return lines.Skip(1).Select(line => line.Split(',')).Select(f => new CrossSectionRow(
            f[code], f[isin], f[name], f[market], f[segment], L(f[close]), L(f[change]), f[rate], L(f[open]), L(f[high]), L(f[low]),
            L(f[volume]), L(f[value]), L(f[cap]), L(f[shares]), f[id])).ToList();
    }
}
