namespace KrxHub.Storage;

/// <summary>The alert outbox at a glance: alerts waiting (pending), given up on (dead), and when the oldest waiting one was created.</summary>
public sealed record AlertOutboxSummary(long Pending, long Dead, DateTimeOffset? OldestPendingCreatedAt);

public sealed partial class MarketStore
{
    /// <summary>Counts of the outbox by status and the oldest pending alert, for metrics and /health/ready.</summary>
    public async Task<AlertOutboxSummary> GetAlertOutboxSummaryAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        long pending = 0, dead = 0;
        await using (var counts = Command(connection, null, "SELECT status, COUNT(*) FROM alert_outbox WHERE status <> 'sent' GROUP BY status"))
        await using (var reader = await counts.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                switch (reader.GetString(0))
                {
                    case "pending": pending = reader.GetInt64(1); break;
                    case "dead": dead = reader.GetInt64(1); break;
                }
            }
        }

        if (pending == 0)
        {
            return new AlertOutboxSummary(0, dead, null);
        }

        // Ids grow with creation: the lowest pending id is the oldest pending alert.
        await using var oldest = Command(connection, null, "SELECT created_at FROM alert_outbox WHERE status = 'pending' ORDER BY id LIMIT 1");
        await using var row = await oldest.ExecuteReaderAsync(ct);
        return new AlertOutboxSummary(pending, dead, await row.ReadAsync(ct) ? _dialect.ReadInstant(row, 0) : null);
    }
}
