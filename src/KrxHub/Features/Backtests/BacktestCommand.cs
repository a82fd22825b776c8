using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using Spectre.Console;

namespace KrxHub.Features.Backtests;

/// <summary>`krxhub backtest`: runs a strategy on stored bars and prints a summary; --out writes the result JSON.</summary>
public static class BacktestCommand
{
    public static Command Create()
    {
        var strategy = new Option<string>("--strategy") { Description = $"Strategy: {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}", Required = true };
        var param = new Option<string[]>("--param") { Description = "Strategy parameter key=value (repeatable), e.g. --param fast=5 --param slow=20", AllowMultipleArgumentsPerToken = false };
        var codes = new Option<string[]>("--codes") { Description = "Stock codes (space- or comma-separated), or ALL for every stock of the universe", Required = true, AllowMultipleArgumentsPerToken = true };
        var from = new Option<string>("--from") { Description = "First session traded, yyyy-MM-dd (indicators warm up on earlier stored bars)", Required = true };
        var to = new Option<string>("--to") { Description = "Last date; equity is marked at the close of the last session on or before it", Required = true };
        var cash = new Option<string?>("--cash") { Description = "Initial cash in KRW (default 100000000)" };
        var fill = new Option<string?>("--fill") { Description = "close (default: the signal session's close) or next-open" };
        var commission = new Option<string?>("--commission") { Description = "Commission rate on each side (default 0.00015)" };
        var sellTax = new Option<string?>("--sell-tax") { Description = "Flat sell-tax rate; default: the dated KRX table by market and settlement date" };
        var slippage = new Option<string?>("--slippage-ticks") { Description = "Ticks of slippage against each fill (default 0)" };
        var basis = new Option<string?>("--basis") { Description = "adjusted (default) or raw; never mixed" };
        var market = new Option<string?>("--market") { Description = "Limit the universe to KOSPI, KOSDAQ or KONEX (from the stock master)" };
        var benchmark = new Option<string?>("--benchmark") { Description = "Measure the run against an index over the same sessions: KOSPI, KOSDAQ or KOSPI200 (or a KRX index code)" };
        var output = new Option<string?>("--out") { Description = "Write { \"metrics\", \"trades\", \"equity\" } as JSON to this file" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress display" };

        var command = new Command("backtest", """
            Run a strategy bar by bar over the KRX calendar on stored daily bars, with KRX-true fills (limit locks,
            halts, whole shares, dated sell tax) and print its statistics.

            Examples:
              krxhub backtest --strategy sma-cross --param fast=5 --param slow=20 --codes 005930 --from 2024-01-02 --to 2025-06-16
              krxhub backtest --strategy sma-cross --codes ALL --from 2024-01-02 --to 2025-06-16 --out all.json
              krxhub backtest --strategy momentum-topn --param lookback=60 --param n=10 --codes ALL --market KOSPI --from 2024-03-04 --to 2025-06-16 --fill next-open
              krxhub backtest --strategy rsi-reversion --param period=14 --param low=30 --param high=70 --codes 000660 --from 2024-01-02 --to 2025-06-16 --sell-tax 0.0018
              krxhub backtest --strategy buy-and-hold --codes 005930 --from 2024-01-02 --to 2025-06-16 --basis raw
              krxhub backtest --strategy sma-cross --codes 005930 --from 2024-01-02 --to 2025-06-16 --benchmark KOSPI
            """);
        foreach (var option in new Option[] { strategy, param, codes, from, to, cash, fill, commission, sellTax, slippage, basis, market, benchmark, output, quiet, CalendarFiles.ExtensionFile })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in parse.GetValue(param) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new CliException($"--param '{pair}': expected key=value, e.g. fast=5");
                }

                parameters[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }

            var request = new BacktestRequest(
                parse.GetValue(strategy),
                parameters,
                parse.GetValue(codes),
                parse.GetValue(from),
                parse.GetValue(to),
                Decimal(parse.GetValue(cash), "--cash"),
                parse.GetValue(fill),
                Decimal(parse.GetValue(commission), "--commission"),
                Decimal(parse.GetValue(sellTax), "--sell-tax"),
                Int(parse.GetValue(slippage), "--slippage-ticks"),
                parse.GetValue(basis),
                parse.GetValue(market),
                parse.GetValue(benchmark));

            var calendar = CalendarFiles.Load(parse);
            var plan = BacktestPlan.TryCreate(request, calendar, out var problem)
                ?? throw new CliException(problem!.Message.StartsWith("--", StringComparison.Ordinal) ? problem.Message : $"--{Kebab(problem.Field)}: {problem.Message}");

            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var runner = new BacktestRunner(store, calendar, TimeProvider.System);
            BacktestOutcome outcome;
            try
            {
                outcome = await WithProgressAsync(!parse.GetValue(quiet), plan, p => runner.RunAsync(plan, p, ct));
            }
            catch (BacktestDataException e)
            {
                throw new CliException(e.Message);
            }

            PrintSummary(outcome);
            if (parse.GetValue(output) is { } path)
            {
                await using var file = File.Create(path);
                await JsonSerializer.SerializeAsync(file, BacktestDocument.From(outcome), BacktestDocument.Options, ct);
                Console.WriteLine($"wrote {path}");
            }

            return 0;
        }));
        return command;
    }

    private static async Task<BacktestOutcome> WithProgressAsync(bool show, BacktestPlan plan, Func<Action<double>?, Task<BacktestOutcome>> work)
    {
        if (!show || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await work(null);
        }

        BacktestOutcome outcome = null!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape($"backtest {plan.Strategy.Name}"), maxValue: 1.0);
                outcome = await work(p => task.Value = p);
                task.Value = 1.0;
            });
        return outcome;
    }

    private static void PrintSummary(BacktestOutcome outcome)
    {
        var plan = outcome.Plan;
        var s = plan.Settings;
        Console.WriteLine(Invariant($"{plan.Strategy.Name} {string.Join(' ', plan.Params.Select(p => $"{p.Key}={p.Value}"))} on {(plan.AllCodes ? "ALL" : string.Join(',', plan.Codes!))}{(plan.Market is { } market ? " (" + market.Name() + ")" : string.Empty)}, {s.From:yyyy-MM-dd}..{s.To:yyyy-MM-dd}, {s.Basis.Name()} bars, fill {s.Fill.Name()}, commission {s.Commission}, sell tax {(s.SellTax is { } t ? t.ToString(CultureInfo.InvariantCulture) : "dated KRX table")}"));
        Console.WriteLine(Invariant($"{outcome.BarsLoaded:N0} bars loaded in {outcome.LoadTime.TotalMilliseconds:F0} ms, simulated in {outcome.RunTime.TotalMilliseconds:F0} ms"));
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        if (outcome.Single is { } single)
        {
            var m = single.Metrics;
            table.AddRow("sessions", Invariant($"{m.Sessions:N0} ({m.FirstSession:yyyy-MM-dd}..{m.LastSession:yyyy-MM-dd})"));
            table.AddRow("initial cash", Invariant($"{m.InitialCash:N0}"));
            table.AddRow("final equity", Invariant($"{m.FinalEquity:N0}"));
            table.AddRow("total return", Percent(m.TotalReturn));
            table.AddRow("CAGR", Percent(m.Cagr));
            table.AddRow("volatility (ann.)", Percent(m.Volatility));
            table.AddRow("Sharpe", Number(m.Sharpe));
            table.AddRow("Sortino", Number(m.Sortino));
            table.AddRow("max drawdown", Invariant($"{Percent(m.MaxDrawdown)} ({m.MaxDrawdownPeak:yyyy-MM-dd} → {m.MaxDrawdownTrough:yyyy-MM-dd})"));
            table.AddRow("trades / round trips", Invariant($"{m.Trades} / {m.RoundTrips}"));
            table.AddRow("win rate", Percent(m.WinRate));
            table.AddRow("turnover", Number(m.Turnover));
            table.AddRow("exposure", Percent(m.Exposure));
            table.AddRow("orders not filled", Invariant($"{m.RejectedOrders}"));
        }
        else
        {
            var d = BacktestDocument.Distribution(outcome.Runs!);
            table.AddRow("stocks (traded)", Invariant($"{d.Stocks:N0} ({d.StocksTraded:N0})"));
            table.AddRow("trades", Invariant($"{d.Trades:N0}"));
            table.AddRow("mean / median return", $"{Percent(d.MeanReturn)} / {Percent(d.MedianReturn)}");
            table.AddRow("p10 / p25 / p75 / p90", $"{Percent(d.P10Return)} / {Percent(d.P25Return)} / {Percent(d.P75Return)} / {Percent(d.P90Return)}");
            table.AddRow("min / max return", $"{Percent(d.MinReturn)} ({d.WorstCode}) / {Percent(d.MaxReturn)} ({d.BestCode})");
            table.AddRow("profitable", Percent(d.ShareProfitable));
            table.AddRow("median Sharpe", Number(d.MedianSharpe));
            table.AddRow("median max drawdown", Percent(d.MedianMaxDrawdown));
            table.AddRow("total equity", Invariant($"{d.InitialCash:N0} → {d.FinalEquity:N0}"));
        }

        var gaps = outcome.Single?.DataGaps ?? DataGaps.Combine(outcome.Runs!.Select(r => r.Result.DataGaps));
        table.AddRow("data gaps (stock sessions without a bar)", gaps.Count == 0 ? "0" : Invariant(
            $"{gaps.Count:N0} (first: {string.Join(", ", gaps.First.Take(3).Select(g => Invariant($"{g.Code} {g.Date:yyyy-MM-dd}")))})"));
        if (outcome.Benchmark is { } b)
        {
            table.AddRow(Invariant($"benchmark {b.Name} ({b.Index})"), Invariant($"{b.BaseLevel} ({b.BaseDate:yyyy-MM-dd}) → {b.FinalLevel}"));
            table.AddRow("  total return", Percent(b.TotalReturn));
            table.AddRow("  CAGR", Percent(b.Cagr));
            table.AddRow("  max drawdown", Invariant($"{Percent(b.MaxDrawdown)} ({b.MaxDrawdownPeak:yyyy-MM-dd} → {b.MaxDrawdownTrough:yyyy-MM-dd})"));
            table.AddRow("  beta", Number(b.Beta));
            table.AddRow("  alpha (daily / annualised)", $"{Percent(b.AlphaDaily)} / {Percent(b.AlphaAnnualised)}");
            table.AddRow("  tracking error (ann.)", Percent(b.TrackingError));
            table.AddRow("  information ratio", Number(b.InformationRatio));
            if (b.SessionsWithoutLevel > 0)
            {
                table.AddRow("  sessions without an index close", Invariant($"{b.SessionsWithoutLevel}"));
            }
        }

        AnsiConsole.Write(table);
    }

    private static string Percent(double? value) => value is { } v ? Invariant($"{v * 100:F2} %") : "-";

    private static string Number(double? value) => value is { } v ? Invariant($"{v:F3}") : "-";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static decimal? Decimal(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return decimal.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CliException($"{name} '{text}' is not a number");
    }

    private static int? Int(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CliException($"{name} '{text}' is not a whole number");
    }

    private static string Kebab(string field) => string.Concat(field.Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
}
