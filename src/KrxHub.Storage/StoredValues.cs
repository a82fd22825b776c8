using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>How values are written and read back, identically on both backends.</summary>
internal static class StoredValues
{
    public const string AbandonedError = "process exited before the run finished";

    /// <summary>UTC, truncated to microseconds: PostgreSQL timestamptz precision, applied to SQLite too so both agree.</summary>
    public static DateTimeOffset ToStoredInstant(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % 10), TimeSpan.Zero);
    }

    /// <summary>Drops trailing zeros (79600.0000 → 79600) so values read the same from either backend.</summary>
    public static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;

    /// <summary>Lower-case hex SHA-256 of the UTF-8 payload: the quarantine's dedupe key.</summary>
    public static string PayloadHash(string payload) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));

    public static string JoinReasons(IReadOnlyList<string> reasons)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        if (reasons.Count == 0)
        {
            throw new ArgumentException("a quarantined row needs at least one reason", nameof(reasons));
        }

        foreach (var reason in reasons)
        {
            if (string.IsNullOrWhiteSpace(reason) || reason.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"reason '{reason}' must be non-empty and contain no comma", nameof(reasons));
            }
        }

        return string.Join(',', reasons);
    }

    public static string[] SplitReasons(string reasons) => reasons.Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Sums quarantine counts grouped by the stored comma-joined reasons into counts per single reason.</summary>
    public static IReadOnlyDictionary<string, long> CountByReason(IEnumerable<(string Reasons, long Count)> groups)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (reasons, count) in groups)
        {
            foreach (var reason in SplitReasons(reasons))
            {
                counts[reason] = counts.GetValueOrDefault(reason) + count;
            }
        }

        return counts;
    }

    public static Market ParseMarket(string text) =>
        Markets.TryParse(text, out var market) ? market : throw new InvalidDataException($"unknown market '{text}' in the store");

    public static PriceBasis ParseBasis(string text) =>
        PriceBases.TryParse(text, out var basis) ? basis : throw new InvalidDataException($"unknown price basis '{text}' in the store");

    public static InvestorType ParseInvestor(string text) =>
        InvestorTypes.TryParse(text, out var investor) ? investor : throw new InvalidDataException($"unknown investor type '{text}' in the store");

    public static void CheckPage(int limit, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
    }

    /// <summary>Escapes LIKE wildcards so a search for "10%" matches the text literally (escape character '\').</summary>
    public static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    /// <summary>True when a process with this id runs on this machine; our own process is always alive.</summary>
    public static bool IsProcessAlive(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
