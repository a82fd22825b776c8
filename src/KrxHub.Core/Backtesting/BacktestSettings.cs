namespace KrxHub.Core.Backtesting;

/// <summary>When an order placed on session t fills.</summary>
public enum FillModel
{
    /// <summary>At the close of the signal session t.</summary>
    Close,

    /// <summary>At the open of the next KRX session; cancelled when the stock has no tradable bar then.</summary>
    NextOpen,
}

public static class FillModels
{
    public static bool TryParse(string? text, out FillModel fill)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "close":
                fill = FillModel.Close;
                return true;
            case "next-open" or "nextopen":
                fill = FillModel.NextOpen;
                return true;
            default:
                fill = default;
                return false;
        }
    }

    public static string Name(this FillModel fill) => fill == FillModel.Close ? "close" : "next-open";
}

/// <summary>
/// One backtest's parameters. Money is KRW. <see cref="SellTax"/> null means the dated KRX table
/// (<see cref="TransactionTax"/>) by trade date and market; a value overrides it flat.
/// </summary>
public sealed record BacktestSettings(
    DateOnly From,
    DateOnly To,
    decimal InitialCash,
    FillModel Fill = FillModel.Close,
    decimal Commission = BacktestSettings.DefaultCommission,
    decimal? SellTax = null,
    int SlippageTicks = 0,
    PriceBasis Basis = PriceBasis.Adjusted)
{
    /// <summary>A typical online brokerage rate, charged on each side.</summary>
    public const decimal DefaultCommission = 0.00015m;

    /// <summary>The first problem with these settings, naming the parameter, or null when they are usable.</summary>
    public string? Validate()
    {
        if (To < From)
        {
            return $"--to {To:yyyy-MM-dd} is before --from {From:yyyy-MM-dd}";
        }

        if (InitialCash <= 0)
        {
            return "--cash must be positive";
        }

        if (Commission is < 0 or >= 0.1m)
        {
            return "--commission must be a fraction in [0, 0.1), e.g. 0.00015";
        }

        if (SellTax is < 0 or >= 0.1m)
        {
            return "--sell-tax must be a fraction in [0, 0.1), e.g. 0.0018";
        }

        if (SlippageTicks is < 0 or > 100)
        {
            return "--slippage-ticks must be between 0 and 100";
        }

        return null;
    }
}
