namespace KrxHub.Sources.Kiwoom;

public enum KiwoomLiveState
{
    /// <summary>RunAsync is not running.</summary>
    Stopped,

    /// <summary>The first connection and LOGIN are under way.</summary>
    Connecting,

    /// <summary>Logged in; registrations are sent and pushes delivered.</summary>
    Connected,

    /// <summary>The connection was lost or refused; waiting to connect again, or connecting.</summary>
    Reconnecting,

    /// <summary>RunAsync stopped on a failure no reconnect can fix (refused keys, a LOGIN refused with a fresh token).</summary>
    Failed,
}

/// <summary>
/// The live feed as a health endpoint shows it. <see cref="Reconnects"/> counts connection attempts after a failure;
/// <see cref="LastError"/> is one line, never containing a token. Counters run from the feed's construction.
/// </summary>
public sealed record KiwoomLiveStatus(
    KiwoomLiveState State,
    DateTimeOffset? ConnectedSince,
    int Reconnects,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int WantedCodes,
    int RegisteredCodes,
    long Delivered,
    long DuplicatesDropped,
    long EntriesSkipped);
