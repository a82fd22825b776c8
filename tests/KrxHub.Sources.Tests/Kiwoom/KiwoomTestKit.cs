using System.Globalization;
using System.Text.Json.Nodes;
using KrxHub.Core;
using KrxHub.Sources.Kiwoom;
using KrxHub.Testing;
using Microsoft.Extensions.Logging;

namespace KrxHub.Sources.Tests.Kiwoom;

internal static class KiwoomTestKit
{
    public static readonly KrxCalendar Calendar = KrxCalendar.Load(TestPaths.Data("calendar", "xkrx-sessions-1986-2026.csv"));

    public static readonly StockCode Samsung = StockCode.Parse("005930");

    /// <summary>Options for the fake server: no backoff waits (tests do not sleep), a few retries.</summary>
    public static KiwoomOptions Options(FakeKiwoomServer server) => new()
    {
        BaseUrl = server.BaseUrl,
        AppKey = FakeKiwoomServer.AppKey,
        SecretKey = FakeKiwoomServer.SecretKey,
        RequestsPerSecond = 1000,
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.Zero,
        RateLimitBackoff = TimeSpan.Zero,
    };

    /// <summary>
    /// A client on <paramref name="clock"/>. The limiter runs on the real clock unless given: its permits come back after a
    /// real second, which a manual clock would never let happen.
    /// </summary>
    public static KiwoomClient Client(
        FakeKiwoomServer server,
        TimeProvider clock,
        KiwoomOptions? options = null,
        ILogger<KiwoomClient>? logger = null,
        KiwoomTokenStore? store = null,
        KiwoomRateLimiter? limiter = null)
    {
        options ??= Options(server);
        return new KiwoomClient(new HttpClient(), options, clock,
            limiter ?? new KiwoomRateLimiter(options.EffectiveRequestsPerSecond, TimeProvider.System), store, logger);
    }

    /// <summary>
    /// ka10081 rows for <paramref name="count"/> sessions up to <paramref name="baseDate"/>, newest first, signed the way
    /// Kiwoom signs them: each price against the previous close, pred_pre with its direction code.
    /// </summary>
    public static List<JsonNode?> DailyRows(DateOnly baseDate, int count)
    {
        var dates = new List<DateOnly>();
        for (var d = baseDate; dates.Count < count; d = d.AddDays(-1))
        {
            if (Calendar.IsSession(d))
            {
                dates.Add(d);
            }
        }

        dates.Reverse();
        var rows = new List<JsonNode?>();
        var prev = 70000m;
        for (var i = 0; i < dates.Count; i++)
        {
            var close = 70000m + ((i * 37 % 11) - 5) * 100m;
            var open = prev;
            var high = Math.Max(open, close) + 100m;
            var low = Math.Min(open, close) - 100m;
            var change = close - prev;
            rows.Add(new JsonObject
            {
                ["cur_prc"] = Signed(close, prev),
                ["trde_qty"] = (9_000_000 + i).ToString(CultureInfo.InvariantCulture),
                ["trde_prica"] = (640_000 + i).ToString(CultureInfo.InvariantCulture),
                ["dt"] = dates[i].ToString("yyyyMMdd", CultureInfo.InvariantCulture),
                ["open_pric"] = Signed(open, prev),
                ["high_pric"] = Signed(high, prev),
                ["low_pric"] = Signed(low, prev),
                ["pred_pre"] = change == 0 ? "0" : (change > 0 ? "+" : "-") + Math.Abs(change).ToString(CultureInfo.InvariantCulture),
                ["pred_pre_sig"] = change > 0 ? "2" : change < 0 ? "5" : "3",
                ["trde_tern_rt"] = "+0.16",
            });
            prev = close;
        }

        rows.Reverse();
        return rows;
    }

    private static string Signed(decimal price, decimal previousClose) =>
        (price > previousClose ? "+" : price < previousClose ? "-" : "") + price.ToString(CultureInfo.InvariantCulture);

    public static Dictionary<StockCode, Stock> Master() => new()
    {
        [Samsung] = new Stock(Samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11)),
    };
}
