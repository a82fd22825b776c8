using System.Globalization;
using KrxHub.Core;

namespace KrxHub.Sources.Kiwoom;

/// <summary>One ka10099 master row. Kiwoom lists ETFs, SPACs and other securities under a market too.</summary>
public sealed record KiwoomListedStock(
    StockCode Code,
    string Name,
    Market Market,
    long? ListedShares,
    string? AuditInfo,
    DateOnly? ListingDate,
    decimal? LastPrice,
    string? State,
    string? MarketCode,
    string? MarketName,
    string? Industry,
    string? SizeClass,
    string? CompanyClass,
    string? OrderWarning,
    bool NxtEnabled)
{
    /// <summary>The master record as of <paramref name="asOf"/> (the day the list was fetched).</summary>
    public Stock ToStock(DateOnly asOf) =>
        new(Code, Name, Market, ListingDate, ListedShares: ListedShares, Industry: Industry, Segment: MarketName, AsOf: asOf);
}

/// <summary>
/// ka10001 basic information. Prices unsigned with <see cref="Direction"/>; <see cref="Change"/> signed.
/// Units as Kiwoom gives them: <see cref="Capital"/> and <see cref="MarketCap"/> in 억원; PER/ROE are from an outside
/// vendor and updated weekly. <see cref="Errors"/> lists fields that could not be read (they are null).
/// </summary>
public sealed record KiwoomStockInfo(
    StockCode Code,
    string? Name,
    string? SettlementMonth,
    decimal? FaceValue,
    decimal? Capital,
    decimal? FloatingShares,
    decimal? MarketCap,
    decimal? Per,
    decimal? Eps,
    decimal? Roe,
    decimal? Pbr,
    decimal? Bps,
    decimal? High250,
    decimal? Low250,
    decimal? Open,
    decimal? High,
    decimal? Low,
    decimal? UpperLimit,
    decimal? LowerLimit,
    decimal? BasePrice,
    decimal? CurrentPrice,
    PriceDirection? Direction,
    decimal? Change,
    decimal? ChangeRate,
    long? Volume,
    IReadOnlyList<KiwoomRowError> Errors);

/// <summary>What ka10059 reports: amounts (amt_qty_tp 1) or share counts (2).</summary>
public enum KiwoomFlowMeasure
{
    Value,
    Volume,
}

/// <summary>trde_tp: net buying (0), buying (1) or selling (2).</summary>
public enum KiwoomTradeSide
{
    Net,
    Buy,
    Sell,
}

public sealed partial class KiwoomClient
{
    private const string StockInfoPath = "/api/dostk/stkinfo";

    /// <summary>ka10059 investor columns and the investor type each one is. natfor (내외국인) has no matching type and is not mapped.</summary>
    private static readonly (string Field, InvestorType Type)[] InvestorColumns =
    [
        ("ind_invsr", InvestorType.Individual),
        ("frgnr_invsr", InvestorType.Foreign),
        ("orgn", InvestorType.InstitutionTotal),
        ("fnnc_invt", InvestorType.FinancialInvestment),
        ("insrnc", InvestorType.Insurance),
        ("invtrt", InvestorType.Trust),
        ("etc_fnnc", InvestorType.OtherFinance),
        ("bank", InvestorType.Bank),
        ("penfnd_etc", InvestorType.Pension),
        ("samo_fund", InvestorType.PrivateFund),
        ("natn", InvestorType.State),
        ("etc_corp", InvestorType.OtherCorporation),
    ];

    /// <summary>Kiwoom's mrkt_tp of ka10099: 0 KOSPI, 10 KOSDAQ, 50 KONEX.</summary>
    public static string MarketType(Market market) => market switch
    {
        Market.Kospi => "0",
        Market.Kosdaq => "10",
        Market.Konex => "50",
        _ => throw new ArgumentOutOfRangeException(nameof(market), market, null),
    };

    /// <summary>ka10099: every security Kiwoom lists under one market.</summary>
    public async Task<KiwoomRows<KiwoomListedStock>> GetStockListAsync(Market market, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string> { ["mrkt_tp"] = MarketType(market) };
        var result = await QueryAsync(StockInfoPath, "ka10099", body, "list", cancellationToken);
        return Map(result, (r, _) => new KiwoomListedStock(
            r.Code("code"),
            r.RequiredText("name") ?? string.Empty,
            market,
            r.OptionalCount("listCount"),
            r.Text("auditInfo"),
            r.OptionalDate("regDay"),
            r.OptionalPrice("lastPrice"),
            r.Text("state"),
            r.Text("marketCode"),
            r.Text("marketName"),
            r.Text("upName"),
            r.Text("upSizeName"),
            r.Text("companyClassName"),
            r.Text("orderWarning"),
            string.Equals(r.Text("nxtEnable")?.Trim(), "Y", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>ka10001 basic information of one stock.</summary>
    public async Task<KiwoomStockInfo> GetStockInfoAsync(StockCode code, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string> { ["stk_cd"] = code.Value };
        var result = await QueryAsync(StockInfoPath, "ka10001", body, null, cancellationToken);
        var errors = new List<KiwoomRowError>();
        var r = new KiwoomRowReader(result.First, 1, errors);
        return new KiwoomStockInfo(
            code,
            r.Text("stk_nm"),
            r.Text("setl_mm"),
            r.OptionalPrice("fav"),
            r.OptionalSigned("cap"),
            r.OptionalSigned("flo_stk"),
            r.OptionalSigned("mac"),
            r.OptionalSigned("per"),
            r.OptionalSigned("eps"),
            r.OptionalSigned("roe"),
            r.OptionalSigned("pbr"),
            r.OptionalSigned("bps"),
            r.OptionalPrice("250hgst"),
            r.OptionalPrice("250lwst"),
            r.OptionalPrice("open_pric"),
            r.OptionalPrice("high_pric"),
            r.OptionalPrice("low_pric"),
            r.OptionalPrice("upl_pric"),
            r.OptionalPrice("lst_pric"),
            r.OptionalPrice("base_pric"),
            r.OptionalPrice("cur_prc"),
            KiwoomValue.Direction(r.Text("pre_sig")),
            r.OptionalChange("pred_pre", "pre_sig"),
            r.OptionalSigned("flu_rt"),
            r.OptionalCount("trde_qty"),
            errors);
    }

    /// <summary>
    /// ka10059 per-investor trading of one stock, one <see cref="InvestorFlow"/> per investor type and day, going back
    /// from <paramref name="date"/>. Share counts are requested in single shares (unit_tp 1); amounts are scaled by
    /// <see cref="KiwoomOptions.InvestorAmountUnit"/>. A row whose date is unreadable is skipped; an unreadable investor
    /// column skips only that investor.
    /// </summary>
    public Task<KiwoomRows<InvestorFlow>> GetInvestorFlowsAsync(StockCode code, DateOnly date, KiwoomFlowMeasure measure, KiwoomTradeSide side, CancellationToken cancellationToken) =>
        GetInvestorFlowsAsync(code, date, measure, side, null, cancellationToken);

    /// <summary>As above, paging back until a page reaches a row dated before <paramref name="oldest"/> (null: up to the page cap, else a guard scaled to the range).</summary>
    public async Task<KiwoomRows<InvestorFlow>> GetInvestorFlowsAsync(StockCode code, DateOnly date, KiwoomFlowMeasure measure, KiwoomTradeSide side,
        DateOnly? oldest, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string>
        {
            ["dt"] = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            ["stk_cd"] = code.Value,
            ["amt_qty_tp"] = measure == KiwoomFlowMeasure.Value ? "1" : "2",
            ["trde_tp"] = side switch
            {
                KiwoomTradeSide.Net => "0",
                KiwoomTradeSide.Buy => "1",
                KiwoomTradeSide.Sell => "2",
                _ => throw new ArgumentOutOfRangeException(nameof(side), side, null),
            },
            ["unit_tp"] = "1",
        };
        var result = await QueryAsync(StockInfoPath, "ka10059", body, "stk_invsr_orgn", DatedBefore("dt", oldest), RangeRows(oldest, date, 1),
            cancellationToken);
        var fetchedAt = _time.GetUtcNow();
        var flows = new List<InvestorFlow>();
        var errors = new List<KiwoomRowError>();
        var index = 0;
        foreach (var element in result.Rows)
        {
            index++;
            var r = new KiwoomRowReader(element, index, errors);
            if (!r.IsObject)
            {
                r.Fail("(row)", element.GetRawText(), "is not a JSON object");
                continue;
            }

            var day = r.Date("dt");
            if (r.Failed)
            {
                continue;
            }

            foreach (var (field, type) in InvestorColumns)
            {
                var value = measure == KiwoomFlowMeasure.Volume ? r.OptionalLong(field) : r.OptionalSigned(field);
                if (value is not { } v)
                {
                    continue;
                }

                flows.Add(ToFlow(code, day, type, measure, side, v, fetchedAt));
            }
        }

        return new KiwoomRows<InvestorFlow>(flows, errors, result.Pages, result.Truncated);
    }

    private InvestorFlow ToFlow(StockCode code, DateOnly day, InvestorType type, KiwoomFlowMeasure measure, KiwoomTradeSide side, decimal value, DateTimeOffset fetchedAt)
    {
        long? volume = measure == KiwoomFlowMeasure.Volume ? (long)value : null;
        decimal? amount = measure == KiwoomFlowMeasure.Value ? value * _options.InvestorAmountUnit : null;
        return side switch
        {
            KiwoomTradeSide.Buy => new InvestorFlow(code, day, type, volume, null, null, amount, null, null, Source, fetchedAt),
            KiwoomTradeSide.Sell => new InvestorFlow(code, day, type, null, volume, null, null, amount, null, Source, fetchedAt),
            _ => new InvestorFlow(code, day, type, null, null, volume, null, null, amount, Source, fetchedAt),
        };
    }
}
