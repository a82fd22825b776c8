using System.Text.Json;
using System.Text.Json.Serialization;
using KrxHub.Features.Access;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>A channel set through the API: its values with the secrets opened, or <see cref="Error"/> when a secret does not open.</summary>
public sealed record ApiAlertChannel(string Channel, AlertChannelValues? Values, DateTimeOffset UpdatedAt, string? Error);

/// <summary>The channel settings in effect: the environment's, each channel set through the API replacing that channel's.</summary>
public sealed record AlertChannelState(AlertSettings Effective, IReadOnlyDictionary<string, ApiAlertChannel> Api, long ReadAt);

/// <summary>
/// The alert channels' settings as the sender and the API see them: KRXHUB_ALERTS__… overridden per channel by the rows of
/// alert_channels, read again at most every <see cref="CacheFor"/> (a change made through another node takes effect within
/// that; through this one at once). Secrets are sealed at rest under KRXHUB_SECRETS__KEY when it is set.
/// </summary>
public sealed class AlertChannelConfig(MarketStore store, AlertSettings environment, SecretBox? secrets, TimeProvider time)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private AlertChannelState? _state; // a reference, so that readers on other threads never see half of it

    /// <summary>The settings from the environment alone.</summary>
    public AlertSettings Environment => environment;

    public async ValueTask<AlertChannelState> CurrentAsync(CancellationToken ct)
    {
        // The cache's age on the monotonic clock: a hub clock that stands still (a replay, a test) must not freeze it.
        if (_state is { } cached && time.GetElapsedTime(cached.ReadAt) < CacheFor)
        {
            return cached;
        }

        var readAt = time.GetTimestamp();
        var api = new Dictionary<string, ApiAlertChannel>(StringComparer.Ordinal);
        var effective = environment;
        foreach (var row in await store.GetAlertChannelsAsync(ct))
        {
            var values = JsonSerializer.Deserialize<AlertChannelValues>(row.Settings, Json)?.Open(secrets);
            var error = values is null
                ? "a secret of this channel was sealed under another KRXHUB_SECRETS__KEY (or none is set now): PUT it again"
                : null;
            api[row.Channel] = new ApiAlertChannel(row.Channel, values, row.UpdatedAt, error);
            // A channel whose secrets do not open is off rather than sent without them (an unsigned webhook, say).
            effective = (values ?? new AlertChannelValues()).ApplyTo(effective, row.Channel);
        }

        var state = new AlertChannelState(effective, api, readAt);
        _state = state;
        return state;
    }

    /// <summary>Stores a channel's values (secrets sealed when a key is set); this node sees them at once.</summary>
    public async Task SaveAsync(string channel, AlertChannelValues values, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(values);
        await store.SaveAlertChannelAsync(new StoredAlertChannel(channel, JsonSerializer.Serialize(values.Seal(secrets), Json), time.GetUtcNow()), ct);
        _state = null;
    }

    /// <summary>Drops a channel's API settings (the environment's apply again); false when it had none.</summary>
    public async Task<bool> DeleteAsync(string channel, CancellationToken ct)
    {
        var deleted = await store.DeleteAlertChannelAsync(channel, ct);
        _state = null;
        return deleted;
    }
}
