using System.Globalization;

namespace KrxHub.Core;

/// <summary>Opening and closing times of one session, in KST.</summary>
public readonly record struct SessionHours(DateOnly Date, DateTimeOffset Open, DateTimeOffset Close)
{
    public TimeOnly OpenKst => TimeOnly.FromTimeSpan(Open.TimeOfDay);
    public TimeOnly CloseKst => TimeOnly.FromTimeSpan(Close.TimeOfDay);
}

/// <summary>One span of the calendar and where it comes from.</summary>
/// <param name="Source">The file the span was read from.</param>
/// <param name="From">The first day of the span (a session for the bundled file; 1 January for an extension).</param>
/// <param name="Through">The last day of the span.</param>
/// <param name="Sessions">Sessions in the span.</param>
/// <param name="IsExtension">True for an operator's extension file (<see cref="KrxCalendarExtension"/>).</param>
public sealed record CalendarPart(string Source, DateOnly From, DateOnly Through, int Sessions, bool IsExtension);

/// <summary>
/// The KRX trading calendar, built from the bundled XKRX session file (exchange_calendars), which lists
/// every session with its open and close in UTC: holidays, ad-hoc closures (elections), 10:00 late opens
/// and 16:30 CSAT closes are all in the data, not in rules. Outside the covered range the calendar
/// cannot answer and says so.
/// </summary>
public sealed class KrxCalendar
{
    /// <summary>KST is UTC+9 all year (no daylight saving).</summary>
    public static readonly TimeSpan KstOffset = TimeSpan.FromHours(9);

    private readonly DateOnly[] _sessions;
    private readonly Dictionary<DateOnly, SessionHours> _hours;
    private readonly CalendarPart[] _parts;

    public KrxCalendar(IEnumerable<SessionHours> sessions)
        : this(sessions, "session file", null)
    {
    }

    /// <summary>With <paramref name="parts"/> as given, or else one part named <paramref name="source"/> spanning every session.</summary>
    private KrxCalendar(IEnumerable<SessionHours> sessions, string source, CalendarPart[]? parts)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _hours = [];
        foreach (var s in sessions)
        {
            _hours[s.Date] = s;
        }

        if (_hours.Count == 0)
        {
            throw new ArgumentException("the calendar needs at least one session", nameof(sessions));
        }

        _sessions = [.. _hours.Keys.Order()];
        _parts = parts ?? [new CalendarPart(source, _sessions[0], _sessions[^1], _sessions.Length, IsExtension: false)];
        CoveredThrough = _parts.Max(p => p.Through);
    }

    public DateOnly FirstSession => _sessions[0];

    public DateOnly LastSession => _sessions[^1];

    public int Count => _sessions.Length;

    /// <summary>
    /// The last day the calendar can answer for: the last session of the bundled file, or the 31 December of the last
    /// year an extension file adds (a year-end closure is then known, not unknown).
    /// </summary>
    public DateOnly CoveredThrough { get; }

    /// <summary>Where each span of the calendar comes from, oldest first: the bundled session file, then any extension.</summary>
    public IReadOnlyList<CalendarPart> Parts => _parts;

    /// <summary>True when <paramref name="date"/> lies within the span the calendar covers.</summary>
    public bool Covers(DateOnly date) => date >= _sessions[0] && date <= CoveredThrough;

    public bool IsSession(DateOnly date) => _hours.ContainsKey(date);

    /// <summary>The session hours of <paramref name="date"/>, or null when it is not a session.</summary>
    public SessionHours? Hours(DateOnly date) => _hours.TryGetValue(date, out var h) ? h : null;

    /// <summary>The first session strictly after <paramref name="date"/>, or null past the end of the calendar.</summary>
    public DateOnly? NextSession(DateOnly date)
    {
        var i = Array.BinarySearch(_sessions, date);
        var next = i >= 0 ? i + 1 : ~i;
        return next < _sessions.Length ? _sessions[next] : null;
    }

    /// <summary>The last session strictly before <paramref name="date"/>, or null before the start of the calendar.</summary>
    public DateOnly? PreviousSession(DateOnly date)
    {
        var i = Array.BinarySearch(_sessions, date);
        var prev = i >= 0 ? i - 1 : ~i - 1;
        return prev >= 0 ? _sessions[prev] : null;
    }

    /// <summary>Sessions in [from, to], ascending.</summary>
    public ReadOnlySpan<DateOnly> Sessions(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            return [];
        }

        var start = Array.BinarySearch(_sessions, from);
        start = start >= 0 ? start : ~start;
        var end = Array.BinarySearch(_sessions, to);
        end = end >= 0 ? end + 1 : ~end;
        return _sessions.AsSpan(start, Math.Max(0, end - start));
    }

    /// <summary>The KST calendar date of an instant.</summary>
    public static DateOnly KstDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(KstOffset).DateTime);

    /// <summary>
    /// Parses the exchange_calendars session file: header <c>,open,close,break_start,break_end</c>,
    /// one row per session with ISO-8601 UTC instants.
    /// </summary>
    public static KrxCalendar Parse(TextReader reader) => Parse(reader, "session file");

    /// <summary>As <see cref="Parse(TextReader)"/>, naming the file in <see cref="Parts"/>.</summary>
    public static KrxCalendar Parse(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new FormatException("calendar file is empty");
        var columns = header.Split(',');
        var openIndex = Array.IndexOf(columns, "open");
        var closeIndex = Array.IndexOf(columns, "close");
        if (openIndex < 0 || closeIndex < 0)
        {
            throw new FormatException($"calendar header must contain 'open' and 'close' columns, got '{header}'");
        }

        var sessions = new List<SessionHours>(11000);
        var lineNo = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            var f = line.Split(',');
            try
            {
                var date = DateOnly.FromDateTime(DateTime.Parse(f[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));
                var open = DateTimeOffset.Parse(f[openIndex], CultureInfo.InvariantCulture).ToOffset(KstOffset);
                var close = DateTimeOffset.Parse(f[closeIndex], CultureInfo.InvariantCulture).ToOffset(KstOffset);
                sessions.Add(new SessionHours(date, open, close));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException)
            {
                throw new FormatException($"calendar line {lineNo} is malformed: '{line}'", e);
            }
        }

        return new KrxCalendar(sessions, source, null);
    }

    public static KrxCalendar Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>This calendar followed by <paramref name="added"/> sessions, all after <see cref="CoveredThrough"/>.</summary>
    internal KrxCalendar Extend(IEnumerable<SessionHours> added, CalendarPart part)
    {
        var sessions = _hours.Values.ToList();
        foreach (var session in added)
        {
            if (session.Date <= CoveredThrough)
            {
                throw new ArgumentException($"{session.Date:yyyy-MM-dd} is already covered (through {CoveredThrough:yyyy-MM-dd})", nameof(added));
            }

            sessions.Add(session);
        }

        return new KrxCalendar(sessions, part.Source, [.. _parts, part]);
    }
}
