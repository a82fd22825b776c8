namespace KrxHub.Sources.Import;

/// <summary>The file formats the importer reads. <see cref="Auto"/> detects the format from the header or the first JSON key.</summary>
public enum ImportFormat
{
    Auto,

    /// <summary>pykrx OHLCV export: <c>code,date,open,high,low,close,volume,change_pct</c> or the Korean headers <c>날짜,시가,고가,저가,종가,거래량,등락률[,거래대금]</c>.</summary>
    PykrxCsv,

    /// <summary>FinanceDataReader per-stock export: <c>Date,Open,High,Low,Close,Volume,Change</c>.</summary>
    FdrCsv,

    /// <summary>marcap / FDR all-stocks daily: <c>Code,Name,…,Open,High,Low,Close,Volume,Amount,Marcap,Stocks,Market,…,Date</c> in any order.</summary>
    MarcapCsv,

    /// <summary>A KRX data-system <c>getJsonData.cmd</c> body (MDCSTAT01501, 01701, 01901, 02202/02203, 02302/02303).</summary>
    KrxJson,

    /// <summary>An index file as CSV: KRX MDCSTAT00301 / FinanceDataReader index history, or MDCSTAT00601 constituents.</summary>
    IndexCsv,

    /// <summary>A KRX delisting list as FinanceDataReader keeps it (the bundled krx-delisted file): <c>Symbol,Name,Market,…,ListingDate,DelistingDate,…</c>.</summary>
    KrxDelistedCsv,
}

/// <summary>Whether an investor-flow body holds share volumes or KRW values (KRX <c>trdVolVal</c> 1/2): the body does not say.</summary>
public enum InvestorMeasure
{
    Volume,
    Value,
}

/// <summary>Which side an investor-flow body holds (KRX <c>askBid</c>: 1 sell, 2 buy, 3 net buy).</summary>
public enum InvestorSide
{
    Net,
    Buy,
    Sell,
}

/// <summary>The CLI spellings of the import enums.</summary>
public static class ImportNames
{
    public static bool TryParse(string? text, out ImportFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "auto":
                format = ImportFormat.Auto;
                return true;
            case "pykrx-csv":
                format = ImportFormat.PykrxCsv;
                return true;
            case "fdr-csv":
                format = ImportFormat.FdrCsv;
                return true;
            case "marcap-csv":
                format = ImportFormat.MarcapCsv;
                return true;
            case "krx-json":
                format = ImportFormat.KrxJson;
                return true;
            case "index-csv":
                format = ImportFormat.IndexCsv;
                return true;
            case "krx-delisted":
                format = ImportFormat.KrxDelistedCsv;
                return true;
            default:
                format = default;
                return false;
        }
    }

    public static string Name(this ImportFormat format) => format switch
    {
        ImportFormat.Auto => "auto",
        ImportFormat.PykrxCsv => "pykrx-csv",
        ImportFormat.FdrCsv => "fdr-csv",
        ImportFormat.MarcapCsv => "marcap-csv",
        ImportFormat.KrxJson => "krx-json",
        ImportFormat.IndexCsv => "index-csv",
        ImportFormat.KrxDelistedCsv => "krx-delisted",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static bool TryParse(string? text, out InvestorMeasure measure)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "volume":
                measure = InvestorMeasure.Volume;
                return true;
            case "value":
                measure = InvestorMeasure.Value;
                return true;
            default:
                measure = default;
                return false;
        }
    }

    public static string Name(this InvestorMeasure measure) => measure == InvestorMeasure.Volume ? "volume" : "value";

    public static bool TryParse(string? text, out InvestorSide side)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "net":
                side = InvestorSide.Net;
                return true;
            case "buy":
                side = InvestorSide.Buy;
                return true;
            case "sell":
                side = InvestorSide.Sell;
                return true;
            default:
                side = default;
                return false;
        }
    }

    public static string Name(this InvestorSide side) => side switch
    {
        InvestorSide.Net => "net",
        InvestorSide.Buy => "buy",
        InvestorSide.Sell => "sell",
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, null),
    };
}
