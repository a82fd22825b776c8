using System.Globalization;

namespace KrxHub.Core;

/// <summary>Opening and closing times of one session, in KST.</summary>
public readonly record struct SessionHours(DateOnly Date, DateTimeOffset Open, DateTimeOffset Close)
{
    public TimeOnly OpenKst => TimeOnly.FromTimeSpan(Open.TimeOfDay);
    public TimeOnly CloseKst => TimeOnly.FromTimeSpan(Close.TimeOfDay);
}

/// <summary>Where a day of the calendar comes from, in the order the layers win.</summary>
public enum CalendarSource
{
    /// <summary>The bundled XKRX history (exchange_calendars): KRX's published days.</summary>
    Bundled,

    /// <summary>The operator's override file: KRX's published closed days typed in, ad-hoc closures, CSAT days.</summary>
    Override,

    /// <summary>Derived from the holiday law by <see cref="KoreanHolidayRules"/>: provisional until KRX publishes the year.</summary>
    Rules,
}

/// <summary>One span of the calendar and where it comes from.</summary>
/// <param name="Source">The file the span was read from, or <c>rules</c>.</param>
/// <param name="From">The first day of the span (1 January of its first year).</param>
/// <param name="Through">The last day of the span (31 December of its last year).</param>
/// <param name="Sessions">Sessions in the span.</param>
/// <param name="Kind">Which layer the span belongs to.</param>
public sealed record CalendarPart(string Source, DateOnly From, DateOnly Through, int Sessions, CalendarSource Kind);

/// <summary>One day of the calendar with its provenance.</summary>
/// <param name="Hours">The session hours, or null when KRX is closed.</param>
/// <param name="Reason">Why a weekday is closed (<c>설날</c>, <c>대체공휴일(추석)</c>, <c>연말 휴장일</c>, <c>선거일</c>); null on sessions and weekends.</param>
/// <param name="Provisional">True when the day comes from the rules alone: KRX has not published it (or the operator has not typed it in).</param>
/// <param name="Source">The layer the day comes from.</param>
/// <param name="File">The file of the bundled or override layer (null for the rules).</param>
public readonly record struct CalendarDay(DateOnly Date, SessionHours? Hours, string? Reason, bool Provisional, CalendarSource Source, string? File)
{
    public bool IsSession => Hours is not null;

    /// <summary><c>bundled</c>, <c>override:&lt;file name&gt;</c> or <c>rules</c>, as the API shows it.</summary>
    public string SourceLabel => Source switch
    {
        CalendarSource.Bundled => "bundled",
        CalendarSource.Override => "override:" + System.IO.Path.GetFileName(File),
        _ => "rules",
    };

    /// <summary>"provisional: derived from the holiday rules, KRX has not published …" for log lines and errors; null for a published day.</summary>
    public string? ProvisionalNote => Provisional
        ? $"provisional: {Date:yyyy-MM-dd} comes from the holiday rules, not from KRX's published calendar (add KRX's closed days of {Date.Year} to an override file)"
        : null;

    /// <summary>"2027-05-03 is not a KRX session (대체공휴일(노동절); provisional: …)" for errors and quarantine notes.</summary>
    public string DescribeClosed() =>
        $"{Date:yyyy-MM-dd} is not a KRX session ({Reason ?? Date.DayOfWeek.ToString()}{(Provisional ? "; " + ProvisionalNote : string.Empty)})";
}

/// <summary>
/// The KRX trading calendar in three layers, each day labelled with where it came from:
/// <list type="number">
/// <item>the bundled XKRX session file (exchange_calendars), which lists every session with its open and close in UTC:
/// holidays, ad-hoc closures (elections), 10:00 late opens and 16:30 CSAT closes are all in the data. It holds whole years
/// (1986–2026): a day after its last session in that year is a closure (the 연말 휴장일);</item>
/// <item>the operator's override file (<see cref="KrxCalendarOverrides"/>): whole published years, and single days
/// (elections, temporary holidays, CSAT days) in years the rules derive;</item>
/// <item>the rules (<see cref="KoreanHolidayRules"/>) for every later year up to <see cref="KoreanHolidayRules.LastYear"/>:
/// provisional.</item>
/// </list>
/// A calendar built straight from sessions (<see cref="KrxCalendar(IEnumerable{SessionHours})"/>, <see cref="Parse(TextReader)"/>)
/// is the bundled layer alone; <see cref="Layered"/> adds the other two. Outside the covered range the calendar cannot
/// answer and says so.
/// </summary>
public sealed partial class KrxCalendar
{
    /// <summary>KST is UTC+9 all year (no daylight saving).</summary>
    public static readonly TimeSpan KstOffset = TimeSpan.FromHours(9);

    /// <summary>The reason of a closed weekday that no rule or known closure names.</summary>
    public const string UnnamedClosure = "휴장일";

    private readonly DateOnly[] _sessions;
    private readonly Dictionary<DateOnly, SessionHours> _hours;
    private readonly CalendarPart[] _parts;
    private readonly DateOnly _bundledThrough;
    private readonly Dictionary<DateOnly, (string Reason, string? File)> _closedReasons;
    private readonly Dictionary<DateOnly, string> _overrideDays;

    public KrxCalendar(IEnumerable<SessionHours> sessions)
        : this(sessions, "session file")
    {
    }

    /// <summary>The bundled layer alone: one part named <paramref name="source"/>, covering through the last session.</summary>
    private KrxCalendar(IEnumerable<SessionHours> sessions, string source)
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
        _parts = [new CalendarPart(source, _sessions[0], _sessions[^1], _sessions.Length, CalendarSource.Bundled)];
        _bundledThrough = _sessions[^1];
        CoveredFrom = _sessions[0];
        CoveredThrough = _sessions[^1];
        PublishedThrough = CoveredThrough;
        _closedReasons = [];
        _overrideDays = [];
    }

    private KrxCalendar(Dictionary<DateOnly, SessionHours> hours, CalendarPart[] parts, DateOnly bundledThrough,
        Dictionary<DateOnly, (string Reason, string? File)> closedReasons, Dictionary<DateOnly, string> overrideDays)
    {
        _hours = hours;
        _sessions = [.. _hours.Keys.Order()];
        _parts = parts;
        _bundledThrough = bundledThrough;
        _closedReasons = closedReasons;
        _overrideDays = overrideDays;
        CoveredFrom = parts[0].From;
        CoveredThrough = parts[^1].Through;
        PublishedThrough = parts.TakeWhile(p => p.Kind != CalendarSource.Rules).Last().Through;
    }

    public DateOnly FirstSession => _sessions[0];

    public DateOnly LastSession => _sessions[^1];

    public int Count => _sessions.Length;

    /// <summary>The first day the calendar can answer for (1 January of the bundled file's first year when layered).</summary>
    public DateOnly CoveredFrom { get; }

    /// <summary>The last day the calendar can answer for: 31 December of <see cref="KoreanHolidayRules.LastYear"/> when layered.</summary>
    public DateOnly CoveredThrough { get; }

    /// <summary>The last day of the published span (bundled, then override years without a gap); provisional days follow it.</summary>
    public DateOnly PublishedThrough { get; }

    /// <summary>Where each span of the calendar comes from, oldest first: the bundled session file, override years, the rules.</summary>
    public IReadOnlyList<CalendarPart> Parts => _parts;

    /// <summary>Days in rule years that the override file sets (a closure or special hours), ascending.</summary>
    public IReadOnlyList<DateOnly> OverrideDays => [.. _overrideDays.Keys.Order()];

    /// <summary>True when <paramref name="date"/> lies within the span the calendar covers.</summary>
    public bool Covers(DateOnly date) => date >= CoveredFrom && date <= CoveredThrough;

    /// <summary>True when the day comes from the rules alone (KRX has not published it, or the operator has not typed it in).</summary>
    public bool IsProvisional(DateOnly date) => Covers(date) && SourceOf(date).Source == CalendarSource.Rules;

    /// <summary>The day with its hours, reason and provenance.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The calendar does not cover <paramref name="date"/>.</exception>
    public CalendarDay Day(DateOnly date)
    {
        if (!Covers(date))
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"the KRX calendar covers {CoveredFrom:yyyy-MM-dd}..{CoveredThrough:yyyy-MM-dd}");
        }

        var (source, file) = SourceOf(date);
        var hours = Hours(date);
        string? reason = null;
        if (hours is null && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
        {
            reason = _closedReasons.TryGetValue(date, out var known) ? known.Reason : UnnamedClosure;
        }

        return new CalendarDay(date, hours, reason, source == CalendarSource.Rules, source, file);
    }

    private (CalendarSource Source, string? File) SourceOf(DateOnly date)
    {
        if (date <= _bundledThrough)
        {
            return (CalendarSource.Bundled, _parts[0].Source);
        }

        if (_overrideDays.TryGetValue(date, out var file))
        {
            return (CalendarSource.Override, file);
        }

        foreach (var part in _parts)
        {
            if (date >= part.From && date <= part.Through)
            {
                return (part.Kind, part.Kind == CalendarSource.Rules ? null : part.Source);
            }
        }

        return (CalendarSource.Rules, null);
    }

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

        return new KrxCalendar(sessions, source);
    }

    public static KrxCalendar Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }
}
