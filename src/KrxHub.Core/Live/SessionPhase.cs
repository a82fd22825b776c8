namespace KrxHub.Core.Live;

/// <summary>
/// The phase of the KRX stock market (KOSPI, KOSDAQ, KONEX) at an instant, derived from the calendar by
/// <see cref="KrxSessionClock"/>. Weekends and holidays are <see cref="Holiday"/> all day; the hours of a session
/// day outside its trading phases are <see cref="Closed"/>.
/// </summary>
public enum SessionPhase
{
    /// <summary>A session day before the opening auction or after the after-hours trading.</summary>
    Closed,

    /// <summary>The opening call auction (08:30–09:00 on a normal day): orders are collected and matched once at the open.</summary>
    PreOpen,

    /// <summary>Continuous trading (09:00–15:20 on a normal day).</summary>
    Regular,

    /// <summary>The closing call auction, the last 10 minutes of the session (15:20–15:30), matched once at the close.</summary>
    ClosingAuction,

    /// <summary>Off-hours close-price and single-price trading, from the close to 18:00.</summary>
    AfterHours,

    /// <summary>Not a session: weekends, public holidays, ad-hoc closures and the year-end closure.</summary>
    Holiday,
}

public static class SessionPhases
{
    /// <summary>The wire name used by the API and WebSocket messages: closed, pre-open, regular, closing-auction, after-hours, holiday.</summary>
    public static string Name(this SessionPhase phase) => phase switch
    {
        SessionPhase.Closed => "closed",
        SessionPhase.PreOpen => "pre-open",
        SessionPhase.Regular => "regular",
        SessionPhase.ClosingAuction => "closing-auction",
        SessionPhase.AfterHours => "after-hours",
        SessionPhase.Holiday => "holiday",
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, null),
    };

    public static bool TryParse(string? text, out SessionPhase phase)
    {
        foreach (var candidate in Enum.GetValues<SessionPhase>())
        {
            if (string.Equals(candidate.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                phase = candidate;
                return true;
            }
        }

        phase = default;
        return false;
    }

    /// <summary>True for the phases in which the exchange accepts orders for the regular market: the two auctions and continuous trading.</summary>
    public static bool IsMarketOpen(this SessionPhase phase) =>
        phase is SessionPhase.PreOpen or SessionPhase.Regular or SessionPhase.ClosingAuction;
}
