namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// ka10030 request. Values are Kiwoom's codes, all strings; the defaults are the official sample's (everything, sorted by
/// volume) except <see cref="Exchange"/>, which defaults to KRX (1) because the mock server serves KRX only.
/// NB: mang_stk_incls 0 means "include 관리종목" here but "exclude" in ka10032.
/// </summary>
public sealed record KiwoomVolumeRankingQuery
{
    /// <summary>mrkt_tp: 000 all, 001 KOSPI, 101 KOSDAQ.</summary>
    public string MarketType { get; init; } = "000";

    /// <summary>sort_tp: 1 volume, 2 turnover, 3 trading value.</summary>
    public string SortType { get; init; } = "1";

    /// <summary>mang_stk_incls: 0 include 관리종목, 1 exclude, 14 exclude ETF, 16 exclude ETF+ETN …</summary>
    public string ManagedStocks { get; init; } = "0";

    /// <summary>crd_tp: 0 all.</summary>
    public string CreditType { get; init; } = "0";

    /// <summary>trde_qty_tp: 0 all, 5 ≥ 5천주, 10 ≥ 1만주 …</summary>
    public string VolumeType { get; init; } = "0";

    /// <summary>pric_tp: 0 all.</summary>
    public string PriceType { get; init; } = "0";

    /// <summary>trde_prica_tp: 0 all.</summary>
    public string TradingValueType { get; init; } = "0";

    /// <summary>mrkt_open_tp: 0 all, 1 regular session, 2 pre-market off-hours, 3 after-market off-hours.</summary>
    public string SessionType { get; init; } = "0";

    /// <summary>stex_tp: 1 KRX, 2 NXT, 3 combined.</summary>
    public string Exchange { get; init; } = "1";

    internal Dictionary<string, string> ToBody() => new()
    {
        ["mrkt_tp"] = MarketType,
        ["sort_tp"] = SortType,
        ["mang_stk_incls"] = ManagedStocks,
        ["crd_tp"] = CreditType,
        ["trde_qty_tp"] = VolumeType,
        ["pric_tp"] = PriceType,
        ["trde_prica_tp"] = TradingValueType,
        ["mrkt_open_tp"] = SessionType,
        ["stex_tp"] = Exchange,
    };
}

/// <summary>
/// One ka10030 row; <see cref="Rank"/> is the position in the answer (1-based). <see cref="Code"/> is kept as text
/// because ranking lists include ETNs and NXT codes. Rates are percent. <see cref="TradingValue"/> is trde_amt as given.
/// </summary>
public sealed record KiwoomVolumeRank(
    int Rank,
    string Code,
    string? Name,
    decimal Price,
    PriceDirection? Direction,
    decimal? Change,
    decimal? ChangeRate,
    long Volume,
    decimal? VolumeVsPreviousRate,
    decimal? TurnoverRate,
    decimal? TradingValue);

public sealed partial class KiwoomClient
{
    /// <summary>ka10030 today's volume ranking.</summary>
    public async Task<KiwoomRows<KiwoomVolumeRank>> GetVolumeRankingAsync(KiwoomVolumeRankingQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = await QueryAsync("/api/dostk/rkinfo", "ka10030", query.ToBody(), "tdy_trde_qty_upper", cancellationToken);
        return Map(result, (r, _) => new KiwoomVolumeRank(
            r.Index,
            r.RequiredText("stk_cd") ?? string.Empty,
            r.Text("stk_nm"),
            r.Price("cur_prc"),
            KiwoomValue.Direction(r.Text("pred_pre_sig")),
            r.OptionalChange("pred_pre", "pred_pre_sig"),
            r.OptionalSigned("flu_rt"),
            r.Count("trde_qty"),
            r.OptionalSigned("pred_rt"),
            r.OptionalSigned("trde_tern_rt"),
            r.OptionalSigned("trde_amt")));
    }
}
