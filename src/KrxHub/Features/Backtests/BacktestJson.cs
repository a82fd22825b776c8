using System.Text.Json;
using System.Text.Json.Serialization;
using KrxHub.Core;
using KrxHub.Core.Backtesting;

namespace KrxHub.Features.Backtests;

public sealed record TradeDto(DateOnly Date, string Code, string Side, decimal Price, long Quantity, decimal Commission, decimal Tax, string? Note);

public sealed record EquityDto(DateOnly Date, decimal Equity, decimal Cash);

/// <summary>One stock's line in a distribution.</summary>
public sealed record StockRunDto(string Code, string Name, string Market, BacktestMetrics Metrics);

/// <summary>Distribution of independent per-stock runs (--codes ALL or several codes).</summary>
public sealed record DistributionMetrics(
    int Stocks,
    int StocksTraded,
    int Trades,
    decimal InitialCash,
    decimal FinalEquity,
    double MeanReturn,
    double MedianReturn,
    double P10Return,
    double P25Return,
    double P75Return,
    double P90Return,
    double MinReturn,
    double MaxReturn,
    double ShareProfitable,
    double? MedianSharpe,
    double MedianMaxDrawdown,
    string BestCode,
    string WorstCode);

/// <summary>
/// The result document: { "metrics", "trades", "equity" } for one run; a distribution adds "runs" (one line per
/// stock), its trades carry their codes and its equity is the sum of the per-stock accounts.
/// </summary>
public sealed record BacktestDocument(
    object Metrics,
    IReadOnlyList<TradeDto> Trades,
    IReadOnlyList<EquityDto> Equity,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<StockRunDto>? Runs = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BenchmarkMetrics? Benchmark = null)
{
    /// <summary>Sessions inside a stock's data with no bar (count, and the first few stock/date pairs).</summary>
    public DataGapsDto DataGaps { get; init; } = DataGapsDto.From(Core.Backtesting.DataGaps.None);

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static BacktestDocument From(BacktestOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome.Single is { } single)
        {
            return new BacktestDocument(single.Metrics, TradeDtos(single.Trades), EquityDtos(single.Equity), Benchmark: outcome.Benchmark) { DataGaps = DataGapsDto.From(single.DataGaps) };
        }

        var runs = outcome.Runs!;
        return new BacktestDocument(
            Distribution(runs),
            TradeDtos(runs.SelectMany(r => r.Result.Trades)),
            EquityDtos(outcome.Curve().Equity),
            [.. runs.Select(r => new StockRunDto(r.Code.Value, r.Name, r.Market.Name(), r.Result.Metrics))],
            outcome.Benchmark)
        {
            DataGaps = DataGapsDto.From(Core.Backtesting.DataGaps.Combine(runs.Select(r => r.Result.DataGaps))),
        };
    }

    public static DistributionMetrics Distribution(IReadOnlyList<StockRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var returns = runs.Select(r => r.Result.Metrics.TotalReturn).Order().ToArray();
        var sharpes = runs.Select(r => r.Result.Metrics.Sharpe).OfType<double>().Order().ToArray();
        var best = runs.MaxBy(r => r.Result.Metrics.TotalReturn)!;
        var worst = runs.MinBy(r => r.Result.Metrics.TotalReturn)!;
        return new DistributionMetrics(
            runs.Count,
            runs.Count(r => r.Result.Trades.Count > 0),
            runs.Sum(r => r.Result.Trades.Count),
            runs.Sum(r => r.Result.Metrics.InitialCash),
            runs.Sum(r => r.Result.Metrics.FinalEquity),
            returns.Average(),
            Quantile(returns, 0.5),
            Quantile(returns, 0.1),
            Quantile(returns, 0.25),
            Quantile(returns, 0.75),
            Quantile(returns, 0.9),
            returns[0],
            returns[^1],
            returns.Count(r => r > 0) / (double)returns.Length,
            sharpes.Length > 0 ? Quantile(sharpes, 0.5) : null,
            Quantile([.. runs.Select(r => r.Result.Metrics.MaxDrawdown).Order()], 0.5),
            best.Code.Value,
            worst.Code.Value);
    }

    /// <summary>Linear interpolation between closest ranks (the common "type 7" quantile) of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    private static TradeDto[] TradeDtos(IEnumerable<Trade> trades) =>
        [.. trades.Select(t => new TradeDto(t.Date, t.Code.Value, t.Side == TradeSide.Buy ? "buy" : "sell", t.Price, t.Quantity, t.Commission, t.Tax, t.Note))];

    private static EquityDto[] EquityDtos(IEnumerable<EquityPoint> points) => [.. points.Select(p => new EquityDto(p.Date, p.Equity, p.Cash))];
}

public sealed record DataGapDto(string Code, DateOnly Date);

/// <summary>The result's <c>dataGaps</c>: how many (stock, session) pairs had no bar inside the stock's data, and the first few.</summary>
public sealed record DataGapsDto(int Count, IReadOnlyList<DataGapDto> First)
{
    public static DataGapsDto From(Core.Backtesting.DataGaps gaps)
    {
        ArgumentNullException.ThrowIfNull(gaps);
        return new DataGapsDto(gaps.Count, [.. gaps.First.Select(g => new DataGapDto(g.Code.Value, g.Date))]);
    }
}
