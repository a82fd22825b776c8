using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;
using KrxHub.Sources.Tests.Kiwoom;
using Microsoft.Extensions.Configuration;

namespace KrxHub.Tests.Collection;

/// <summary>One real KRX raw bar of the bundled marcap window (2024-01-02..02-13).</summary>
internal sealed record RealBar(string Code, DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, long Volume, decimal TradingValue, decimal Change);

/// <summary>
/// The fake Kiwoom server of the source tests, answering per stock and per base date the way Kiwoom would: ka10081 serves
/// the real raw bars of the bundled marcap window in Kiwoom's signed strings (trde_prica in 백만원), ka10099 the bundled
/// master's listed stocks per market, ka10059 investor rows whose four main types net to zero, ka10080 381 minute bars
/// per session. Every request is counted by the server (<see cref="FakeKiwoomServer.Arrivals"/>). Shared with the bench.
/// </summary>
internal sealed class KiwoomMarket : IAsyncDisposable
{
    public static readonly DateOnly First = new(2024, 1, 2);
    public static readonly DateOnly Last = new(2024, 2, 13);

    private static readonly KrxCalendar Calendar = BundledData.LoadCalendar();
    private static readonly Lazy<Dictionary<string, List<RealBar>>> RealBars = new(LoadRealBars);
    private static readonly Lazy<List<Stock>> Listed = new(() => [.. MasterFiles.ReadListed(BundledData.Master).Records]);

    private KiwoomMarket(FakeKiwoomServer server)
    {
        Server = server;
        server.PageSize = 1000;
        server.RowsFor = RowsFor;
    }

    public FakeKiwoomServer Server { get; }

    /// <summary>ka10080 serves only bars that have begun by this clock's now.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>When set, ka10099 lists only these stocks (a small master for scheduler tests).</summary>
    public HashSet<string>? MasterOnly { get; set; }

    public static async Task<KiwoomMarket> StartAsync(TimeProvider? clock = null) =>
        new(await FakeKiwoomServer.StartAsync(clock ?? TimeProvider.System)) { Clock = clock ?? TimeProvider.System };

    /// <summary>Stocks of the bundled master that traded on every session of the window (no halts), by code.</summary>
    public static IReadOnlyList<string> TradedEverySession(int count)
    {
        var sessions = Calendar.Sessions(First, Last).Length;
        var listed = Listed.Value.Select(s => s.Code.Value).ToHashSet(StringComparer.Ordinal);
        return [.. RealBars.Value.Where(kv => listed.Contains(kv.Key) && kv.Value.Count == sessions && kv.Value.All(b => b.Volume > 0))
            .Select(kv => kv.Key).Order(StringComparer.Ordinal).Take(count)];
    }

    public static IReadOnlyList<RealBar> Real(string code, DateOnly from, DateOnly to) =>
        [.. RealBars.Value[code].Where(b => b.Date >= from && b.Date <= to)];

    /// <summary>The bundled master's entries of <paramref name="codes"/>, for a store that should know only those.</summary>
    public static IReadOnlyList<Stock> MasterOf(IEnumerable<string> codes)
    {
        var wanted = codes.ToHashSet(StringComparer.Ordinal);
        return [.. Listed.Value.Where(s => wanted.Contains(s.Code.Value)).Select(s => s with { AsOf = new DateOnly(2026, 4, 14) })];
    }

    /// <summary>Settings pointing at this server, as the environment would give them (also the CLI's environment).</summary>
    public Dictionary<string, string?> Environment(double requestsPerSecond = 1000) => new()
    {
        ["KRXHUB_KIWOOM__BASEURL"] = Server.BaseUrl,
        ["KRXHUB_KIWOOM__APPKEY"] = FakeKiwoomServer.AppKey,
        ["KRXHUB_KIWOOM__SECRETKEY"] = FakeKiwoomServer.SecretKey,
        ["KRXHUB_KIWOOM__REQUESTSPERSECOND"] = requestsPerSecond.ToString(CultureInfo.InvariantCulture),
        ["KRXHUB_KIWOOM__RETRYBASEDELAY"] = "00:00:00",
        ["KRXHUB_KIWOOM__RATELIMITBACKOFF"] = "00:00:00",
        ["KRXHUB_KIWOOM__MAXRETRIES"] = "1",
    };

    /// <summary>Hub settings from environment-style keys (KRXHUB_SECTION__KEY), bound by the hub's own binder.</summary>
    public static HubSettings Settings(IDictionary<string, string?> environment)
    {
        var keys = environment.Where(kv => kv.Key.StartsWith(HubSettings.EnvPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[HubSettings.EnvPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), kv => kv.Value);
        return HubSettings.From(new ConfigurationBuilder().AddInMemoryCollection(keys).Build());
    }

    /// <summary>The base_dt (or dt) each request of <paramref name="apiId"/> asked for, per stock.</summary>
    public IReadOnlyList<(string Code, string Date)> Requests(string apiId) =>
        [.. Server.Calls(apiId).Select(a => JsonNode.Parse(a.Body)!.AsObject()).Select(b => ((string)b["stk_cd"]!, (string?)(b["base_dt"] ?? b["dt"]) ?? ""))];

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private IReadOnlyList<JsonNode?> RowsFor(string apiId, JsonObject body)
    {
        var code = (string?)body["stk_cd"];
        return apiId switch
        {
            "ka10081" => DailyRows(code!, Date((string?)body["base_dt"])),
            "ka10059" => InvestorRows(code!, Date((string?)body["dt"])),
            "ka10080" => MinuteRows(code!, Date((string?)body["base_dt"])),
            "ka10099" => MasterRows((string)body["mrkt_tp"]!),
            _ => Server.Rows.TryGetValue(apiId, out var rows) ? rows : [],
        };
    }

    private static DateOnly Date(string? yyyymmdd) =>
        yyyymmdd is null ? Last : DateOnly.ParseExact(yyyymmdd, "yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Newest first from base_dt, each price signed against the previous close as Kiwoom signs it.</summary>
    private static List<JsonNode?> DailyRows(string code, DateOnly baseDate)
    {
        if (!RealBars.Value.TryGetValue(code, out var bars))
        {
            return [];
        }

        return [.. bars.Where(b => b.Date <= baseDate).OrderByDescending(b => b.Date).Select(b =>
        {
            var previous = b.Close - b.Change;
            return (JsonNode?)new JsonObject
            {
                ["cur_prc"] = Signed(b.Close, previous),
                ["trde_qty"] = b.Volume.ToString(CultureInfo.InvariantCulture),
                ["trde_prica"] = decimal.Floor(b.TradingValue / 1_000_000m).ToString(CultureInfo.InvariantCulture),
                ["dt"] = Day(b.Date),
                ["open_pric"] = Signed(b.Open, previous),
                ["high_pric"] = Signed(b.High, previous),
                ["low_pric"] = Signed(b.Low, previous),
                ["pred_pre"] = b.Change == 0 ? "0" : (b.Change > 0 ? "+" : "-") + Math.Abs(b.Change).ToString(CultureInfo.InvariantCulture),
                ["pred_pre_sig"] = b.Change > 0 ? "2" : b.Change < 0 ? "5" : "3",
                ["trde_tern_rt"] = "+0.16",
            };
        })];
    }

    /// <summary>
    /// Net buying in 백만원 per type, newest first from dt: individual, foreign, other corporations and the institution
    /// total net to zero, and the seven institutional types add up to the total.
    /// </summary>
    private static List<JsonNode?> InvestorRows(string code, DateOnly date)
    {
        var rows = new List<JsonNode?>();
        foreach (var day in Calendar.Sessions(First, date).ToArray().Reverse())
        {
            var seed = ((code.Sum(c => c) % 997) + (day.DayNumber % 89)) * 7;
            long individual = seed + 120, foreign = -(seed / 2) - 40, corp = 15;
            var institution = -(individual + foreign + corp);
            long[] parts = [institution / 7, institution / 7, institution / 7, institution / 7, institution / 7, institution / 7];
            var pension = institution - parts.Sum();
            rows.Add(new JsonObject
            {
                ["dt"] = Day(day),
                ["cur_prc"] = "+70000",
                ["ind_invsr"] = Net(individual),
                ["frgnr_invsr"] = Net(foreign),
                ["orgn"] = Net(institution),
                ["fnnc_invt"] = Net(parts[0]),
                ["insrnc"] = Net(parts[1]),
                ["invtrt"] = Net(parts[2]),
                ["etc_fnnc"] = Net(parts[3]),
                ["bank"] = Net(parts[4]),
                ["samo_fund"] = Net(parts[5]),
                ["penfnd_etc"] = Net(pension),
                ["natn"] = "0",
                ["etc_corp"] = Net(corp),
                ["natfor"] = "0",
            });
        }

        return rows;
    }

    /// <summary>381 bars per session (09:00–15:19 and the 15:30 closing auction), newest first, of base_dt and the session before.</summary>
    private List<JsonNode?> MinuteRows(string code, DateOnly baseDate)
    {
        var rows = new List<JsonNode?>();
        var days = new[] { baseDate, Calendar.PreviousSession(baseDate) ?? baseDate }.Where(Calendar.IsSession).Distinct();
        foreach (var day in days)
        {
            var close = RealBars.Value.TryGetValue(code, out var bars) && bars.FirstOrDefault(b => b.Date == day) is { } bar ? bar.Close : 70000m;
            var minutes = Enumerable.Range(0, 380).Select(i => new TimeSpan(9, i, 0)).Append(new TimeSpan(15, 30, 0)).Reverse();
            foreach (var minute in minutes.Where(m => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue) + m, TimeSpan.FromHours(9)) <= Clock.GetUtcNow()))
            {
                var text = "-" + close.ToString(CultureInfo.InvariantCulture);
                rows.Add(new JsonObject
                {
                    ["cur_prc"] = text,
                    ["trde_qty"] = ((long)minute.TotalMinutes).ToString(CultureInfo.InvariantCulture),
                    ["cntr_tm"] = Day(day) + minute.ToString("hhmmss", CultureInfo.InvariantCulture),
                    ["open_pric"] = text,
                    ["high_pric"] = text,
                    ["low_pric"] = text,
                    ["acc_trde_qty"] = "1000",
                    ["pred_pre"] = "-100",
                    ["pred_pre_sig"] = "5",
                });
            }
        }

        return rows;
    }

    private List<JsonNode?> MasterRows(string marketType)
    {
        var market = marketType switch { "0" => Market.Kospi, "10" => Market.Kosdaq, "50" => Market.Konex, _ => (Market?)null };
        return [.. Listed.Value.Where(s => s.Market == market && (MasterOnly is null || MasterOnly.Contains(s.Code.Value))).Select(s => (JsonNode?)new JsonObject
        {
            ["code"] = s.Code.Value,
            ["name"] = s.Name,
            ["listCount"] = (s.ListedShares ?? 0).ToString("D16", CultureInfo.InvariantCulture),
            ["auditInfo"] = "정상",
            ["regDay"] = s.ListingDate is { } d ? Day(d) : "",
            ["lastPrice"] = "00070000",
            ["state"] = "증거금20%",
            ["marketCode"] = marketType,
            ["marketName"] = s.Segment ?? s.Market.Name(),
            ["upName"] = s.Industry ?? "",
            ["upSizeName"] = "",
            ["companyClassName"] = "",
            ["orderWarning"] = "0",
            ["nxtEnable"] = "Y",
        })];
    }

    private static string Day(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static string Signed(decimal price, decimal previousClose) =>
        (price > previousClose ? "+" : price < previousClose ? "-" : "") + price.ToString(CultureInfo.InvariantCulture);

    private static string Net(long value) => (value > 0 ? "+" : "") + value.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, List<RealBar>> LoadRealBars()
    {
        using var gz = new GZipStream(File.OpenRead(BundledData.RawWindow), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var header = reader.ReadLine()!.Split(',').Select(h => h.Trim('"')).ToList();
        int I(string name) => header.IndexOf(name);
        var bars = new Dictionary<string, List<RealBar>>(StringComparer.Ordinal);
        static decimal D(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',').Select(x => x.Trim('"')).ToArray();
            var bar = new RealBar(f[I("Code")], DateOnly.ParseExact(f[I("Date")], "yyyy-MM-dd", CultureInfo.InvariantCulture),
                D(f[I("Open")]), D(f[I("High")]), D(f[I("Low")]), D(f[I("Close")]), (long)D(f[I("Volume")]), D(f[I("Amount")]), D(f[I("Changes")]));
            if (!bars.TryGetValue(bar.Code, out var list))
            {
                bars[bar.Code] = list = [];
            }

            list.Add(bar);
        }

        return bars;
    }
}
