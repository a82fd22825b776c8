namespace KrxHub.Core;

/// <summary>The three KRX stock markets. KOSDAQ GLOBAL is a segment of KOSDAQ, not a market.</summary>
public enum Market
{
    Kospi,
    Kosdaq,
    Konex,
}

public static class Markets
{
    /// <summary>Parses names as KRX, Kiwoom and the CLI/API spell them: KOSPI/STK, KOSDAQ/KSQ/"KOSDAQ GLOBAL", KONEX/KNX.</summary>
    public static bool TryParse(string? text, out Market market)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "KOSPI" or "STK" or "유가증권" or "유가증권시장":
                market = Market.Kospi;
                return true;
            case "KOSDAQ" or "KSQ" or "KOSDAQ GLOBAL" or "코스닥" or "코스닥시장":
                market = Market.Kosdaq;
                return true;
            case "KONEX" or "KNX" or "코넥스" or "코넥스시장":
                market = Market.Konex;
                return true;
            default:
                market = default;
                return false;
        }
    }

    public static string Name(this Market market) => market switch
    {
        Market.Kospi => "KOSPI",
        Market.Kosdaq => "KOSDAQ",
        Market.Konex => "KONEX",
        _ => throw new ArgumentOutOfRangeException(nameof(market), market, null),
    };
}
