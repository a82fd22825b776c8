using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Features.Rankings;
using KrxHub.Shared;
using KrxHub.Sources.Kiwoom;
using KrxHub.Sources.Simulation;
using KrxHub.Storage;

namespace KrxHub.Features.Live;

public static class LiveSetup
{
    /// <summary>
    /// The live side: the bus, ranking pushes, session phases, the minute-bar recorder, the live source (elected, one node
    /// per store) and, on PostgreSQL, the LISTEN/NOTIFY backplane to the other nodes.
    /// </summary>
    public static IServiceCollection AddLive(this IServiceCollection services, HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A replay is not recorded again, and its trades do not become stored minute bars (the day's are stored already).
        var live = options.Replay is null ? options.Live : options.Live with { RecordEvents = false, RecordMinuteBars = false };
        options = options with { Live = live };
        services.AddSingleton(options);
        services.AddSingleton(options.Live);
        services.AddSingleton<StoredQuotes>();
        services.AddSingleton<LiveBus>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveBus>());
        services.AddSingleton<RankingPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<RankingPublisher>());
        services.AddSingleton<LiveSubscriptions>();
        services.AddHostedService<LiveSendPacer>();
        services.AddHostedService<SessionBroadcaster>();
        services.AddSingleton<MinuteBarRecorder>();
        services.AddSingleton<Replay.EventRecorder>();
        if (options.Store.Database is { } database)
        {
            services.AddSingleton(sp => new PostgresBackplane(database, sp.GetRequiredService<LiveBus>(), sp.GetRequiredService<LiveSubscriptions>(), options.Live,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PostgresBackplane>>()));
            services.AddHostedService(sp => sp.GetRequiredService<PostgresBackplane>());
        }

        // One Kiwoom feed per process, restarted by the runner after a failure: the condition search uses the same socket.
        if (options is { LiveFeed: null, Settings.Kiwoom: { } kiwoomOptions })
        {
            services.AddSingleton(sp => KiwoomFeed(sp, kiwoomOptions));
        }

        services.AddSingleton<LiveFeedFactory>(sp => options switch
        {
            { Replay: { } replay } => _ => Task.FromResult<ILiveFeed?>(new Replay.RecordingPlayer(replay, sp.GetRequiredService<LiveBus>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Replay.RecordingPlayer>>())),
            { LiveFeed: { } injected } => _ => Task.FromResult<ILiveFeed?>(injected),
            { Settings.Kiwoom: not null } => _ => Task.FromResult<ILiveFeed?>(sp.GetRequiredService<KiwoomLiveFeed>()),
            _ => ct => SimulatedExchangeAsync(sp, options, ct),
        });
        services.AddHostedService(sp => new LiveSourceRunner(
            sp.GetRequiredService<LiveFeedFactory>(),
            sp.GetRequiredService<LiveBus>(),
            sp.GetRequiredService<LiveSubscriptions>(),
            sp.GetRequiredService<Storage.MarketStore>(),
            sp.GetRequiredService<MinuteBarRecorder>(),
            sp.GetRequiredService<Replay.EventRecorder>(),
            sp.GetRequiredService<TimeProvider>(),
            options.Live,
            sp.GetRequiredService<ILogger<LiveSourceRunner>>(),
            sp.GetService<PostgresBackplane>()));
        return services;
    }

    /// <summary>True when the live source is the simulator in its always-open demo mode (the session channel says so).</summary>
    public static bool IsAlwaysOpenDemo(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.LiveFeed is null && options.Replay is null && options.Settings.Kiwoom is null && options.Simulator.AlwaysOpen;
    }

    /// <summary>With Kiwoom keys: Kiwoom's real-time WebSocket, logged in with the token of the hub's one Kiwoom REST client.</summary>
    private static KiwoomLiveFeed KiwoomFeed(IServiceProvider services, KiwoomOptions options)
    {
        var client = services.GetRequiredService<KiwoomClient>();
        return new KiwoomLiveFeed(options, client.GetAccessTokenAsync, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<KiwoomLiveFeed>>());
    }

    /// <summary>
    /// The default live source without broker keys: the simulated exchange over the stock master, each listed stock starting
    /// from its newest stored close of either basis (raw where both have the date). Null (no live source) when no close is stored yet.
    /// </summary>
    private static async Task<ILiveFeed?> SimulatedExchangeAsync(IServiceProvider services, HubOptions options, CancellationToken ct)
    {
        var store = services.GetRequiredService<MarketStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("KrxHub.Live.Simulator");
        var listed = (await store.GetAllStocksAsync(ct)).Where(s => s.DelistingDate is null).ToList();
        var tomorrow = KrxCalendar.KstDate(time.GetUtcNow()).AddDays(1);
        // The newest stored price of each stock, on either basis: a session's adjusted close is its raw close unless a
        // corporate action followed it, and the adjusted history usually reaches further than the raw one.
        var closes = await store.GetLastClosesBeforeAsync(listed.ToDictionary(s => s.Code, _ => tomorrow), null, ct);
        if (closes.Count == 0)
        {
            logger.LogWarning("no live source: the simulated exchange needs stored daily closes (import data first)");
            return null;
        }

        foreach (var group in closes.Values.GroupBy(c => (c.Basis, c.Date)).OrderByDescending(g => g.Count()).Take(3))
        {
            logger.LogInformation("simulated exchange: {Count} stocks start from their {Basis} close of {Date}",
                group.Count(), group.Key.Basis.Name(), group.Key.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }

        var liquidity = await AverageDailyValuesAsync(store, tomorrow, ct);
        var exchange = new SimulatedExchange(listed, closes.ToDictionary(kv => kv.Key, kv => kv.Value.Close),
            new KrxSessionClock(services.GetRequiredService<KrxCalendar>()), time, options.Simulator, liquidity.Values);
        var samsung = StockCode.Parse("005930");
        logger.LogInformation("simulated exchange: {Count} stocks{Mode}, seed {Seed}; trade rates follow the average daily trading value of {Sessions} stored sessions to {Last} (005930: {Share:P2} of trades, about {Rate:0.#}/s)",
            exchange.Codes.Count, options.Simulator.AlwaysOpen ? " in an always-open demo session" : " following the KRX calendar",
            options.Simulator.Seed, liquidity.Sessions, liquidity.Last?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), exchange.TradeShare(samsung), exchange.TradeShare(samsung) * options.Simulator.TradesPerSecond);

        // KOSPI and KOSDAQ from the simulator's own prices, scaled to the indices' last stored closes.
        var lastCloses = (await store.GetStoredIndicesAsync(ct)).ToDictionary(i => i.IndexCode, i => i.LastClose);
        var indices = SimulatedIndexFeed.MarketIndices(listed, closes.ToDictionary(kv => kv.Key, kv => kv.Value.Close), lastCloses, KrxCalendar.KstDate(time.GetUtcNow()));
        foreach (var index in indices)
        {
            logger.LogInformation("simulated index {Index}: {Count} stocks, cap-weighted from the stored close {Close}", index.IndexCode, index.Constituents, index.PreviousClose);
        }

        return indices.Count > 0 ? new SimulatedIndexFeed(exchange, indices) : exchange;
    }

    /// <summary>How many stored sessions the simulator's trade rates average over.</summary>
    private const int LiquiditySessions = 20;

    /// <summary>
    /// Each stock's average daily trading value over the last stored sessions (either basis): the KRX trading value where
    /// stored, else close × volume. Null when the store holds no bars.
    /// </summary>
    private static async Task<(IReadOnlyDictionary<StockCode, decimal>? Values, int Sessions, DateOnly? Last)> AverageDailyValuesAsync(
        MarketStore store, DateOnly before, CancellationToken ct)
    {
        var dates = await store.GetDatesWithBarsAsync(new DateOnly(1986, 1, 1), before.AddDays(-1), ct);
        var recent = dates.Order().TakeLast(LiquiditySessions).ToList();
        if (recent.Count == 0)
        {
            return (null, 0, null);
        }

        var sums = new Dictionary<StockCode, (decimal Sum, int Days)>();
        foreach (var date in recent)
        {
            // One value per stock and day: the raw bar's trading value wins over an adjusted bar's close × volume.
            foreach (var bar in (await store.GetBarsOnDateAsync(date, null, null, ct)).OrderBy(b => b.Basis == PriceBasis.Raw ? 0 : 1).DistinctBy(b => b.Code))
            {
                var value = bar.NoTrade ? 0m : bar.TradingValue ?? bar.Close * bar.Volume;
                var (sum, days) = sums.GetValueOrDefault(bar.Code);
                sums[bar.Code] = (sum + value, days + 1);
            }
        }

        return (sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Days), recent.Count, recent[^1]);
    }
}
