using KrxHub.Core;

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
