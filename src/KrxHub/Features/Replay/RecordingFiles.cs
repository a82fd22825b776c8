using System.Globalization;
using System.Text.RegularExpressions;

namespace KrxHub.Features.Replay;

/// <summary>
/// Where recordings live: <c>&lt;data-dir&gt;/recordings/events-yyyy-MM-dd.jsonl.gz</c>, one file per KST day. A recorder
/// started again on a day that already has a file (a restart) writes a further part beside it
/// (<c>events-yyyy-MM-dd.2.jsonl.gz</c>, …) instead of appending: a file cut by a kill ends in a partial gzip block,
/// and anything appended after it could not be decoded.
/// </summary>
public static partial class RecordingFiles
{
    public const string DirectoryName = "recordings";

    /// <summary>The recordings directory of a store whose data directory is <paramref name="dataDirectory"/>.</summary>
    public static string DirectoryFor(string dataDirectory) => Path.GetFullPath(Path.Combine(dataDirectory, DirectoryName));

    /// <summary>The file name of part <paramref name="part"/> (1 is the first) of <paramref name="date"/>'s recording.</summary>
    public static string NameOf(DateOnly date, int part) => part <= 1
        ? string.Create(CultureInfo.InvariantCulture, $"events-{date:yyyy-MM-dd}.jsonl.gz")
        : string.Create(CultureInfo.InvariantCulture, $"events-{date:yyyy-MM-dd}.{part}.jsonl.gz");

    /// <summary>The parts of one day's recording in the order they were written.</summary>
    public static IReadOnlyList<string> PartsOf(string directory, DateOnly date) =>
        [.. All(directory).Where(f => f.Date == date).OrderBy(f => f.Part).Select(f => f.Path)];

    /// <summary>The path of the next part to write for <paramref name="date"/> (the first when the day has none yet).</summary>
    public static string NextPart(string directory, DateOnly date)
    {
        var last = All(directory).Where(f => f.Date == date).Select(f => f.Part).DefaultIfEmpty(0).Max();
        return Path.Combine(directory, NameOf(date, last + 1));
    }

    /// <summary>Deletes the recordings of days before <paramref name="keepFrom"/>; returns the paths deleted.</summary>
    public static IReadOnlyList<string> DeleteBefore(string directory, DateOnly keepFrom)
    {
        var deleted = new List<string>();
        foreach (var file in All(directory).Where(f => f.Date < keepFrom))
        {
            File.Delete(file.Path);
            deleted.Add(file.Path);
        }

        return deleted;
    }

    /// <summary>
    /// The recording a request names: a date (every part of that day in <paramref name="directory"/>) or the name of one
    /// file in it. Null when nothing matches. Names with a directory part are refused: the API reads recordings only.
    /// </summary>
    public static IReadOnlyList<string>? Resolve(string directory, string? file, DateOnly? date)
    {
        if (date is { } day)
        {
            var parts = PartsOf(directory, day);
            return parts.Count > 0 ? parts : null;
        }

        if (string.IsNullOrWhiteSpace(file) || file != Path.GetFileName(file) || file is "." or "..")
        {
            return null;
        }

        var path = Path.Combine(directory, file);
        return File.Exists(path) ? [path] : null;
    }

    /// <summary>The date of a recording file from its name, or null for another file.</summary>
    public static DateOnly? DateOf(string path) => Parse(path) is { } f ? f.Date : null;

    private static IEnumerable<(string Path, DateOnly Date, int Part)> All(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "events-*.jsonl.gz").Select(Parse).OfType<(string, DateOnly, int)>()
            : [];

    private static (string Path, DateOnly Date, int Part)? Parse(string path)
    {
        var match = FileName().Match(Path.GetFileName(path));
        if (!match.Success || !DateOnly.TryParseExact(match.Groups["date"].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return null;
        }

        var part = match.Groups["part"].Success ? int.Parse(match.Groups["part"].Value, CultureInfo.InvariantCulture) : 1;
        return (path, date, part);
    }

    [GeneratedRegex(@"^events-(?<date>\d{4}-\d{2}-\d{2})(\.(?<part>\d{1,6}))?\.jsonl\.gz$")]
    private static partial Regex FileName();
}
