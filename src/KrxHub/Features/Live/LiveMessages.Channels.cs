using System.Text.Json;
using KrxHub.Core.Indices;
using KrxHub.Core.Live;

namespace KrxHub.Features.Live;

/// <summary>The messages of the indices and alerts channels: one message for many items, unlike a stock's tick or book.</summary>
internal static partial class LiveMessages
{
    /// <summary>Condition entries and exits written since the last message, oldest first (the values are the event's JSON).</summary>
    public static byte[] Alerts(IReadOnlyList<Storage.ConditionEventWithName> events) => Write(events, static (w, list) =>
    {
        w.WriteString("op", "alerts");
        w.WriteStartArray("events");
        foreach (var e in list)
        {
            w.WriteStartObject();
            w.WriteNumber("id", e.Event.Id);
            w.WriteNumber("conditionId", e.Event.ConditionId);
            w.WriteString("condition", e.ConditionName);
            w.WriteString("code", e.Event.Code.Value);
            w.WriteString("event", e.Event.Event);
            w.WriteString("session", e.Event.Session.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("at", e.Event.At);
            if (e.Event.Live is { } live)
            {
                w.WriteString("live", live);
            }

            w.WritePropertyName("values");
            w.WriteRawValue(e.Event.Values);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    public static byte[] Indices(IReadOnlyList<LiveIndexLevel> levels) => Write(levels, static (w, list) =>
    {
        w.WriteString("op", "indices");
        w.WriteStartArray("levels");
        foreach (var l in list)
        {
            w.WriteStartObject();
            w.WriteString("code", l.IndexCode);
            w.WriteString("name", KrxIndex.TryParse(l.IndexCode, out var index) ? index.NameEn : l.IndexCode);
            w.WriteNumber("level", l.Level);
            WriteNullable(w, "change", l.Change);
            WriteNullable(w, "changePct", l.ChangePct);
            WriteNullable(w, "open", l.Open);
            WriteNullable(w, "high", l.High);
            WriteNullable(w, "low", l.Low);
            w.WriteString("time", l.Time);
            w.WriteString("source", l.Source);
            w.WriteBoolean("simulated", l.Source == LiveSources.Simulated);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });
}
