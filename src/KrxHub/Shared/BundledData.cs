using KrxHub.Core;
using KrxHub.Core.Indices;

namespace KrxHub.Shared;

/// <summary>The real KRX data shipped with the binary (see data/README.md for provenance).</summary>
public static class BundledData
{
    public static string Directory { get; } = FindDataDirectory();

    public static string Calendar => Path.Combine(Directory, "calendar", "xkrx-sessions-1986-2026.csv");
    public static string Master => Path.Combine(Directory, "master", "krx-master-2026-04-14.csv");
    public static string Delisted => Path.Combine(Directory, "master", "krx-delisted-2026-03-20.csv");
    public static string AdjustedHistory => Path.Combine(Directory, "history", "krx-daily-adjusted-2761-stocks-2023-12-05_2025-06-17.csv.gz");
    public static string RawWindow => Path.Combine(Directory, "history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz");

    /// <summary>Daily index histories (FinanceData/fdr_krx_data_cache, KRX data), written 2026-03-20 17:56 KST.</summary>
    public static IReadOnlyList<BundledIndexFile> IndexHistories { get; } =
    [
        new(Path.Combine(Directory, "index", "fdr-ks11-kospi-1001-daily.csv.gz"), KrxIndex.Kospi, null, FdrCacheWritten, FdrCacheSource),
        new(Path.Combine(Directory, "index", "fdr-kq11-kosdaq-2001-daily.csv.gz"), KrxIndex.Kosdaq, null, FdrCacheWritten, FdrCacheSource),
        new(Path.Combine(Directory, "index", "fdr-ks200-kospi200-1028-daily.csv.gz"), KrxIndex.Kospi200, null, FdrCacheWritten, FdrCacheSource),
    ];

    /// <summary>Index constituent lists: KRX MDCSTAT00601 bodies recorded by pykrx's test cassettes, and FDR's list of 2026-03-20.</summary>
    public static IReadOnlyList<BundledIndexFile> IndexConstituents { get; } =
    [
        Constituents("krx-MDCSTAT00601-kospi-1001-constituents-2014-05-02.csv", KrxIndex.Kospi, new(2014, 5, 2)),
        Constituents("krx-MDCSTAT00601-kospi-1001-constituents-2021-01-29.csv", KrxIndex.Kospi, new(2021, 1, 29)),
        Constituents("krx-MDCSTAT00601-kospi-1001-constituents-2026-01-23.csv", KrxIndex.Kospi, new(2026, 1, 23)),
        Constituents("krx-MDCSTAT00601-kosdaq-2001-constituents-2026-01-23.csv", KrxIndex.Kosdaq, new(2026, 1, 23)),
        Constituents("krx-MDCSTAT00601-kospi-high-dividend-50-1163-constituents-2026-01-23.csv", KrxIndex.KospiHighDividend50, new(2026, 1, 23)),
        new(Path.Combine(Directory, "index", "fdr-index-stock-kospi-1001-constituents-2026-03-20.csv"), KrxIndex.Kospi, new(2026, 3, 20),
            FdrCacheWritten, "bundled:FinanceData/fdr_krx_data_cache index_stock"),
    ];

    private const string FdrCacheSource = "bundled:FinanceData/fdr_krx_data_cache (KRX index)";
    private static DateTimeOffset FdrCacheWritten => new(2026, 3, 20, 17, 56, 0, KrxCalendar.KstOffset);

    // pykrx's cassettes with these bodies were recorded in commit 801bac4 (2026-01-25).
    private static BundledIndexFile Constituents(string file, KrxIndex index, DateOnly date) =>
        new(Path.Combine(Directory, "index", file), index, date, new DateTimeOffset(2026, 1, 25, 0, 0, 0, KrxCalendar.KstOffset),
            "bundled:sharebook-kr/pykrx cassette (KRX MDCSTAT00601)");

    private static KrxCalendar? _sessionFile;
    private static KrxCalendar? _calendar;

    /// <summary>The bundled XKRX session file alone (1986–2026, KRX's published days), parsed once.</summary>
    public static KrxCalendar LoadSessionFile() => _sessionFile ??= KrxCalendar.Load(Calendar);

    /// <summary>The KRX calendar without an override file: the bundled session file, then the holiday rules through 2050.</summary>
    public static KrxCalendar LoadCalendar() => _calendar ??= KrxCalendar.Layered(LoadSessionFile());

    private static string FindDataDirectory()
    {
        // Next to the binary (copied at build), else the repository's data/ when run from a source tree.
        var beside = Path.Combine(AppContext.BaseDirectory, "data");
        if (File.Exists(Path.Combine(beside, "calendar", "xkrx-sessions-1986-2026.csv")))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "calendar", "xkrx-sessions-1986-2026.csv");
            if (File.Exists(candidate))
            {
                return Path.Combine(dir.FullName, "data");
            }
        }

        return beside;
    }
}

/// <summary>A bundled index file: bars when <paramref name="Date"/> is null, else the constituent list of that date.</summary>
public sealed record BundledIndexFile(string Path, KrxIndex Index, DateOnly? Date, DateTimeOffset FetchedAt, string Source);
