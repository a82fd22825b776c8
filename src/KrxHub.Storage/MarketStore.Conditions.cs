using System.Data.Common;
using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>
/// A saved condition. <see cref="Channels"/> are channel names (log, webhook, slack, telegram, email). <see cref="Origin"/>
/// "kiwoom" is one of Kiwoom's HTS conditions (its <see cref="KiwoomSeq"/>) activated for real time: Kiwoom evaluates it,
/// the hub records its entries, exits and alerts.
/// </summary>
public sealed record StoredCondition(
    long Id,
    string Name,
    string Expression,
    Market? Market,
    bool Active,
    string Schedule,
    int IntervalSeconds,
    IReadOnlyList<string> Channels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastRunAt,
    DateOnly? LastSession,
    string Origin = ConditionOrigins.User,
    string? KiwoomSeq = null);

/// <summary>An entry or exit of one stock, with the values of the condition's fields and functions (JSON) that decided it.</summary>
public sealed record ConditionEvent(long Id, long ConditionId, StockCode Code, string Event, DateTimeOffset At, DateOnly Session, string? Live, string Values);

/// <summary>An alert of the outbox: delivered at least once per channel, with a key the receiver can deduplicate on.</summary>
public sealed record OutboxAlert(
    long Id,
    long EventId,
    long ConditionId,
    StockCode Code,
    string Event,
    string Channel,
    string IdempotencyKey,
    string Message,
    string Payload,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt);

/// <summary>What one evaluation of one condition changed: its entries and exits, each with the alert text and payload.</summary>
public sealed record ConditionOutcome(
    long ConditionId,
    DateOnly Session,
    string? Live,
    IReadOnlyList<(StockCode Code, string Event, string Values, string Message, string Payload)> Events);

/// <summary>An event with its condition's name, as the /ws alerts channel sends it.</summary>
public sealed record ConditionEventWithName(ConditionEvent Event, string ConditionName);

public static class OutboxStatus
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Dead = "dead";
}

/// <summary>Saved conditions, their matching sets, entry/exit history and the alert outbox.</summary>
public sealed partial class MarketStore
{
    private const string OutboxColumns =
        "id, event_id, condition_id, code, event, channel, idempotency_key, message, payload, status, attempts, next_attempt_at, last_error, created_at, sent_at";

    /// <summary>The user conditions (the ones the hub evaluates), by id; Kiwoom's are <see cref="GetKiwoomConditionsAsync"/>.</summary>
    public async Task<IReadOnlyList<StoredCondition>> GetConditionsAsync(CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {ConditionColumns} FROM conditions WHERE origin = 'user' ORDER BY id");
        return await ReadConditionsAsync(select, ct);
    }

    public async Task<StoredCondition?> GetConditionAsync(long id, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"SELECT {ConditionColumns} FROM conditions WHERE id = @id");
        select.Parameters.Add(_dialect.Long("id", id));
        return (await ReadConditionsAsync(select, ct)).SingleOrDefault();
    }

    /// <summary>Inserts (id 0) or updates a condition; null when the name is taken by another condition.</summary>
    public async Task<StoredCondition?> SaveConditionAsync(StoredCondition condition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(condition);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var taken = Command(connection, tx, "SELECT count(*) FROM conditions WHERE name = @name AND id <> @id"))
        {
            taken.Parameters.Add(_dialect.Text("name", condition.Name));
            taken.Parameters.Add(_dialect.Long("id", condition.Id));
            if (Convert.ToInt64(await taken.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return null;
            }
        }

        var now = _time.GetUtcNow();
        await using var write = Command(connection, tx, condition.Id == 0
            ? $"""
              INSERT INTO conditions (name, expression, market, active, schedule, interval_seconds, channels, created_at, updated_at)
              VALUES (@name, @expression, @market, @active, @schedule, @interval_seconds, @channels, @now, @now)
              RETURNING {ConditionColumns}
              """
            : $"""
              UPDATE conditions SET name = @name, expression = @expression, market = @market, active = @active, schedule = @schedule,
                  interval_seconds = @interval_seconds, channels = @channels, updated_at = @now
              WHERE id = @id
              RETURNING {ConditionColumns}
              """);
        write.Parameters.Add(_dialect.Long("id", condition.Id));
        write.Parameters.Add(_dialect.Text("name", condition.Name));
        write.Parameters.Add(_dialect.Text("expression", condition.Expression));
        write.Parameters.Add(_dialect.Text("market", condition.Market?.Name()));
        write.Parameters.Add(_dialect.Long("active", condition.Active ? 1 : 0));
        write.Parameters.Add(_dialect.Text("schedule", condition.Schedule));
        write.Parameters.Add(_dialect.Long("interval_seconds", condition.IntervalSeconds));
        write.Parameters.Add(_dialect.Text("channels", string.Join(',', condition.Channels)));
        write.Parameters.Add(_dialect.Instant("now", now));
        var saved = (await ReadConditionsAsync(write, ct)).SingleOrDefault();
        await tx.CommitAsync(ct);
        return saved;
    }

    /// <summary>Deletes a condition with its matches and history; its alerts stay in the outbox (already sent or still owed).</summary>
    public async Task<bool> DeleteConditionAsync(long id, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var sql in new[] { "DELETE FROM condition_matches WHERE condition_id = @id", "DELETE FROM condition_events WHERE condition_id = @id" })
        {
            await using var delete = Command(connection, tx, sql);
            delete.Parameters.Add(_dialect.Long("id", id));
            await delete.ExecuteNonQueryAsync(ct);
        }

        await using var condition = Command(connection, tx, "DELETE FROM conditions WHERE id = @id");
        condition.Parameters.Add(_dialect.Long("id", id));
        var deleted = await condition.ExecuteNonQueryAsync(ct) > 0;
        await tx.CommitAsync(ct);
        return deleted;
    }

    /// <summary>The codes in the condition's matching set.</summary>
    public async Task<IReadOnlyCollection<StockCode>> GetConditionMatchesAsync(long conditionId, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, "SELECT code FROM condition_matches WHERE condition_id = @id");
        select.Parameters.Add(_dialect.Long("id", conditionId));
        var codes = new HashSet<StockCode>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            codes.Add(StockCode.Parse(reader.GetString(0)));
        }

        return codes;
    }

    /// <summary>
    /// One transaction: the condition's new matching set, its entry/exit events and one outbox alert per event and channel —
    /// unless the same condition, stock, event and channel alerted within <paramref name="dedupeWindow"/> (the event is
    /// still recorded). Returns the events written.
    /// </summary>
    public async Task<IReadOnlyList<ConditionEvent>> ApplyConditionOutcomeAsync(ConditionOutcome outcome, IReadOnlyList<string> channels, TimeSpan dedupeWindow, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(channels);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var written = new List<ConditionEvent>();
        foreach (var (code, kind, values, message, payload) in outcome.Events)
        {
            await using (var match = Command(connection, tx, kind == "entry"
                ? "INSERT INTO condition_matches (condition_id, code, since) VALUES (@id, @code, @now)"
                : "DELETE FROM condition_matches WHERE condition_id = @id AND code = @code"))
            {
                match.Parameters.Add(_dialect.Long("id", outcome.ConditionId));
                match.Parameters.Add(_dialect.Text("code", code.Value));
                match.Parameters.Add(_dialect.Instant("now", now));
                await match.ExecuteNonQueryAsync(ct);
            }

            long eventId;
            await using (var insert = Command(connection, tx, """
                INSERT INTO condition_events (condition_id, code, event, at, session, live, vals)
                VALUES (@id, @code, @event, @now, @session, @live, @vals) RETURNING id
                """))
            {
                insert.Parameters.Add(_dialect.Long("id", outcome.ConditionId));
                insert.Parameters.Add(_dialect.Text("code", code.Value));
                insert.Parameters.Add(_dialect.Text("event", kind));
                insert.Parameters.Add(_dialect.Instant("now", now));
                insert.Parameters.Add(_dialect.Date("session", outcome.Session));
                insert.Parameters.Add(_dialect.Text("live", outcome.Live));
                insert.Parameters.Add(_dialect.Text("vals", values));
                eventId = Convert.ToInt64(await insert.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            }

            written.Add(new ConditionEvent(eventId, outcome.ConditionId, code, kind, now, outcome.Session, outcome.Live, values));
            foreach (var channel in channels)
            {
                await using (var recent = Command(connection, tx, """
                    SELECT count(*) FROM alert_outbox
                    WHERE condition_id = @id AND code = @code AND event = @event AND channel = @channel AND created_at > @since
                    """))
                {
                    recent.Parameters.Add(_dialect.Long("id", outcome.ConditionId));
                    recent.Parameters.Add(_dialect.Text("code", code.Value));
                    recent.Parameters.Add(_dialect.Text("event", kind));
                    recent.Parameters.Add(_dialect.Text("channel", channel));
                    recent.Parameters.Add(_dialect.Instant("since", now - dedupeWindow));
                    if (Convert.ToInt64(await recent.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
                    {
                        continue;
                    }
                }

                await using var alert = Command(connection, tx, """
                    INSERT INTO alert_outbox (event_id, condition_id, code, event, channel, idempotency_key, message, payload, status, attempts, next_attempt_at, created_at)
                    VALUES (@event_id, @id, @code, @event, @channel, @key, @message, @payload, 'pending', 0, @now, @now)
                    """);
                alert.Parameters.Add(_dialect.Long("event_id", eventId));
                alert.Parameters.Add(_dialect.Long("id", outcome.ConditionId));
                alert.Parameters.Add(_dialect.Text("code", code.Value));
                alert.Parameters.Add(_dialect.Text("event", kind));
                alert.Parameters.Add(_dialect.Text("channel", channel));
                alert.Parameters.Add(_dialect.Text("key", FormattableString.Invariant($"krxhub-{eventId}-{channel}")));
                alert.Parameters.Add(_dialect.Text("message", message));
                alert.Parameters.Add(_dialect.Text("payload", payload));
                alert.Parameters.Add(_dialect.Instant("now", now));
                await alert.ExecuteNonQueryAsync(ct);
            }
        }

        await using (var run = Command(connection, tx, "UPDATE conditions SET last_run_at = @now, last_session = @session WHERE id = @id"))
        {
            run.Parameters.Add(_dialect.Long("id", outcome.ConditionId));
            run.Parameters.Add(_dialect.Instant("now", now));
            run.Parameters.Add(_dialect.Date("session", outcome.Session));
            await run.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return written;
    }

    /// <summary>Entry/exit history of a condition in [from, to] (sessions), oldest first.</summary>
    public async Task<IReadOnlyList<ConditionEvent>> GetConditionEventsAsync(long conditionId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, """
            SELECT id, condition_id, code, event, at, session, live, vals FROM condition_events
            WHERE condition_id = @id AND session BETWEEN @from AND @to ORDER BY id
            """);
        select.Parameters.Add(_dialect.Long("id", conditionId));
        select.Parameters.Add(_dialect.Date("from", from));
        select.Parameters.Add(_dialect.Date("to", to));
        var events = new List<ConditionEvent>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new ConditionEvent(reader.GetInt64(0), reader.GetInt64(1), StockCode.Parse(reader.GetString(2)), reader.GetString(3),
                _dialect.ReadInstant(reader, 4), _dialect.ReadDate(reader, 5), StoreDialect.NullableString(reader, 6), reader.GetString(7)));
        }

        return events;
    }

    /// <summary>Events with an id above <paramref name="afterId"/>, oldest first (null: only the newest id, to start from).</summary>
    public async Task<(IReadOnlyList<ConditionEventWithName> Events, long LastId)> GetConditionEventsAfterAsync(long? afterId, int limit, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        if (afterId is not { } after)
        {
            await using var max = Command(connection, null, "SELECT coalesce(max(id), 0) FROM condition_events");
            return ([], Convert.ToInt64(await max.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture));
        }

        await using var select = Command(connection, null, """
            SELECT e.id, e.condition_id, e.code, e.event, e.at, e.session, e.live, e.vals, c.name
            FROM condition_events e JOIN conditions c ON c.id = e.condition_id
            WHERE e.id > @after ORDER BY e.id LIMIT @limit
            """);
        select.Parameters.Add(_dialect.Long("after", after));
        select.Parameters.Add(Int("limit", limit));
        var events = new List<ConditionEventWithName>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new ConditionEventWithName(new ConditionEvent(reader.GetInt64(0), reader.GetInt64(1), StockCode.Parse(reader.GetString(2)), reader.GetString(3),
                _dialect.ReadInstant(reader, 4), _dialect.ReadDate(reader, 5), StoreDialect.NullableString(reader, 6), reader.GetString(7)), reader.GetString(8)));
        }

        return (events, events.Count > 0 ? events[^1].Event.Id : after);
    }

    /// <summary>Alerts, newest first, optionally of one status.</summary>
    public async Task<IReadOnlyList<OutboxAlert>> GetAlertsAsync(string? status, int limit, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {OutboxColumns} FROM alert_outbox {(status is null ? string.Empty : "WHERE status = @status")} ORDER BY id DESC LIMIT @limit
            """);
        if (status is not null)
        {
            select.Parameters.Add(_dialect.Text("status", status));
        }

        select.Parameters.Add(Int("limit", limit));
        return await ReadAlertsAsync(select, ct);
    }

    /// <summary>Pending alerts whose next attempt is due at <paramref name="now"/>, oldest first.</summary>
    public async Task<IReadOnlyList<OutboxAlert>> GetDueAlertsAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var select = Command(connection, null, $"""
            SELECT {OutboxColumns} FROM alert_outbox WHERE status = 'pending' AND next_attempt_at <= @now ORDER BY id LIMIT @limit
            """);
        select.Parameters.Add(_dialect.Instant("now", now));
        select.Parameters.Add(Int("limit", limit));
        return await ReadAlertsAsync(select, ct);
    }

    /// <summary>Records one delivery attempt: sent, or failed with the next attempt time, or dead-lettered.</summary>
    public async Task RecordAlertAttemptAsync(long id, string status, DateTimeOffset nextAttemptAt, string? error, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var update = Command(connection, null, """
            UPDATE alert_outbox SET status = @status, attempts = attempts + 1, next_attempt_at = @next, last_error = @error,
                sent_at = CASE WHEN @status = 'sent' THEN @now ELSE sent_at END
            WHERE id = @id
            """);
        update.Parameters.Add(_dialect.Long("id", id));
        update.Parameters.Add(_dialect.Text("status", status));
        update.Parameters.Add(_dialect.Instant("next", nextAttemptAt));
        update.Parameters.Add(_dialect.Text("error", error));
        update.Parameters.Add(_dialect.Instant("now", now));
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Puts a dead-lettered (or pending) alert back in line now, attempts reset; false when there is no such alert or it was sent.</summary>
    public async Task<bool> RetryAlertAsync(long id, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await _dialect.OpenAsync(ct);
        await using var update = Command(connection, null, """
            UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt_at = @now WHERE id = @id AND status <> 'sent'
            """);
        update.Parameters.Add(_dialect.Long("id", id));
        update.Parameters.Add(_dialect.Instant("now", now));
        return await update.ExecuteNonQueryAsync(ct) > 0;
    }

    private async Task<List<OutboxAlert>> ReadAlertsAsync(DbCommand select, CancellationToken ct)
    {
        var alerts = new List<OutboxAlert>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            alerts.Add(new OutboxAlert(
                reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), StockCode.Parse(reader.GetString(3)), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9),
                (int)reader.GetInt64(10), _dialect.ReadInstant(reader, 11), StoreDialect.NullableString(reader, 12),
                _dialect.ReadInstant(reader, 13), _dialect.NullableInstant(reader, 14)));
        }

        return alerts;
    }
}
