namespace KrxHub.Client;

/// <summary>Where the hub is and how to reach it.</summary>
public sealed class KrxHubClientOptions
{
    /// <summary>The hub's address, e.g. http://127.0.0.1:5080/ (the WebSocket address is derived from it: ws://…/ws).</summary>
    public required Uri BaseAddress { get; init; }

    /// <summary>
    /// An API key (<c>krxhub keys add</c>): sent as <c>Authorization: Bearer &lt;key&gt;</c> on REST calls and as
    /// <c>?access_token=&lt;key&gt;</c> on /ws, where browsers and most WebSocket clients cannot set headers. Null on an open hub.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>The first wait before reconnecting /ws; it doubles after each failed attempt up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long /ws may stay silent before the connection counts as lost: the hub sends a heartbeat every 15 s, so three
    /// missed heartbeats mean a connection that died without a close (a dropped network, a killed node).
    /// </summary>
    public TimeSpan SilenceTimeout { get; init; } = TimeSpan.FromSeconds(45);
}
