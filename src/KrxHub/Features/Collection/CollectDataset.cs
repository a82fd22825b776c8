using KrxHub.Core;

namespace KrxHub.Features.Collection;

/// <summary>What `krxhub collect` and `krxhub backfill` fetch.</summary>
public enum CollectDataset
{
    /// <summary>ka10099: the stock master of KOSPI, KOSDAQ and KONEX.</summary>
    Master,

    /// <summary>ka10081: daily bars per stock, raw or adjusted.</summary>
    Daily,

    /// <summary>ka10059: investor flows per stock (net buying).</summary>
    Investors,

    /// <summary>ka10080: 1-minute bars per stock.</summary>
    Minute,

    /// <summary>KRX Open API: every stock of one session, raw.</summary>
    KrxDaily,

    /// <summary>KRX Open API index service: KOSPI, KOSPI 200, KOSDAQ … levels of one session.</summary>
    KrxIndices,
}

public static class CollectDatasets
{
    public const string Names = "master|daily|minute|investors|krx-daily|krx-indices";

    /// <summary>The datasets from the KRX Open API: one unit per session, no --codes.</summary>
    public static bool FromKrx(this CollectDataset dataset) => dataset is CollectDataset.KrxDaily or CollectDataset.KrxIndices;

    public static string Name(this CollectDataset dataset) => dataset switch
    {
        CollectDataset.Master => "master",
        CollectDataset.Daily => "daily",
        CollectDataset.Investors => "investors",
        CollectDataset.Minute => "minute",
        CollectDataset.KrxDaily => "krx-daily",
        CollectDataset.KrxIndices => "krx-indices",
        _ => throw new ArgumentOutOfRangeException(nameof(dataset), dataset, null),
    };

    public static bool TryParse(string? text, out CollectDataset dataset)
    {
        foreach (var candidate in Enum.GetValues<CollectDataset>())
        {
            if (string.Equals(candidate.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                dataset = candidate;
                return true;
            }
        }

        dataset = default;
        return false;
    }
}

/// <summary>When a session's data stops changing.</summary>
public static class FinalSessions
{
    /// <summary>Daily data of a session is final once the after-hours single-price market (16:00–18:00 KST) has ended.</summary>
    public static readonly TimeSpan FinalAt = new(18, 0, 0);

    /// <summary>True when <paramref name="day"/>'s daily and minute data can no longer change at <paramref name="now"/>.</summary>
    public static bool IsFinal(DateOnly day, DateTimeOffset now)
    {
        var kst = now.ToOffset(KrxCalendar.KstOffset);
        var today = DateOnly.FromDateTime(kst.DateTime);
        return day < today || (day == today && kst.TimeOfDay >= FinalAt);
    }

    /// <summary>The latest session whose data is final at <paramref name="now"/>, or null before the calendar starts.</summary>
    public static DateOnly? LastFinal(KrxCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var today = KrxCalendar.KstDate(now);
        if (calendar.IsSession(today) && IsFinal(today, now))
        {
            return today;
        }

        return calendar.PreviousSession(today);
    }

    /// <summary>The session a one-off collection is about by default: today during or after a session, else the last one.</summary>
    public static DateOnly? Latest(KrxCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var today = KrxCalendar.KstDate(now);
        return calendar.Hours(today) is { } hours && now >= hours.Open ? today : calendar.PreviousSession(today);
    }
}
