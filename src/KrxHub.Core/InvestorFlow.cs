namespace KrxHub.Core;

/// <summary>
/// Investor categories as KRX and Kiwoom report them. Institution total is reported by the source;
/// "institution excluding pension" is derived at query time (InstitutionTotal − Pension), never stored.
/// Totals contain their parts: InstitutionTotal = the seven institutional types (financial investment … pension),
/// Foreign = the foreign total, of which OtherForeign (기타외국인) is a part.
/// </summary>
public enum InvestorType
{
    Individual,
    Foreign,
    OtherForeign,
    InstitutionTotal,
    FinancialInvestment,
    Insurance,
    Trust,
    PrivateFund,
    Bank,
    OtherFinance,
    Pension,
    State,
    OtherCorporation,
}

public static class InvestorTypes
{
    private static readonly Dictionary<string, InvestorType> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["individual"] = InvestorType.Individual,
        ["retail"] = InvestorType.Individual,
        ["foreign"] = InvestorType.Foreign,
        ["other-foreign"] = InvestorType.OtherForeign,
        ["institution"] = InvestorType.InstitutionTotal,
        ["institution-total"] = InvestorType.InstitutionTotal,
        ["financial-investment"] = InvestorType.FinancialInvestment,
        ["insurance"] = InvestorType.Insurance,
        ["trust"] = InvestorType.Trust,
        ["private-fund"] = InvestorType.PrivateFund,
        ["bank"] = InvestorType.Bank,
        ["other-finance"] = InvestorType.OtherFinance,
        ["pension"] = InvestorType.Pension,
        ["state"] = InvestorType.State,
        ["other-corporation"] = InvestorType.OtherCorporation,
    };

    /// <summary>Stable kebab-case name used in storage and in the API.</summary>
    public static string Name(this InvestorType type) => type switch
    {
        InvestorType.Individual => "individual",
        InvestorType.Foreign => "foreign",
        InvestorType.OtherForeign => "other-foreign",
        InvestorType.InstitutionTotal => "institution-total",
        InvestorType.FinancialInvestment => "financial-investment",
        InvestorType.Insurance => "insurance",
        InvestorType.Trust => "trust",
        InvestorType.PrivateFund => "private-fund",
        InvestorType.Bank => "bank",
        InvestorType.OtherFinance => "other-finance",
        InvestorType.Pension => "pension",
        InvestorType.State => "state",
        InvestorType.OtherCorporation => "other-corporation",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? text, out InvestorType type) =>
        ByName.TryGetValue(text?.Trim() ?? string.Empty, out type);

    /// <summary>The name of the derived category served by the API, computed as institution-total minus pension.</summary>
    public const string InstitutionExPension = "institution-ex-pension";
}

/// <summary>
/// One investor type's trading in one stock on one session. Sources often report only some of the
/// measures (KRX MDCSTAT02302 gives net volume or net value); missing measures stay null and a later
/// import of another measure fills them in.
/// </summary>
public sealed record InvestorFlow(
    StockCode Code,
    DateOnly Date,
    InvestorType Investor,
    long? BuyVolume,
    long? SellVolume,
    long? NetVolume,
    decimal? BuyValue,
    decimal? SellValue,
    decimal? NetValue,
    string Source,
    DateTimeOffset FetchedAt);

/// <summary>Market-wide investor trading on one session (KRX MDCSTAT02202/02203).</summary>
public sealed record MarketInvestorFlow(
    Market Market,
    DateOnly Date,
    InvestorType Investor,
    long? BuyVolume,
    long? SellVolume,
    long? NetVolume,
    decimal? BuyValue,
    decimal? SellValue,
    decimal? NetValue,
    string Source,
    DateTimeOffset FetchedAt);
