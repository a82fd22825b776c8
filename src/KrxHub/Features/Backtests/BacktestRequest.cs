using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Backtesting;
using KrxHub.Core.Indices;

namespace KrxHub.Features.Backtests;

/// <summary>
/// A backtest as asked for, by the CLI (`krxhub backtest`) or the API (`POST /api/backtests`), before validation.
/// <see cref="Codes"/> ["ALL"] means every stock of the universe (optionally of one <see cref="Market"/>).
/// </summary>
public sealed record BacktestRequest(
    string? Strategy,
    IReadOnlyDictionary<string, string>? Params,
    IReadOnlyList<string>? Codes,
    string? From,
    string? To,
    decimal? Cash = null,
    string? Fill = null,
    decimal? Commission = null,
    decimal? SellTax = null,
    int? SlippageTicks = null,
    string? Basis = null,
    string? Market = null,
    string? Benchmark = null);

/// <summary>A bad request field: its name (as the CLI option or JSON property) and a one-line reason.</summary>
public sealed record BacktestProblem(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>A validated backtest: what to run, on which stocks, with which settings.</summary>
public sealed record BacktestPlan(
    StrategyInfo Strategy,
    IReadOnlyDictionary<string, string> Params,
    Func<StockCode, Strategy> Factory,
    IReadOnlyList<StockCode>? Codes,
    Market? Market,
    BacktestSettings Settings)
{
    /// <summary>The index the run is measured against (KOSPI, KOSDAQ, KOSPI 200), or null.</summary>
    public KrxIndex? Benchmark { get; init; }

    public const decimal DefaultCash = 100_000_000m;

    public bool AllCodes => Codes is null;

    /// <summary>Validates a request against the calendar; returns the plan or the first problem.</summary>
    public static BacktestPlan? TryCreate(BacktestRequest request, KrxCalendar calendar, out BacktestProblem? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(calendar);
        problem = null;
        if (string.IsNullOrWhiteSpace(request.Strategy))
        {
            problem = new("strategy", $"required; one of {string.Join(", ", StrategyCatalog.All.Select(s => s.Name))}");
            return null;
        }

        var parameters = request.Params ?? new Dictionary<string, string>();
        if (StrategyCatalog.TryCreateFactory(request.Strategy.Trim(), parameters, out var factory) is { } strategyError)
        {
            problem = new(strategyError.StartsWith("--param", StringComparison.Ordinal) ? "param" : "strategy", strategyError);
            return null;
        }

        var info = StrategyCatalog.Find(request.Strategy.Trim())!;
        if (request.Codes is null || request.Codes.Count == 0 || request.Codes.All(string.IsNullOrWhiteSpace))
        {
            problem = new("codes", "required: one or more stock codes (e.g. 005930), or ALL");
            return null;
        }

        List<StockCode>? codes = null;
        var texts = request.Codes.SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (!(texts.Length == 1 && texts[0].Equals("ALL", StringComparison.OrdinalIgnoreCase)))
        {
            codes = [];
            foreach (var text in texts)
            {
                if (!StockCode.TryParse(text, out var code, out var error))
                {
                    problem = new("codes", error);
                    return null;
                }

                if (!codes.Contains(code))
                {
                    codes.Add(code);
                }
            }
        }

        if (!TryDate(request.From, "from", out var from, out problem) || !TryDate(request.To, "to", out var to, out problem))
        {
            return null;
        }

        if (to < from)
        {
            problem = new("to", $"{to:yyyy-MM-dd} is before from {from:yyyy-MM-dd}");
            return null;
        }

        if (from < calendar.FirstSession || to > calendar.LastSession)
        {
            problem = new(from < calendar.FirstSession ? "from" : "to", $"the KRX calendar covers {calendar.FirstSession:yyyy-MM-dd}..{calendar.LastSession:yyyy-MM-dd}");
            return null;
        }

        var fill = FillModel.Close;
        if (request.Fill is not null && !FillModels.TryParse(request.Fill, out fill))
        {
            problem = new("fill", $"'{request.Fill}' is not a fill model; use close or next-open");
            return null;
        }

        var basis = PriceBasis.Adjusted;
        if (request.Basis is not null && !PriceBases.TryParse(request.Basis, out basis))
        {
            problem = new("basis", $"'{request.Basis}' is not a price basis; use adjusted or raw");
            return null;
        }

        Market? market = null;
        if (!string.IsNullOrWhiteSpace(request.Market) && !request.Market.Trim().Equals("ALL", StringComparison.OrdinalIgnoreCase))
        {
            if (!Markets.TryParse(request.Market, out var m))
            {
                problem = new("market", $"'{request.Market}' is not a market; use KOSPI, KOSDAQ, KONEX or ALL");
                return null;
            }

            market = m;
        }

        var settings = new BacktestSettings(
            from,
            to,
            request.Cash ?? DefaultCash,
            fill,
            request.Commission ?? BacktestSettings.DefaultCommission,
            request.SellTax,
            request.SlippageTicks ?? 0,
            basis);
        if (settings.Validate() is { } settingsError)
        {
            var field = settingsError.Split(' ')[0].TrimStart('-') switch
            {
                "sell-tax" => "sellTax",
                "slippage-ticks" => "slippageTicks",
                var other => other,
            };
            problem = new(field, settingsError[(settingsError.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
            return null;
        }

        KrxIndex? benchmark = null;
        if (!string.IsNullOrWhiteSpace(request.Benchmark))
        {
            if (!KrxIndex.TryParse(request.Benchmark, out var index))
            {
                problem = new("benchmark", $"{KrxIndex.Explain(request.Benchmark)}");
                return null;
            }

            benchmark = index;
        }

        var effective = new Dictionary<string, string>(info.Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in parameters)
        {
            effective[key] = value;
        }

        return new BacktestPlan(info, effective, factory!, codes, market, settings) { Benchmark = benchmark };
    }

    private static bool TryDate(string? text, string field, out DateOnly date, out BacktestProblem? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            date = default;
            problem = new(field, "required, yyyy-MM-dd");
            return false;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return true;
        }

        problem = new(field, $"'{text}' is not a date; use yyyy-MM-dd");
        return false;
    }
}
