namespace KrxHub.Client;

/// <summary>Condition replay, Kiwoom's HTS conditions and the alert channels.</summary>
public sealed partial class KrxHubClient
{
    /// <summary>
    /// POST /api/conditions/{id}/replay: what the condition would have fired over a recorded day (a recording's file name or
    /// its date), evaluated every <paramref name="every"/> ("30s", "5m"; default 30 s) of recorded time. Writes nothing.
    /// </summary>
    public Task<ConditionReplay> ReplayConditionAsync(long id, string? file = null, DateOnly? date = null, string? every = null, CancellationToken ct = default) =>
        SendAsync<ConditionReplay>(HttpMethod.Post, $"/api/conditions/{id}/replay", [("every", every)],
            new { file, date = date?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, ct);

    /// <summary>GET /api/conditions/kiwoom: the Kiwoom login's HTS conditions (404 when the hub has no Kiwoom keys).</summary>
    public Task<IReadOnlyList<Condition>> GetKiwoomConditionsAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<Condition>>("/api/conditions/kiwoom", ct);

    /// <summary>POST /api/conditions/kiwoom/{seq}/search: the stocks a Kiwoom condition matches now (every page).</summary>
    public Task<KiwoomSearch> SearchKiwoomConditionAsync(string seq, CancellationToken ct = default) =>
        SendAsync<KiwoomSearch>(HttpMethod.Post, $"/api/conditions/kiwoom/{Segment(seq)}/search", [], null, ct);

    /// <summary>POST /api/conditions/kiwoom/{seq}/realtime: its entries and exits become events and alerts (at most 10 per login).</summary>
    public Task<KiwoomRealtime> StartKiwoomConditionAsync(string seq, IReadOnlyList<string>? channels = null, CancellationToken ct = default) =>
        SendAsync<KiwoomRealtime>(HttpMethod.Post, $"/api/conditions/kiwoom/{Segment(seq)}/realtime", [], new { channels }, ct);

    /// <summary>DELETE /api/conditions/kiwoom/{seq}/realtime: stop its pushes; its history stays.</summary>
    public Task<Condition> StopKiwoomConditionAsync(string seq, CancellationToken ct = default) =>
        SendAsync<Condition>(HttpMethod.Delete, $"/api/conditions/kiwoom/{Segment(seq)}/realtime", [], null, ct);

    /// <summary>GET /api/alerts/channels: every channel, where its settings come from, secrets as "***".</summary>
    public Task<IReadOnlyList<AlertChannel>> GetAlertChannelsAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<AlertChannel>>("/api/alerts/channels", ct);

    /// <summary>PUT /api/alerts/channels/{channel}: set a channel through the API (a secret left null keeps the stored one).</summary>
    public Task<AlertChannel> SetAlertChannelAsync(string channel, AlertChannelSettings settings, CancellationToken ct = default) =>
        SendAsync<AlertChannel>(HttpMethod.Put, $"/api/alerts/channels/{Segment(channel)}", [], settings, ct);

    /// <summary>DELETE /api/alerts/channels/{channel}: drop the API settings; the environment's apply again.</summary>
    public Task DropAlertChannelAsync(string channel, CancellationToken ct = default) =>
        SendNoContentAsync(HttpMethod.Delete, $"/api/alerts/channels/{Segment(channel)}", ct);

    /// <summary>POST /api/alerts/channels/{channel}/test: send a test message now and report the outcome.</summary>
    public Task<AlertChannelTest> TestAlertChannelAsync(string channel, CancellationToken ct = default) =>
        SendAsync<AlertChannelTest>(HttpMethod.Post, $"/api/alerts/channels/{Segment(channel)}/test", [], null, ct);
}
