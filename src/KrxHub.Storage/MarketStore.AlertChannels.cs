namespace KrxHub.Storage;

/// <summary>An alert channel set through the API: its fields as JSON (secrets in it as the caller sealed them, or plain without a key).</summary>
public sealed record StoredAlertChannel(string Channel, string Settings, DateTimeOffset UpdatedAt)
{
    public override string ToString() => $"StoredAlertChannel {{ Channel = {Channel}, UpdatedAt = {UpdatedAt:O} }}";
}

/// <summary>Alert channels set through the API (migration 12).</summary>
public sealed partial class MarketStore
{
    /// <summary>Every channel set through the API, by name.</summary>
    public async Task<IReadOnlyList<StoredAlertChannel>> GetAlertChannelsAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT channel, settings, updated_at FROM alert_channels ORDER BY channel");
        await using var reader = await select.ExecuteReaderAsync(ct);
        var channels = new List<StoredAlertChannel>();
        while (await reader.ReadAsync(ct))
        {
            channels.Add(new StoredAlertChannel(reader.GetString(0), reader.GetString(1), _dialect.ReadInstant(reader, 2)));
        }

        return channels;
    }

    /// <summary>Stores (replacing) the settings of one channel.</summary>
    public async Task SaveAlertChannelAsync(StoredAlertChannel channel, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var write = Command(connection, null, """
            INSERT INTO alert_channels (channel, settings, updated_at) VALUES (@channel, @settings, @updated_at)
            ON CONFLICT (channel) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at
            """);
        write.Parameters.Add(_dialect.Text("channel", channel.Channel));
        write.Parameters.Add(_dialect.Text("settings", channel.Settings));
        write.Parameters.Add(_dialect.Instant("updated_at", channel.UpdatedAt));
        await write.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Forgets the API settings of one channel; false when it had none.</summary>
    public async Task<bool> DeleteAlertChannelAsync(string channel, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var delete = Command(connection, null, "DELETE FROM alert_channels WHERE channel = @channel");
        delete.Parameters.Add(_dialect.Text("channel", channel));
        return await delete.ExecuteNonQueryAsync(ct) > 0;
    }
}
