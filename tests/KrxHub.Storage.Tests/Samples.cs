using KrxHub.Core;

namespace KrxHub.Storage.Tests;

/// <summary>
/// Real rows from data/history/krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz
/// (and the adjusted file for the adjusted basis).
/// </summary>
internal static class Samples
{
    public const string RawSource = "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz";

    /// <summary>A fetch time with sub-microsecond ticks and a Seoul offset, to prove truncation and UTC storage.</summary>
    public static readonly DateTimeOffset FetchedAt = new DateTimeOffset(2024, 2, 14, 18, 30, 15, TimeSpan.FromHours(9)).AddTicks(1_234_567);

    /// <summary>What the store gives back for an instant: UTC, truncated to microseconds.</summary>
    public static DateTimeOffset Stored(DateTimeOffset t) => new(t.UtcTicks / 10 * 10, TimeSpan.Zero);

    public static readonly StockCode Samsung = StockCode.Parse("005930");
    public static readonly StockCode Hynix = StockCode.Parse("000660");
    public static readonly StockCode CelltrionHealthcare = StockCode.Parse("091990");

    public static readonly DateOnly Jan2 = new(2024, 1, 2);
    public static readonly DateOnly Jan3 = new(2024, 1, 3);
    public static readonly DateOnly Jan4 = new(2024, 1, 4);

    public static DailyBar Raw(StockCode code, DateOnly date, decimal open, decimal high, decimal low, decimal close, long volume,
        decimal value, decimal marketCap, long shares, bool noTrade = false) =>
        new(code, date, open, high, low, close, volume, value, marketCap, shares, PriceBasis.Raw, RawSource, FetchedAt, noTrade);

    public static DailyBar SamsungJan2 => Raw(Samsung, Jan2, 78200, 79800, 78200, 79600, 17142847, 1356958225913, 475194690980000, 5969782550);
    public static DailyBar SamsungJan3 => Raw(Samsung, Jan3, 78500, 78800, 77000, 77000, 21753644, 1691690834824, 459673256350000, 5969782550);
    public static DailyBar SamsungJan4 => Raw(Samsung, Jan4, 76100, 77300, 76100, 76600, 15324439, 1173912901977, 457285343330000, 5969782550);
    public static DailyBar HynixJan2 => Raw(Hynix, Jan2, 139700, 142800, 139700, 142400, 2147458, 304025996500, 103667536776000, 728002365);
    public static DailyBar HynixJan3 => Raw(Hynix, Jan3, 140000, 140800, 136800, 136800, 3257820, 449799956600, 99590723532000, 728002365);

    /// <summary>A halted stock: KRX reports zeros; the bar carries the close forward.</summary>
    public static DailyBar CelltrionHealthcareJan2Halted =>
        Raw(CelltrionHealthcare, Jan2, 75900, 75900, 75900, 75900, 0, 0, 12482872551600, 164464724, noTrade: true);

    public static DailyBar SamsungJan2Adjusted => new(
        Samsung, Jan2, 78200, 79800, 78200, 79600, 17142847, null, null, null, PriceBasis.Adjusted,
        "krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz", FetchedAt);

    public static Stock SamsungStock => new(
        Samsung, "삼성전자", Market.Kospi, new DateOnly(1975, 6, 11), null, 5969782550, "전기·전자", "SamsungElectronics",
        "KR7005930003", "KOSPI", "주권", "보통주");

    public static Stock HynixStock => new(Hynix, "SK하이닉스", Market.Kospi, new DateOnly(1996, 12, 26), NameEn: "SK hynix");

    public static Stock CelltrionHealthcareStock => new(
        CelltrionHealthcare, "셀트리온헬스케어", Market.Kosdaq, new DateOnly(2017, 7, 28), new DateOnly(2024, 1, 12), Segment: "KOSDAQ GLOBAL");
}
