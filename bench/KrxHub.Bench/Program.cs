using KrxHub.Bench;

// Benchmarks print one JSON line per measurement (medians over several runs, with a same-run baseline).
var which = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
return which switch
{
    "import-sqlite" => await ImportBench.SqliteAsync(rest),
    "import-postgres" => await ImportBench.PostgresAsync(rest),
    "query" => await QueryBench.RunAsync(rest),
    "import-phases" => await PhaseBench.RunAsync(rest),
    "gc-probe" => await GcProbe.RunAsync(rest),
    "backtest" => await BacktestBench.RunAsync(rest),
    "simulator" => SimulatorBench.Run(rest),
    "collect-eod" => await CollectBench.RunAsync(rest),
    "ws" => await WsBench.RunAsync(rest),
    "ws-server" => await WsBench.ServeAsync(rest),
    "ws-soak" => await WsSoak.RunAsync(rest),
    "dashboard" => await DashboardBench.RunAsync(rest),
    "conditions" => await ConditionsBench.RunAsync(rest),
    "on-tick" => await OnTickBench.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project bench/KrxHub.Bench -- <benchmark> [options]
          import-sqlite   [--runs 3]                       986k-bar import vs sqlite3 .import
          import-postgres --database <conn> [--runs 3]    986k-bar import vs psql \copy
          import-phases   [--runs 3] [--database <conn>]  read / validate / stage / promote separately (SQLite, or PostgreSQL)
          query           [--seconds 10] [--runs 3]       GET /api/stocks/005930/bars (1 year) vs a trivial endpoint under wrk -c64
                          [--ceiling]                      also the same bytes from a static array (what moving them costs)
                          [--accept-encoding gzip]         send Accept-Encoding on every request
          backtest        [--runs 5] [--data-dir <dir>]    sma-cross on ALL stocks (986k bars from SQLite) and on 005930 over ten years
          simulator       [--runs 5] [--seconds 10] [--rate 20000]  simulated exchange: ticks and books per core-second, synchronous
          collect-eod     [--stocks 2800] [--rate 5] [--runs 5] [--baseline-requests 100]
                                                           end-of-day collection (ka10081 + ka10059 per stock) against the fake
                                                           Kiwoom server at the limit, vs the limiter alone; pipeline cost per row
          ws              [--clients 1000] [--ticks 20000] [--seconds 60] [--warmup 20] [--codes 20] [--runs 1] [--no-baseline]
                                                           /ws fan-out: N clients (20 codes + 1 ranking each), T ticks/s for D s,
                                                           latency, coalescing, starvation, server CPU and RSS; vs a bare fan-out
          ws-soak         --url <hub> [--pid <hub pid>] [--clients 1000] [--seconds 600] [--report 30] [--codes 005930,…] [--key <key>]
                                                           a running hub's /ws soaked: N clients (ticks of 5 codes + 1 ranking each) for
                                                           D s; connected, messages/s, errors and the hub's RSS every 30 s (bench/load-ws.sh)
          dashboard       [--url http://127.0.0.1:5080] [--runs 5] [--seconds 60] [--only js|first-load|long-tasks|chart|backtest]
                                                           the dashboard in /usr/bin/chromium against a running hub: first load,
                                                           gzipped JS, long tasks while the top 20 updates, 10-year chart, backtest ALL
          conditions      [--cycles 200] [--data-dir <dir>] [--each] [--stored]
                                                           20 conditions over the whole universe per live cycle (p50/p99) while the
                                                           simulator trades 20,000/s, vs one trivial one; --stored: on a stored session
          on-tick         [--flips 200] [--rate 20000] [--data-dir <dir>]
                                                           a trade that makes a stock match an on-tick condition until its webhook
                                                           POST arrives on loopback (p50/p99), other stocks trading at --rate/s
        """);
    return 2;
}
