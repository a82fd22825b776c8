namespace KrxHub.Features.Live;

/// <summary>Settings of the live bus and the /ws endpoint (env KRXHUB_LIVE__&lt;NAME&gt;, e.g. KRXHUB_LIVE__MAXSUBSCRIPTIONS=500).</summary>
public sealed record LiveOptions
{
    public const string SectionName = "Live";

    /// <summary>
    /// False: this node never runs the live source (it still serves /ws and rankings from what the node that runs it
    /// sends over the backplane). Env KRXHUB_LIVE__RUNSOURCE=false.
    /// </summary>
    public bool RunSource { get; init; } = true;

    /// <summary>
    /// False: the live source's trades are not turned into stored minute bars (e.g. a store of real data that should not
    /// receive the simulator's bars, which are stored with source "simulated"). Env KRXHUB_LIVE__RECORDMINUTEBARS=false.
    /// </summary>
    public bool RecordMinuteBars { get; init; } = true;

    /// <summary>
    /// False: the live source's events (ticks, books, index levels, session phases) are not recorded to the daily files in
    /// &lt;data-dir&gt;/recordings that `serve --replay` and POST /api/conditions/{id}/replay play back. Env KRXHUB_LIVE__RECORDEVENTS.
    /// </summary>
    public bool RecordEvents { get; init; } = true;

    /// <summary>
    /// True: record the simulator too. Off by default: it is reproducible from its seed, and its always-open demo would write
    /// gigabytes a day. Env KRXHUB_LIVE__RECORDSIMULATED.
    /// </summary>
    public bool RecordSimulated { get; init; }

    /// <summary>Days of recordings kept; older days' files are deleted when a recording starts or rolls over at KST midnight.</summary>
    public int RecordRetentionDays { get; init; } = 30;

    /// <summary>Subscriptions one WebSocket client may hold: each (channel, code), each ranking and the session count one.</summary>
    public int MaxSubscriptions { get; init; } = 300;

    /// <summary>How often every client gets a heartbeat message.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>WebSocket ping frames to each client (browsers answer them by themselves).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A client that answers no ping for this long is disconnected (a dead peer, or one that stopped reading).</summary>
    public TimeSpan PingTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The shortest time between two sends to one client once it is busy. A message for a client that got nothing for this
    /// long leaves at once; one that arrives sooner waits for the next send round (at most this long) and leaves with
    /// everything else queued for that client in one write. At 1,000 clients of ~150 ticks/s each this turns ~150 send
    /// calls per client and second into at most 40, on both ends. Zero: every message leaves at once.
    /// Env KRXHUB_LIVE__SENDINTERVAL.
    /// </summary>
    public TimeSpan SendInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>The shortest time between two pushes of one ranking subscription.</summary>
    public TimeSpan RankingInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a node that is not the live source tries to become it.</summary>
    public TimeSpan LeaseRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Replies (acks, errors, pongs) a client may leave unread before it is disconnected: they are never coalesced,
    /// so this bounds what a client that sends requests but never reads can cost.
    /// </summary>
    public int MaxPendingReplies { get; init; } = 1000;

    /// <summary>The largest client message accepted; longer ones get an error and are skipped.</summary>
    public int MaxClientMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// How often the live source announces itself on the backplane (nodes that miss three in a row call it down), and every
    /// node the codes its clients follow (a node not heard for three intervals is forgotten with its codes).
    /// </summary>
    public TimeSpan BackplaneHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A one-line error naming the environment variable, or null when the settings are usable.</summary>
    public string? Validate()
    {
        if (MaxSubscriptions is < 1 or > 100_000)
        {
            return "KRXHUB_LIVE__MAXSUBSCRIPTIONS must be between 1 and 100000";
        }

        if (PingInterval <= TimeSpan.Zero || PingTimeout <= TimeSpan.Zero)
        {
            return "KRXHUB_LIVE__PINGINTERVAL and __PINGTIMEOUT must be positive (e.g. 00:00:30)";
        }

        if (HeartbeatInterval <= TimeSpan.Zero || RankingInterval <= TimeSpan.Zero || LeaseRetryInterval <= TimeSpan.Zero || BackplaneHeartbeatInterval <= TimeSpan.Zero)
        {
            return "KRXHUB_LIVE__HEARTBEATINTERVAL, __RANKINGINTERVAL, __LEASERETRYINTERVAL and __BACKPLANEHEARTBEATINTERVAL must be positive (e.g. 00:00:15)";
        }

        if (SendInterval < TimeSpan.Zero || SendInterval > TimeSpan.FromSeconds(1))
        {
            return "KRXHUB_LIVE__SENDINTERVAL must be between 00:00:00 and 00:00:01 (e.g. 00:00:00.025)";
        }

        if (MaxPendingReplies < 1 || MaxClientMessageBytes < 1_024)
        {
            return "KRXHUB_LIVE__MAXPENDINGREPLIES must be at least 1 and __MAXCLIENTMESSAGEBYTES at least 1024";
        }

        if (RecordRetentionDays < 1)
        {
            return "KRXHUB_LIVE__RECORDRETENTIONDAYS must be at least 1";
        }

        return null;
    }
}
