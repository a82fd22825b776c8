using System.Globalization;
using System.Text.RegularExpressions;
using KrxHub.Features.Import;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using static KrxHub.Bench.BenchSupport;

namespace KrxHub.Bench;

/// <summary>
/// GET /api/stocks/005930/bars for one year under wrk (64 connections, loopback) against a trivial endpoint
/// of the same process, alternating, several runs each.
/// </summary>
internal static partial class QueryBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = IntOption(args, "--seconds", 10);
        var runs = IntOption(args, "--runs", 3);
        var dir = StringOption(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "krxhub-bench-query");
        var store = MarketStore.Open(null, dir);
        await store.MigrateAsync(CancellationToken.None);
        var calendar = BundledData.LoadCalendar();
        await BundledLoader.LoadMissingAsync(store, calendar, TimeProvider.System, showProgress: false, CancellationToken.None);

        var app = HubApp.Build(new HubOptions(new StoreLocation(dir, null), "http://127.0.0.1:0", false), store, calendar);
        app.MapGet("/bench/trivial", () => TypedResults.Ok(new { ok = true }));
        // --ceiling: the same bytes as the bars response, from a static array (what moving them costs, no hub code).
        var ceilingBody = Array.Empty<byte>();
        app.MapGet("/bench/static", () => TypedResults.Bytes(ceilingBody, "application/json; charset=utf-8"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bars = $"{address}/api/stocks/005930/bars?from=2024-06-01&to=2025-05-31";
        var trivial = $"{address}/bench/trivial";

        var endpoints = new List<(string Name, string Url)> { ("trivial", trivial), ("bars", bars) };
        if (args.Contains("--ceiling"))
        {
            using var http = new HttpClient();
            ceilingBody = await http.GetByteArrayAsync(bars);
            if (int.TryParse(Environment.GetEnvironmentVariable("KRXHUB_BENCH_CEILING_BYTES"), out var size))
            {
                ceilingBody = ceilingBody[..Math.Min(size, ceilingBody.Length)];
            }
            endpoints.Add(("static", $"{address}/bench/static"));
        }

        // --accept-encoding gzip: every request says what browsers and `curl --compressed` say (not the target's setup).
        var acceptEncoding = StringOption(args, "--accept-encoding");
        var header = acceptEncoding is null ? string.Empty : $"-H \"Accept-Encoding: {acceptEncoding}\" ";
        var results = endpoints.ToDictionary(e => e.Name, _ => new List<(double Rps, double P99Ms)>());
        for (var run = 1; run <= runs; run++)
        {
            foreach (var (name, url) in endpoints)
            {
                var (_, output) = RunProcess("wrk", $"-t2 -c64 -d{seconds}s --latency {header}{url}");
                var rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
                var p99 = ToMs(P99().Match(output).Groups[1].Value, P99().Match(output).Groups[2].Value);
                results[name].Add((rps, p99));
                Print(new { bench = "query", run, endpoint = name, requestsPerSecond = rps, p99Ms = p99 });
            }
        }

        var barsRps = Median(results["bars"].Select(r => r.Rps));
        var trivialRps = Median(results["trivial"].Select(r => r.Rps));
        var barsP99 = Median(results["bars"].Select(r => r.P99Ms));
        Print(new
        {
            bench = "query",
            summary = true,
            acceptEncoding,
            rowsPerResponse = (await store.GetBarsAsync(Core.StockCode.Parse("005930"), new DateOnly(2024, 6, 1), new DateOnly(2025, 5, 31), Core.PriceBasis.Adjusted, CancellationToken.None)).Count,
            barsMedianRps = barsRps,
            trivialMedianRps = trivialRps,
            ratioToTrivial = Math.Round(barsRps / trivialRps, 3),
            barsMedianP99Ms = barsP99,
            target = ">= 0.5x trivial rps, p99 < 5 ms",
            met = barsRps / trivialRps >= 0.5 && barsP99 < 5,
        });
        if (results.TryGetValue("static", out var ceiling))
        {
            Print(new
            {
                bench = "query",
                ceiling = true,
                staticMedianRps = Median(ceiling.Select(r => r.Rps)),
                staticMedianP99Ms = Median(ceiling.Select(r => r.P99Ms)),
                ratioToTrivial = Math.Round(Median(ceiling.Select(r => r.Rps)) / trivialRps, 3),
            });
        }

        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }

    private static double ToMs(string value, string unit)
    {
        var v = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch { "us" => v / 1000, "ms" => v, "s" => v * 1000, _ => v };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"99%\s+([\d.]+)(us|ms|s)")]
    private static partial Regex P99();
}
