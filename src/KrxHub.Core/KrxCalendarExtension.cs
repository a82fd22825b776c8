using System.Globalization;

namespace KrxHub.Core;

/// <summary>A calendar extension file that cannot be used: names the file and, when one is to blame, the line.</summary>
public sealed class CalendarExtensionException(string file, int line, string reason)
    : FormatException(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
{
    public string File { get; } = file;

    /// <summary>1-based line number, or 0 when the file as a whole is wrong.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// Whole years the operator adds after the bundled calendar, typed from KRX's published closed days (휴장일), which
/// KRX announces each December for the next year. The file is plain text, one row per line, fields separated by commas:
/// <code>
/// # comment lines and blank lines are ignored
/// year,2027                      a year the file covers, whole (1 January to 31 December)
/// holiday,2027-01-01[,note]      a closed day; a weekend date is accepted and changes nothing
/// special,2027-01-04,10:00,15:30[,note]   a session with other hours (KST), e.g. the 10:00 open of the first session
/// </code>
/// The sessions of a covered year are its weekdays minus the listed holidays, 09:00–15:30 KST unless a special row
/// says otherwise. Nothing is inferred: a year's closed days are exactly those the file lists. The years must follow the
/// calendar being extended without a gap and must not repeat a year it already covers.
/// </summary>
public sealed class KrxCalendarExtension
{
    public static readonly TimeOnly RegularOpen = new(9, 0);
    public static readonly TimeOnly RegularClose = new(15, 30);

    private readonly SortedDictionary<int, int> _yearLines;
    private readonly Dictionary<DateOnly, int> _holidays;
    private readonly Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> _special;

    private KrxCalendarExtension(string file, SortedDictionary<int, int> yearLines, Dictionary<DateOnly, int> holidays,
        Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> special)
    {
        File = file;
        _yearLines = yearLines;
        _holidays = holidays;
        _special = special;
    }

    public string File { get; }

    /// <summary>The covered years, ascending.</summary>
    public IReadOnlyCollection<int> Years => _yearLines.Keys;

    /// <summary>The listed closed days (weekend ones included).</summary>
    public IReadOnlyCollection<DateOnly> Holidays => _holidays.Keys;

    /// <summary>Sessions whose hours are not the regular 09:00–15:30.</summary>
    public IReadOnlyDictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> SpecialSessions => _special;

    /// <summary>Reads an extension file; <paramref name="file"/> names it in errors and in the calendar's parts.</summary>
    /// <exception cref="CalendarExtensionException">A row is malformed, repeated or contradicts another.</exception>
    public static KrxCalendarExtension Parse(TextReader reader, string file)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(file);
        var years = new SortedDictionary<int, int>();
        var holidays = new Dictionary<DateOnly, int>();
        var special = new Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)>();
        var specialLines = new Dictionary<DateOnly, int>();
        var lineNo = 0;
        while (reader.ReadLine() is { } raw)
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var fields = line.Split(',').Select(f => f.Trim()).ToArray();
            CalendarExtensionException Error(string reason) => new(file, lineNo, reason);
            switch (fields[0].ToLowerInvariant())
            {
                case "year":
                    if (fields.Length != 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var year) || year < 1900 || year > 9998)
                    {
                        throw Error($"'{line}' is not a year row; use year,yyyy (e.g. year,2027)");
                    }

                    if (!years.TryAdd(year, lineNo))
                    {
                        throw Error($"year {year} is declared twice (first on line {years[year]})");
                    }

                    break;
                case "holiday":
                    if (fields.Length is < 2 or > 3)
                    {
                        throw Error($"'{line}' is not a holiday row; use holiday,yyyy-MM-dd[,note]");
                    }

                    var closed = ParseDate(fields[1], Error);
                    if (!holidays.TryAdd(closed, lineNo))
                    {
                        throw Error($"holiday {closed:yyyy-MM-dd} is listed twice (first on line {holidays[closed]})");
                    }

                    break;
                case "special":
                    if (fields.Length is < 4 or > 5)
                    {
                        throw Error($"'{line}' is not a special-session row; use special,yyyy-MM-dd,HH:mm,HH:mm[,note] (open and close in KST)");
                    }

                    var date = ParseDate(fields[1], Error);
                    var open = ParseTime(fields[2], "open", Error);
                    var close = ParseTime(fields[3], "close", Error);
                    if (close <= open)
                    {
                        throw Error($"special session {date:yyyy-MM-dd} closes at {close:HH\\:mm}, not after its open at {open:HH\\:mm}");
                    }

                    if (date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
                    {
                        throw Error($"special session {date:yyyy-MM-dd} is a {date.DayOfWeek}; KRX trades on weekdays only");
                    }

                    if (!special.TryAdd(date, (open, close)))
                    {
                        throw Error($"special session {date:yyyy-MM-dd} is listed twice (first on line {specialLines[date]})");
                    }

                    specialLines[date] = lineNo;
                    break;
                default:
                    throw Error($"'{fields[0]}' is not a row kind; use year, holiday or special (comment lines start with #)");
            }
        }

        if (years.Count == 0)
        {
            throw new CalendarExtensionException(file, 0, "declares no year; add a row such as year,2027");
        }

        foreach (var (date, line) in holidays.Concat(specialLines))
        {
            if (!years.ContainsKey(date.Year))
            {
                throw new CalendarExtensionException(file, line, $"{date:yyyy-MM-dd} is in {date.Year}, which no year,{date.Year} row declares");
            }
        }

        foreach (var (date, line) in specialLines)
        {
            if (holidays.TryGetValue(date, out var holidayLine))
            {
                throw new CalendarExtensionException(file, line, $"{date:yyyy-MM-dd} is both a special session and a holiday (line {holidayLine})");
            }
        }

        foreach (var (year, line) in years)
        {
            // Seollal and Chuseok (three days each) and the year-end closure always take weekdays: a year without a
            // weekday holiday is a list the operator has not typed in yet, and would make every weekday a session.
            if (!holidays.Keys.Any(d => d.Year == year && d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)))
            {
                throw new CalendarExtensionException(file, line,
                    $"year {year} lists no weekday holiday; KRX closes on weekdays every year (Seollal, Chuseok, the year end): add them as holiday,yyyy-MM-dd rows");
            }
        }

        return new KrxCalendarExtension(file, years, holidays, special);
    }

    /// <summary>
    /// <paramref name="calendar"/> followed by this file's years. The first year must be the one after
    /// <see cref="KrxCalendar.CoveredThrough"/>, and the years must follow each other without a gap.
    /// </summary>
    /// <exception cref="CalendarExtensionException">A year is already covered, or leaves a gap.</exception>
    public KrxCalendar ApplyTo(KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var end = calendar.CoveredThrough;
        var expected = end.Year + 1;
        foreach (var (year, line) in _yearLines)
        {
            if (year <= end.Year)
            {
                throw new CalendarExtensionException(File, line,
                    $"year {year} is already covered by the calendar (through {end:yyyy-MM-dd}); an extension adds later years only, starting with {end.Year + 1}");
            }

            if (year != expected)
            {
                var coveredThrough = expected == end.Year + 1 ? end : new DateOnly(expected - 1, 12, 31);
                throw new CalendarExtensionException(File, line,
                    $"year {year} leaves a gap: the calendar covers through {coveredThrough:yyyy-MM-dd}, so the next year must be {expected}");
            }

            expected++;
        }

        var first = new DateOnly(_yearLines.Keys.First(), 1, 1);
        var last = new DateOnly(_yearLines.Keys.Last(), 12, 31);
        var sessions = new List<SessionHours>();
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || _holidays.ContainsKey(day))
            {
                continue;
            }

            var (open, close) = _special.TryGetValue(day, out var hours) ? hours : (RegularOpen, RegularClose);
            sessions.Add(new SessionHours(day, Kst(day, open), Kst(day, close)));
        }

        return calendar.Extend(sessions, new CalendarPart(File, first, last, sessions.Count, IsExtension: true));
    }

    private static DateTimeOffset Kst(DateOnly day, TimeOnly time) => new(day.ToDateTime(time), KrxCalendar.KstOffset);

    private static DateOnly ParseDate(string text, Func<string, CalendarExtensionException> error) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw error($"'{text}' is not a date; use yyyy-MM-dd");

    private static TimeOnly ParseTime(string text, string what, Func<string, CalendarExtensionException> error) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw error($"{what} '{text}' is not a time; use HH:mm in KST (e.g. 10:00)");
}
