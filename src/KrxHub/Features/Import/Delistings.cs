using System.Globalization;
using KrxHub.Core;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Features.Import;

/// <summary>Delistings in the master: exact ones from a KRX delisting list, inferred ones from complete listings.</summary>
public static class Delistings
{
    /// <summary>One line per kind of change a complete listing made (none when nothing changed).</summary>
    public static IReadOnlyList<string> Describe(ListingInference inference, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(inference);
        var day = asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var notes = new List<string>();
        if (inference.Delisted.Count > 0)
        {
            notes.Add($"complete listing of {day}: {inference.Delisted.Count} stock(s) missing from two complete listings marked delisted (inferred, from the day after the last bar): "
                + Few(inference.Delisted.Select(s => $"{s.Code.Value} {s.DelistingDate:yyyy-MM-dd}")));
        }

        if (inference.Absent.Count > 0)
        {
            notes.Add($"complete listing of {day}: {inference.Absent.Count} stock(s) of the master missing for the first time (delisted if missing again on a later date): "
                + Few(inference.Absent.Select(c => c.Value)));
        }

        if (inference.Reinstated.Count > 0)
        {
            notes.Add($"complete listing of {day}: {inference.Reinstated.Count} stock(s) inferred delisted earlier are listed again; their delisting was undone: "
                + Few(inference.Reinstated.Select(c => c.Value)));
        }

        return notes;
    }

    /// <summary>A KRX delisting list into the master, as one run: exact delisting dates; unknown codes are added as delisted stocks.</summary>
    public static async Task<ImportSummary> ImportAsync(MarketStore store, TimeProvider time, string job, object parameters,
        ParsedRecords<Stock> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(parsed);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var runId = await store.StartRunAsync(job, System.Text.Json.JsonSerializer.Serialize(parameters), now, ct);
        try
        {
            var rejected = parsed.Rejected.Select(r => new QuarantineEntry(runId, "stocks", source, r.Code, null, [r.Reason], r.Payload, r.Line, now)).ToList();
            if (rejected.Count > 0)
            {
                await store.QuarantineAsync(rejected, ct);
            }

            var changed = await store.ApplyDelistingsAsync(parsed.Records, ct);
            var byReason = parsed.Rejected.GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded, parsed.Records.Count + rejected.Count, parsed.Records.Count,
                rejected.Count, changed, time.GetUtcNow(), null), CancellationToken.None);
            return new ImportSummary(runId, "stocks", parsed.Records.Count + rejected.Count, parsed.Records.Count, rejected.Count, 0, 0,
                changed, parsed.Records.Count - changed, byReason, stopwatch.Elapsed)
            {
                Notes = [$"{changed:N0} stock(s) added as delisted or given their exact delisting date"],
            };
        }
        catch (Exception e)
        {
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, 0, 0, 0, 0, time.GetUtcNow(), e.Message.ReplaceLineEndings(" ")), CancellationToken.None);
            throw;
        }
    }

    private static string Few(IEnumerable<string> items)
    {
        var list = items.ToList();
        return string.Join(", ", list.Take(10)) + (list.Count > 10 ? $" … (+{list.Count - 10})" : string.Empty);
    }
}
