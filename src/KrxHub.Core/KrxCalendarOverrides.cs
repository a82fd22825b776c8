using System.Globalization;

namespace KrxHub.Core;

/// <summary>A calendar override file that cannot be used: names the file and, when one is to blame, the line.</summary>
public sealed class CalendarOverrideException(string file, int line, string reason)
    : FormatException(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
{
    public string File { get; } = file;

    /// <summary>1-based line number, or 0 when the file as a whole is wrong.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// The operator's override file: KRX's published closed days (휴장일, announced each December for the next year), and single
/// days the rules cannot know (election days, temporary holidays, CSAT days). Plain text, one row per line, fields
/// separated by commas:
/// <code>
/// # comment lines and blank lines are ignored
/// year,2027                      a published year, whole (1 January to 31 December)
/// holiday,2027-01-01[,note]      a closed day; the note becomes its reason; a weekend date is accepted and changes nothing
/// special,2027-11-18,10:00,16:30[,note]   a session with other hours (KST), e.g. the CSAT day
/// </code>
/// A year with a <c>year</c> row is published: its sessions are its weekdays minus the listed holidays, 09:00–15:30 KST
/// unless a special row says otherwise (the first session opens at 10:00, KRX's rule, unless a special row gives it other
/// hours); no other closure is inferred. A <c>holiday</c> or <c>special</c> row in a year without a <c>year</c> row amends the
/// rule-derived year (<see cref="KoreanHolidayRules"/>) on that day only: a closure added, or a day given these hours (a
/// session even where the rules close it). The file wins over the rules for every day it covers; it cannot change the
/// bundled years, which are KRX's published history, nor go past <see cref="KoreanHolidayRules.LastYear"/>.
/// </summary>
public sealed class KrxCalendarOverrides
{
    private readonly SortedDictionary<int, int> _yearLines;
    private readonly Dictionary<DateOnly, (int Line, string? Note)> _holidays;
    private readonly Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> _special;
    private readonly Dictionary<DateOnly, int> _specialLines;

    private KrxCalendarOverrides(string file, SortedDictionary<int, int> yearLines, Dictionary<DateOnly, (int Line, string? Note)> holidays,
        Dictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> special, Dictionary<DateOnly, int> specialLines)
    {
        File = file;
        _yearLines = yearLines;
        _holidays = holidays;
        _special = special;
        _specialLines = specialLines;
    }

    public string File { get; }

    /// <summary>The published years (with a <c>year</c> row), ascending.</summary>
    public IReadOnlyCollection<int> Years => _yearLines.Keys;

    /// <summary>The listed closed days (weekend ones included), with their notes.</summary>
    public IReadOnlyDictionary<DateOnly, string?> Holidays => _holidays.ToDictionary(h => h.Key, h => h.Value.Note);

    /// <summary>Sessions whose hours are not the regular 09:00–15:30.</summary>
    public IReadOnlyDictionary<DateOnly, (TimeOnly Open, TimeOnly Close)> SpecialSessions => _special;

    /// <summary>Reads an override file; <paramref name="file"/> names it in errors and in the calendar's parts.</summary>
    /// <exception cref="CalendarOverrideException">A row is malformed, repeated or contradicts another.</exception>
    public static KrxCalendarOverrides Parse(TextReader reader, string file)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(file);
        var years = new SortedDictionary<int, int>();
        var holidays = new Dictionary<DateOnly, (int Line, string? Note)>();
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
            CalendarOverrideException Error(string reason) => new(file, lineNo, reason);
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
                    var note = fields.Length == 3 && fields[2].Length > 0 ? fields[2] : null;
                    if (!holidays.TryAdd(closed, (lineNo, note)))
                    {
                        throw Error($"holiday {closed:yyyy-MM-dd} is listed twice (first on line {holidays[closed].Line})");
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

        if (years.Count == 0 && holidays.Count == 0 && special.Count == 0)
        {
            throw new CalendarOverrideException(file, 0, "lists nothing; add a published year (year,2027 and its holiday rows) or single days (holiday,… or special,…)");
        }

        foreach (var (date, line) in specialLines)
        {
            if (holidays.TryGetValue(date, out var holiday))
            {
                throw new CalendarOverrideException(file, line, $"{date:yyyy-MM-dd} is both a special session and a holiday (line {holiday.Line})");
            }
        }

        foreach (var (year, line) in years)
        {
            // Seollal and Chuseok (three days each) and the year-end closure always take weekdays: a year without a
            // weekday holiday is a list the operator has not typed in yet, and would make every weekday a session.
            if (!holidays.Keys.Any(d => d.Year == year && d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)))
            {
                throw new CalendarOverrideException(file, line,
                    $"year {year} lists no weekday holiday; KRX closes on weekdays every year (Seollal, Chuseok, the year end): add them as holiday,yyyy-MM-dd rows");
            }
        }

        return new KrxCalendarOverrides(file, years, holidays, special, specialLines);
    }

    /// <summary><paramref name="calendar"/> (the bundled layer) with this file over the rules: <see cref="KrxCalendar.Layered"/>.</summary>
    /// <exception cref="CalendarOverrideException">A row falls in a bundled year or after <see cref="KoreanHolidayRules.LastYear"/>.</exception>
    public KrxCalendar ApplyTo(KrxCalendar calendar) => KrxCalendar.Layered(calendar, this);

    /// <summary>Checks that every row falls after the bundled years (through <paramref name="bundledEndYear"/>) and by <paramref name="lastYear"/>.</summary>
    internal void CheckYears(int bundledEndYear, int lastYear)
    {
        var rows = _yearLines.Select(y => (Year: y.Key, Line: y.Value, What: $"year {y.Key}"))
            .Concat(_holidays.Select(h => (Year: h.Key.Year, Line: h.Value.Line, What: $"{h.Key:yyyy-MM-dd}")))
            .Concat(_specialLines.Select(s => (Year: s.Key.Year, Line: s.Value, What: $"{s.Key:yyyy-MM-dd}")))
            .OrderBy(r => r.Line);
        foreach (var (year, line, what) in rows)
        {
            if (year <= bundledEndYear)
            {
                throw new CalendarOverrideException(File, line,
                    $"{what} is in the bundled calendar (KRX's published days through {bundledEndYear}-12-31), which an override file cannot change; it covers {bundledEndYear + 1} and later");
            }

            if (year > lastYear)
            {
                throw new CalendarOverrideException(File, line, $"{what} is after {lastYear}, the last year the KRX calendar covers");
            }
        }
    }

    /// <summary>True when <paramref name="year"/> is published whole by a <c>year</c> row.</summary>
    internal bool IsPublishedYear(int year) => _yearLines.ContainsKey(year);

    /// <summary>The holidays listed for <paramref name="year"/>, with their notes.</summary>
    internal IEnumerable<(DateOnly Date, string? Note)> HolidaysIn(int year) =>
        _holidays.Where(h => h.Key.Year == year).Select(h => (h.Key, h.Value.Note));

    /// <summary>The special sessions listed for <paramref name="year"/>.</summary>
    internal IEnumerable<(DateOnly Date, TimeOnly Open, TimeOnly Close)> SpecialsIn(int year) =>
        _special.Where(s => s.Key.Year == year).Select(s => (s.Key, s.Value.Open, s.Value.Close));

    private static DateOnly ParseDate(string text, Func<string, CalendarOverrideException> error) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw error($"'{text}' is not a date; use yyyy-MM-dd");

    private static TimeOnly ParseTime(string text, string what, Func<string, CalendarOverrideException> error) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw error($"{what} '{text}' is not a time; use HH:mm in KST (e.g. 10:00)");
}
