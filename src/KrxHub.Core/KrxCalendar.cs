using System.Globalization;

namespace KrxHub.Core;

/// <summary>Opening and closing times of one session, in KST.</summary>
public readonly record struct SessionHours(DateOnly Date, DateTimeOffset Open, DateTimeOffset Close)
{
    public TimeOnly OpenKst => TimeOnly.FromTimeSpan(Open.TimeOfDay);
    public TimeOnly CloseKst => TimeOnly.FromTimeSpan(Close.TimeOfDay);
}

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

    public KrxCalendar(IEnumerable<SessionHours> sessions)
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
    }

    public DateOnly FirstSession => _sessions[0];

    public DateOnly LastSession => _sessions[^1];

    public int Count => _sessions.Length;

    /// <summary>True when <paramref name="date"/> lies within the span the session file covers.</summary>
    public bool Covers(DateOnly date) => date >= _sessions[0] && date <= _sessions[^1];

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
    public static KrxCalendar Parse(TextReader reader)
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

        return new KrxCalendar(sessions);
    }

    public static KrxCalendar Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader);
    }
}
