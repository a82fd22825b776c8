using System.Globalization;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>Kiwoom 0J (업종지수) against the fake WebSocket server: the REG of the sector items and their levels under KRX codes.</summary>
public sealed class KiwoomIndexTests
{
    private static readonly DateOnly Day = new(2026, 3, 20);

    /// <summary>(close, change, open, high, low, volume, value) of 2026-03-20 from FinanceDataReader's cache.</summary>
    private static string[] Fdr(string file)
    {
        var f = File.ReadLines(TestPaths.Reference("index", "fdr_krx_data_cache", file)).Select(l => l.Split(',')).Single(f => f[0] == "2026-03-20");
        return [f[1], f[3], f[5], f[6], f[7], f[8], f[9]];
    }

    private static string Signed(string value, bool up) => (up ? "+" : "-") + decimal.Parse(value, CultureInfo.InvariantCulture).ToString("0.00", CultureInfo.InvariantCulture).TrimStart('-');

    /// <summary>A 0J entry as Kiwoom pushes it: signed strings, FID 25 the direction, FID 14 in 백만원.</summary>
    private static JsonObject Entry(string item, string[] v, string time)
    {
        var up = decimal.Parse(v[1], CultureInfo.InvariantCulture) >= 0;
        return new JsonObject
        {
            ["type"] = "0J",
            ["name"] = "업종지수",
            ["item"] = item,
            ["values"] = new JsonObject
            {
                ["20"] = time,
                ["10"] = Signed(v[0], up),
                ["11"] = Signed(v[1], up),
                ["12"] = Signed((decimal.Parse(v[1], CultureInfo.InvariantCulture) * 100 / (decimal.Parse(v[0], CultureInfo.InvariantCulture) - decimal.Parse(v[1], CultureInfo.InvariantCulture))).ToString("0.00", CultureInfo.InvariantCulture), up),
                ["25"] = up ? "2" : "5",
                ["13"] = v[5],
                ["14"] = (decimal.Parse(v[6], CultureInfo.InvariantCulture) / 1_000_000m).ToString("0", CultureInfo.InvariantCulture),
                ["16"] = Signed(v[2], up),
                ["17"] = Signed(v[3], up),
                ["18"] = Signed(v[4], up),
            },
        };
    }

    [Fact]
    public async Task The_feed_registers_the_sector_items_for_0J_and_publishes_their_levels_under_KRX_codes()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 15, 35));
        h.Rest.TokenLifetime = TimeSpan.FromDays(365);
        h.Start();
        var session = await h.LoggedInAsync(1, []);
        await h.Until(() => session.Registered.Count == 3, "the 0J registration");

        var kospi = Fdr("ks11_daily_all_years.csv");
        var kosdaq = Fdr("kq11_daily_all_years.csv");
        await session.SendAsync(Live.Real(Entry("001", kospi, "153000"), Entry("101", kosdaq, "153000"), Entry("999", kospi, "153000")));
        await h.Until(() => h.Events.OfType<LiveIndexLevel>().Count() >= 2, "two index levels");

        Assert.Equal(["001/0J", "101/0J", "201/0J"], session.Registered.Order(StringComparer.Ordinal));
        Assert.Equal("""{"trnm":"REG","grp_no":"1","refresh":"1","data":[{"item":["001","101","201"],"type":["0J"]}]}""", session.Registrations.First().ToJsonString());
        var levels = h.Events.OfType<LiveIndexLevel>().ToList();
        Assert.Equal(["1001", "2001"], levels.Select(l => l.IndexCode));
        var k = levels[0];
        Assert.Equal((5781.2m, 17.98m, 5813.35m, 5833.68m, 5764.64m, 1_490_805_229L), (k.Level, k.Change!.Value, k.Open!.Value, k.High!.Value, k.Low!.Value, k.AccVolume!.Value));
        Assert.Equal(34_025_854_000_000m, k.AccValue);
        Assert.Equal(0.31m, k.ChangePct);
        Assert.Equal(new DateTimeOffset(2026, 3, 20, 15, 30, 0, KrxCalendar.KstOffset), k.Time);
        Assert.Equal((1161.52m, 18.04m, LiveSources.Kiwoom), (levels[1].Level, levels[1].Change!.Value, levels[1].Source));
        Assert.Empty(session.Violations);
    }

    [Fact]
    public async Task Without_index_items_no_0J_is_registered_and_a_malformed_setting_is_refused()
    {
        await using var h = await LiveHarness.StartAsync(Live.At(Day, 10, 0), o => o with { IndexItems = "" });
        h.Start();
        var session = await h.LoggedInAsync(1, []);
        await h.Feed.SetCodesAsync([StockCode.Parse("005930")], CancellationToken.None);
        await h.Until(() => LiveHarness.Registered(session, [StockCode.Parse("005930")]), "005930 registered");

        Assert.DoesNotContain(session.Registered, r => r.EndsWith("/0J", StringComparison.Ordinal));
        Assert.Equal("KRXHUB_KIWOOM__INDEXITEMS must be item=code pairs separated by ';', e.g. 001=1001;101=2001 (or empty)",
            (h.Options with { IndexItems = "001" }).Validate());
    }
}
